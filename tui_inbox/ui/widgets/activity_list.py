"""The Activity mailbox: discussion topics, announcements and replies, newest first; ● marks the new.

With several accounts it holds every account's items (inbox/merged_activity.py), each with its
account's tag; an item is known by (account, item), and opened in its own account."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...inbox.activity import ActivityItem
from ...inbox.formatting import relative_date
from ...inbox.text import one_line
from .account_tag import AccountTags, tag_classes, tag_css

Tagged = tuple[str, ActivityItem]  # an item with its account

LABELS = {"announcement": "Announcement", "topic": "New topic", "reply": "Reply"}


class ActivityList(OptionList):
    COMPONENT_CLASSES = tag_classes("activity-list")
    DEFAULT_CSS = """
    /* Two lines per item, each cut with an ellipsis: Textual wraps a Text by words whatever its no_wrap. */
    ActivityList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """ + tag_css("ActivityList", "activity-list")

    class Opened(Message):
        def __init__(self, account: str, item: ActivityItem) -> None:
            super().__init__()
            self.account = account
            self.item = item

    def __init__(self, *, clock: Callable[[], datetime], course_label: Callable[[str, str], str],
                 is_new: Callable[[str, ActivityItem], bool] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tagged: list[Tagged] = []
        self.tags = AccountTags()
        self._clock = clock
        self._course_label = course_label  # (account, context code) -> the course's name there
        self._is_new = is_new or (lambda _account, _item: False)

    @property
    def items(self) -> list[ActivityItem]:
        """The items shown, newest first (``tagged`` has each with its account)."""
        return [item for _, item in self.tagged]

    def set_tags(self, names: list[str]) -> None:
        """Several accounts: each item starts with its account's name, in its colour."""
        self.tags = AccountTags(names)

    def show_items(self, items: list[Tagged], loaded: bool) -> None:
        keep = self.current_key
        self.tagged = list(items)
        if not self.tagged:
            self.set_options([Option(Text("Loading activity…" if not loaded else "No discussion activity yet.",
                                          style="dim"), disabled=True)])
            return
        self.set_options([Option(self.prompt(item, account), id=str(i)) for i, (account, item) in enumerate(self.tagged)])
        index = next((i for i, (account, item) in enumerate(self.tagged) if (account, item.key) == keep), 0)
        self.highlighted = index

    def validate_scroll_y(self, value: float) -> float:
        """Every item is two lines: the top line is always an item's first, never a preview
        without the line that says what and who (down a line if the view allows, else up)."""
        value = super().validate_scroll_y(value)
        line = round(value)
        if self.tagged and line % 2:
            return float(line + 1 if line + 1 <= self.max_scroll_y else line - 1)
        return value

    @property
    def current_tagged(self) -> Tagged | None:
        index = self.highlighted
        return self.tagged[index] if index is not None and 0 <= index < len(self.tagged) else None

    @property
    def current(self) -> ActivityItem | None:
        tagged = self.current_tagged
        return tagged[1] if tagged is not None else None

    @property
    def current_account(self) -> str | None:
        tagged = self.current_tagged
        return tagged[0] if tagged is not None else None

    @property
    def current_key(self) -> tuple[str, str] | None:
        tagged = self.current_tagged
        return (tagged[0], tagged[1].key) if tagged is not None else None

    def prompt(self, item: ActivityItem, account: str | None = None) -> Text:
        """Two lines: what, where and who; then a preview. Every part is plain text. ``account``:
        the item's (when not said, the one it is shown with)."""
        if account is None:
            account = next((name for name, shown in self.tagged if shown is item), "")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("● " if self._is_new(account, item) else "  ", style="bold")  # new since the last look, as unread rows
        self.tags.append(text, account, self.get_component_rich_style, "activity-list")
        kind = LABELS.get(item.kind, item.kind) + (" (graded)" if item.graded else "")
        text.append(f"{kind:<14}", style="bold" if item.kind == "announcement" else "")
        text.append(f"{one_line(self._course_label(account, item.context_code))[:12]:<13}", style="dim")
        text.append(one_line(item.author) or "someone", style="bold")
        text.append(" · ")
        text.append(one_line(item.topic_title) or "(untitled)")
        text.append(f"  {relative_date(item.when, self._clock())}", style="dim")
        text.append("\n     ")
        text.append(one_line(item.text)[:200] or "(no text)", style="dim")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Opened(*self.tagged[int(event.option.id)]))
