"""The Activity mailbox: discussion topics, announcements and replies, newest first; ● marks the new."""

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

LABELS = {"announcement": "Announcement", "topic": "New topic", "reply": "Reply"}


class ActivityList(OptionList):
    DEFAULT_CSS = """
    /* Two lines per item, each cut with an ellipsis: Textual wraps a Text by words whatever its no_wrap. */
    ActivityList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class Opened(Message):
        def __init__(self, item: ActivityItem) -> None:
            super().__init__()
            self.item = item

    def __init__(self, *, clock: Callable[[], datetime], course_label: Callable[[str], str],
                 is_new: Callable[[ActivityItem], bool] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[ActivityItem] = []
        self._clock = clock
        self._course_label = course_label
        self._is_new = is_new or (lambda _item: False)

    def show_items(self, items: list[ActivityItem], loaded: bool) -> None:
        keep = self.current.key if self.current else None
        self.items = list(items)
        if not self.items:
            self.set_options([Option(Text("Loading activity…" if not loaded else "No discussion activity yet.",
                                          style="dim"), disabled=True)])
            return
        self.set_options([Option(self.prompt(item), id=str(i)) for i, item in enumerate(self.items)])
        index = next((i for i, item in enumerate(self.items) if item.key == keep), 0)
        self.highlighted = index

    def validate_scroll_y(self, value: float) -> float:
        """Every item is two lines: the top line is always an item's first, never a preview
        without the line that says what and who (down a line if the view allows, else up)."""
        value = super().validate_scroll_y(value)
        line = round(value)
        if self.items and line % 2:
            return float(line + 1 if line + 1 <= self.max_scroll_y else line - 1)
        return value

    @property
    def current(self) -> ActivityItem | None:
        index = self.highlighted
        return self.items[index] if index is not None and 0 <= index < len(self.items) else None

    def prompt(self, item: ActivityItem) -> Text:
        """Two lines: what, where and who; then a preview. Every part is plain text."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("● " if self._is_new(item) else "  ", style="bold")  # new since the last look, as unread rows
        kind = LABELS.get(item.kind, item.kind) + (" (graded)" if item.graded else "")
        text.append(f"{kind:<14}", style="bold" if item.kind == "announcement" else "")
        text.append(f"{one_line(self._course_label(item.context_code))[:12]:<13}", style="dim")
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
            self.post_message(self.Opened(self.items[int(event.option.id)]))
