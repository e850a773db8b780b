"""The Textual app: it assembles. Config, the keymap and the session's lifetime live here.

The main screen (screens/main.py) lays out and paints what the session says changed; its
controllers (controllers/) turn the keys below into calls of the core. Widgets never call HTTP:
every action runs an ``InboxSession`` coroutine in a worker.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import platformdirs
from textual import events, on, work
from textual.app import App
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Input

from ..inbox.accounts import Accounts
from ..inbox.changes import MergedChange
from ..inbox.formatting import utcnow
from ..inbox.notices import Notice
from ..inbox.merged_activity import MergedActivity
from ..inbox.merged_triage import MergedTriage
from ..inbox.merged_view import MergedView
from ..inbox.session import InboxSession
from .keys import ALL_KEYS, APP_KEYS, APP_ONLY_KEYS, PANE_KEYS, bindings
from .moved_keys import MovedKeys
from .screens.background_send import Sent
from .screens.main import InboxScreen
from .widgets.panes import InboxList, InboxRail, InboxThread
from .widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from ..inbox.indexer import Indexer
    from .widgets.panels import InboxActivity

__all__ = ["InboxApp", "InboxList", "InboxRail", "InboxThread"]  # launch.py reads the panes' keys here


class InboxApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "tui-inbox"
    BINDINGS = bindings(APP_KEYS) + bindings(PANE_KEYS) + bindings(APP_ONLY_KEYS)

    def __init__(
        self,
        session: InboxSession | Accounts,
        *,
        feed: Any = None,
        feeds: dict[str, Any] | None = None,
        feed_makers: dict[str, Callable[[], Any]] | None = None,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        date_style: str = "relative",
        rail: str = "shown",
        downloads: Path | None = None,
        notify_mode: str = "notice",
        clock: Callable[[], datetime] = utcnow,
        account_label: str = "",
    ) -> None:
        super().__init__()
        self.accounts = session if isinstance(session, Accounts) else Accounts([(account_label or "canvas", session)])
        """Every account's session (one per account): the app starts them, and closes them on the way out."""
        self.feeds: dict[str, Any] = dict(feeds or {})
        """Each account's live feed (live/feed.py): what tells its inbox that Canvas changed."""
        self.feed_makers: dict[str, Callable[[], Any]] = dict(feed_makers or {})
        """What makes an account's feed when it is first followed, after the first frame (launch.feed_maker)."""
        if feed is not None:
            self.feed = feed
        self.merged = MergedView(self.accounts)
        """The list's rows: the mailbox of every account (or of the one it is narrowed to), newest first."""
        self.merged_triage = MergedTriage(self.accounts)
        """The selection by (account, id), and the actions, each account's part through its own triage."""
        self.merged_activity = MergedActivity(self.accounts)  # Activity of every account, newest first
        self.keymap_overrides = dict(keymap or {})
        """The config's [keys]: binding id -> keys (ui/keys.py names the ids)."""
        self.moved_keys = MovedKeys(self.keymap_overrides)
        self.date_style = date_style
        self.rail_mode = rail  # [ui] rail: shown, hidden or auto
        # The user's own downloads folder (XDG_DOWNLOAD_DIR on Linux), made on the first download if missing.
        self.downloads = downloads or Path(platformdirs.user_downloads_dir())
        self.notify_mode = notify_mode
        self.clock = clock
        self.account_label = account_label
        if theme:
            self.theme = theme
        self._unsubscribe = self.accounts.on_change(self._session_changed)
        self.after_first_frame: list[Callable[[], None]] = []  # what the command does once the screen is up
        self.farewell: list[str] = []  # lines for the terminal once the screen is gone (launch.run prints them)
        self.main: InboxScreen | None = None
        """The main screen, kept past the app's end: a late update asks it whether to paint."""

    @property
    def session(self) -> InboxSession:
        """The session of the account a key acts on (the row under the cursor's, or the open
        conversation's); with one account, that account's."""
        if self.main is None:
            return self.accounts.session(self.accounts.names[0])
        return self.accounts.session(self.main.aim.focus_account())

    @property
    def feed(self) -> Any:
        """The first account's live feed, or None (a test sets it before the app runs)."""
        return self.feeds.get(self.accounts.names[0])

    @feed.setter
    def feed(self, feed: Any) -> None:
        if feed is None:  # none at all: nothing is followed
            self.feeds.pop(self.accounts.names[0], None)
            self.feed_makers.pop(self.accounts.names[0], None)
        else:
            self.feeds[self.accounts.names[0]] = feed

    def get_default_screen(self) -> InboxScreen:
        self.main = InboxScreen(self)
        return self.main

    # -- the main screen's parts, for the palette, the composer (its status line once closed), the tests --
    @property
    def list(self) -> InboxList:
        return self.main.list

    @property
    def thread(self) -> InboxThread:
        return self.main.thread

    @property
    def status(self) -> StatusBar:
        return self.main.status

    @property
    def activity_list(self) -> "InboxActivity":
        return self.main.activity_list

    @property
    def search_indexer(self) -> Indexer | None:
        return self.main.search.indexer

    @property
    def indexer_waits(self) -> bool:
        return self.main.search.indexer_waits

    @property
    def search_mode(self) -> str:
        return self.main.search.mode

    @property
    def visual_anchor(self) -> int | None:
        return self.main.triage.visual_anchor

    def counts(self) -> dict[str, int | None]:
        return self.main.counts()

    # -- the session's lifetime ----------------------------------------------------------------
    def on_mount(self) -> None:
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)

    @on(InboxScreen.Ready)
    def screen_ready(self) -> None:
        for then in self.after_first_frame:
            self.call_after_refresh(then)
        self.start_session()

    @work(exclusive=True, group="start")
    async def start_session(self) -> None:
        """Start every account at once (controllers/starting.py): one that is offline or refused is
        that account's state, and never holds up the others."""
        await self.main.starting.start()

    def on_resize(self, event: events.Resize) -> None:
        if self.main is not None:
            self.main.layout_for(event.size.width)

    def _session_changed(self, change: MergedChange) -> None:
        if not self.is_running or self.main is None:
            return  # shutting down (or not yet up): a late update has no screen to paint
        try:
            self._paint_change(change)
        except NoMatches:
            pass  # the widgets are already gone (the app is closing)

    def _paint_change(self, change: MergedChange) -> None:
        self.main.paint_change(change)

    async def on_unmount(self) -> None:
        for member in self.accounts:
            if member.session.mailbox.id == "activity":
                member.session.activity.looked_away()  # quitting from Activity is leaving it: what it showed was seen
        self._unsubscribe()
        if self.main is not None:
            self.main.feed.stop()
        for feed in self.feeds.values():
            await feed.aclose()
        await self.accounts.aclose()

    # -- the feed: what the session hears from Canvas ----------------------------------------------
    async def on_feed_change(self, change, account: str | None = None) -> None:
        await self.main.feed.apply(change, account)

    def paint_feed(self) -> None:
        self.main.feed.paint(self.accounts.names[0])

    def announce(self, notice: Notice) -> None:
        self.main.feed.announce(notice)

    def show_failed_update(self, error: Exception) -> None:
        self.main.feed.show_failed_update(error)

    @on(Sent)
    def sent_in_background(self, event: Sent) -> None:
        self.main.writing.say_sent(event.outcome)

    # -- keys ------------------------------------------------------------------------------------
    def current_keys(self) -> dict[str, str]:
        """Binding id -> keys in force (defaults with the config's [keys] applied)."""
        keys = {k.id: k.keys for k in ALL_KEYS}
        keys.update(self.keymap_overrides)
        return keys

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            # Before the key acts: the outcome it causes is the one held on the bar next.
            for bar in self.query(StatusBar):
                bar.key_pressed()
        await super().on_event(event)

    def on_key(self, event) -> None:
        """A key the config moved away, pressed where nothing holds it now: said once (moved_keys.py)."""
        if self.caught_up_by_text_field(event):
            return
        screen = self.screen
        if isinstance(screen, ModalScreen):  # help, a question, the palette: their own keys only
            return
        line = self.moved_keys.line_for(event.key, lambda: screen.active_bindings)
        if line is not None:  # on the composer's own status line when it covers the app's
            (self.status if screen is self.screen_stack[0] else screen).show_message(line)

    def caught_up_by_text_field(self, event: events.Key) -> bool:
        """A character typed right after a key that opens a text field (``/``, ``T``, ``r``, ``c`` ...),
        before that field had the focus, went to the list and comes back up here unused (a field
        keeps the characters typed into it): it belongs at the end of what is being typed there,
        never to the list, where "m" would mark read and "d" ask to delete."""
        field = self.focused
        if not event.is_printable or not event.character:
            return False
        # TextArea's module is imported with the first screen that has one (the composer's body),
        # not at start: no field can be one before then.
        text_area = sys.modules.get("textual.widgets._text_area")
        if isinstance(field, Input):
            field.insert_text_at_cursor(event.character)
        elif text_area is not None and isinstance(field, text_area.TextArea) and not field.read_only:
            field.insert(event.character)
        else:
            return False
        event.stop()
        return True

    def check_action(self, action: str, parameters) -> bool | None:
        # Back acts on the main screen only: in the composer (Esc moved off closing it) it would clear a
        # selection out of sight, and the key, left to nothing, says where closing went (on_key).
        if action == "escape" and self.screen is not self.screen_stack[0]:
            return False
        return super().check_action(action, parameters)

    def get_system_commands(self, screen):
        from .palette import commands

        yield from commands(self, screen, super().get_system_commands(screen))

    # -- each key's action (ui/keys.py), handed to the controller that does it --------------------
    # The keys stay bound on the app, not on the main screen: they act wherever they did (over the
    # composer too), and launch.key_scopes checks a remapped key against them in every place.
    def action_mailbox(self, mailbox: str) -> None:
        self.main.reading.switch_to(mailbox)

    def action_next_account(self) -> None:
        self.main.reading.next_account()

    def action_toggle_rail(self) -> None:
        self.main.toggle_rail()

    def action_refresh(self) -> None:
        self.main.reading.refresh()

    def action_escape(self) -> None:
        self.main.back()

    def action_star(self) -> None:
        self.main.triage.act("star", "starring")

    def action_archive(self) -> None:
        self.main.triage.act("archive", "archiving")

    def action_toggle_read(self) -> None:
        self.main.triage.act("read", "marking")

    def action_mute(self) -> None:
        # Private rows are left out by the triage (Canvas ignores subscribed on them), unsent.
        self.main.triage.act("mute", "muting")

    def action_delete(self) -> None:
        self.main.triage.delete()

    def action_delete_message(self) -> None:
        self.main.triage.delete_message()

    def action_mark_all_read(self) -> None:
        self.main.triage.mark_all_read()

    def action_repeat(self) -> None:
        self.main.triage.repeat()

    def action_select(self) -> None:
        self.main.triage.select()

    def action_visual(self) -> None:
        self.main.triage.visual()

    def action_select_all(self) -> None:
        self.main.triage.select_all()

    def action_undo(self) -> None:
        self.main.outbox.undo()

    def action_select_pattern(self) -> None:
        self.main.search.select_by_pattern()

    def action_search(self) -> None:
        self.main.search.narrow()

    def action_search_everywhere(self) -> None:
        self.main.search.everywhere()

    def action_thread_order(self) -> None:
        self.main.reading.thread_order()

    def action_next_conversation(self) -> None:
        self.main.reading.step(1)

    def action_previous_conversation(self) -> None:
        self.main.reading.step(-1)

    def action_next_unread(self) -> None:
        self.main.reading.next_unread()

    def action_attachments(self) -> None:
        self.main.reading.attachments()

    def action_open_web(self) -> None:
        self.main.reading.open_web()

    def action_compose(self) -> None:
        self.main.writing.compose()

    def action_reply(self) -> None:
        self.main.writing.reply()

    def action_reply_all(self) -> None:
        self.main.writing.answer("reply_all")

    def action_forward(self) -> None:
        self.main.writing.answer("forward")

    def action_add_people(self) -> None:
        self.main.writing.answer("add_people")

    def action_open_sent(self) -> None:
        self.main.writing.open_sent()

    def action_inbox_settings(self) -> None:
        self.main.inbox_settings.open()

    async def action_quit(self) -> None:
        self.main.outbox.quit()  # what waits out its undo delay is sent first

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.current_keys()))

    def action_messages(self) -> None:
        from .screens.messages import MessagesScreen

        self.push_screen(MessagesScreen(self.status.history))
