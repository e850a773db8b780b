"""The status bar: the feed's state, what is running, the selection, live notices, the last message or error.

It is the one place notices go (it holds no content, so nothing is covered). A message, an
error and a notice each fade after a while, or are withdrawn when they no longer hold (a
``topic`` names what they are about). Everything shown is also kept, whole, in ``history``,
which the messages log (``L``) lists: the bar cuts a long line, the log does not.

Fading reads ``clock`` on a short interval rather than sleeping on a timer per line, so a
test with a clock of its own moves time on and waits for the line to go.

The outcome of what the user did (a message or an error) is theirs until their next key
press: it neither fades nor gives way to a live notice before then, and comes first on the
line, so that a notice is what a long line cuts. Notices count what arrived since the user
last pressed a key, not everything since the line last faded.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ...canvas.errors import UNREACHABLE
from ...inbox.formatting import utcnow
from ...inbox.notices import Notice, NoticeGroup

# How long each kind of line stays: a done action's line is read at once, a notice of someone
# writing may come while one looks elsewhere, an error is worth a longer look (and the log keeps it).
FADE = {"message": timedelta(seconds=10), "notice": timedelta(seconds=20), "error": timedelta(seconds=30)}
HISTORY = 500  # lines the messages log keeps: enough for a day, bounded whatever the server sends
LONGEST = 10_000  # characters kept of one line (an error may quote a server's answer)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "message", "error", "notice" or "feed"
    text: str


class StatusBar(Static):
    DEFAULT_CSS = """
    /* One line: Textual wraps a Text by words whatever its no_wrap, so render() cuts it itself. */
    StatusBar { dock: bottom; height: 1; background: $panel; color: $text; padding: 0 1;
                text-wrap: nowrap; text-overflow: ellipsis; }
    """

    feed = reactive("offline")
    feed_detail = reactive("")
    stale = reactive("")  # "offline, as of 10:42": the list is the cache's, Canvas cannot be reached
    running = reactive("")
    indexing = reactive("")  # the search indexer's progress ("Indexing 340 of 1,000"), empty when done
    message = reactive("")
    error = reactive("")
    notice = reactive("")
    selection = reactive(0)
    log_key = reactive("L")  # the key that opens the messages log, named when a line is cut

    def __init__(self, *, clock: Callable[[], datetime] = utcnow, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.history: deque[Entry] = deque(maxlen=HISTORY)
        self.notices = NoticeGroup()
        self._shown: dict[str, tuple[datetime, str | None]] = {}  # kind -> (when shown, topic)
        self._order: dict[str, int] = {}  # kind -> when shown, as a count of lines shown
        self._said = 0
        self.outcome_held = False  # a message or error shown since the user's last key press
        self._notices_seen = False  # the user pressed a key since the notices shown were gathered

    def on_mount(self) -> None:
        self.set_interval(0.25, self.fade)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        colours = {"live": "green", "polling": "yellow", "offline": "red", "not updating": "red", "connecting": "yellow"}
        if self.stale:  # "offline, as of 10:42" says the state itself: not "offline offline, as of"
            text.append(f"● {self.stale}", style="bold red")
        else:
            text.append(f"● {self.feed}", style=f"bold {colours.get(self.feed, 'white')}")
            if self.feed_detail:
                text.append(f" {self.feed_detail}", style="dim")
        if self.selection:
            text.append(f"  {self.selection:,} selected", style="bold")
        if self.running:
            text.append(f"  ⟳ {self.running}")
        if self.indexing:
            text.append(f"  {self.indexing}", style="dim")
        # The newer of the two comes first, so that when the line is too long it is the older one
        # that gets cut: a countdown ("Sending in 4 s (u undoes)") or an error just caused stays
        # whole beside a notice, and a notice stays whole beside "Signed in as ...".
        said = Text()
        if self.error:
            said.append("  ✖ ", style="bold red")
            said.append(self.error, style="red")
        elif self.message:
            said.append(f"  {self.message}", style="dim")
        heard = Text(f"  ✉ {self.notice}", style="bold") if self.notice else Text()
        notice_first = not self.outcome_held and self._newer("notice", "error" if self.error else "message")
        parts = [heard, said] if notice_first else [said, heard]
        for part in parts:
            text.append_text(part)
        hint = Text("   ? help", style="dim")
        width = self.size.width
        if width and text.cell_len + hint.cell_len > width:
            # Cut here, keeping the end: it says where the whole line is.
            hint = Text(f"  {self.log_key} messages", style="dim")
            text.truncate(max(1, width - hint.cell_len), overflow="ellipsis")
        text.append_text(hint)
        return text

    # -- showing ---------------------------------------------------------------------------
    def show_error(self, message: str, topic: str | None = None) -> None:
        line = " ".join(message.split())
        if topic is None and UNREACHABLE in line:
            topic = "network"  # it holds until Canvas answers again (the app withdraws it then)
        self.error = line
        self._mark("error", topic)
        self.outcome_held = True
        self.remember("error", line)

    def show_message(self, message: str, topic: str | None = None) -> None:
        self.error = ""
        self._shown.pop("error", None)
        self.message = " ".join(message.split())
        self._mark("message", topic)
        self.outcome_held = True
        self.remember("message", self.message)

    def show_notice(self, notice: Notice) -> None:
        """A live notice, said together with those shown since the user's last key press ("3 new messages: ...")."""
        if self._notices_seen:
            self.notices.clear()
            self._notices_seen = False
        self.notice = " ".join(self.notices.add(notice).split())
        self._mark("notice", None)
        self.remember("notice", notice.text)

    def remember(self, kind: str, text: str) -> None:
        if not text:
            return
        line = text if len(text) <= LONGEST else text[:LONGEST] + f"… ({len(text) - LONGEST:,} more characters)"
        if self.history and self.history[-1].kind == kind and self.history[-1].text == line:
            return  # an outcome said twice (by the session, then by the action) is one entry
        self.history.append(Entry(self.clock(), kind, line))

    # -- going away --------------------------------------------------------------------------
    def withdraw(self, topic: str) -> None:
        """Take away the line about ``topic``: what it said no longer holds."""
        for kind, (_, shown_topic) in list(self._shown.items()):
            if shown_topic == topic:
                self._clear(kind)

    def key_pressed(self) -> None:
        """The user pressed a key: they have seen the line; what it says may now fade and give way."""
        if self.outcome_held:
            self.outcome_held = False
            self.refresh()
        if self.notices.notices:
            self._notices_seen = True

    def fade(self) -> None:
        now = self.clock()
        for kind, (since, _) in list(self._shown.items()):
            if kind in ("message", "error") and self.outcome_held:
                continue  # the user has not pressed a key since: it is still their answer
            if now - since >= FADE[kind]:
                self._clear(kind)

    def _newer(self, kind: str, other: str) -> bool:
        """Whether ``kind`` was shown after ``other`` (by the order of showing: a test's clock stands still)."""
        return self._order.get(kind, -1) > self._order.get(other, -1)

    def _mark(self, kind: str, topic: str | None) -> None:
        self._shown[kind] = (self.clock(), topic)
        self._said += 1
        self._order[kind] = self._said

    def _clear(self, kind: str) -> None:
        self._shown.pop(kind, None)
        if kind == "notice":
            self.notices.clear()
        setattr(self, kind, "")
