"""The conversation list: a Line-API widget that renders only the rows on screen.

One line per conversation: unread mark, star, participants, subject and a preview of
the last message, course, date, message count, attachment mark. With 100,000 rows a key
press still paints about forty lines, so scrolling costs the same as with 100
(ARCHITECTURE.md: Toolong's ``log_lines.py`` is the model; ``ListView`` is not).
Server text reaches the screen as plain segments: nothing in it is parsed as markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...canvas.models import Conversation
from ...inbox.formatting import participants_label, relative_date
from ...inbox.text import one_line


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis (wide CJK and emoji counted right)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def fit_right(text: str, width: int) -> str:
    gap = width - cell_len(text)
    return " " * gap + text if gap >= 0 else fit(text, width)


def foreground(style: Style) -> Style:
    """``style`` without its background: colour and attributes only."""
    return style.without_color + Style(color=style.color)


class ConversationList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--unread",
        "conversation-list--dim",
        "conversation-list--star",
        "conversation-list--mark",
        "conversation-list--selected",
    }
    DEFAULT_CSS = """
    /* Rows are cut to the width: the list never scrolls sideways (a horizontal scrollbar
       would take a row whenever the vertical one narrows the content by its width). */
    ConversationList { background: $surface; overflow-x: hidden; }
    ConversationList > .conversation-list--cursor { background: $accent 40%; }
    ConversationList:focus > .conversation-list--cursor { background: $accent 70%; }
    ConversationList > .conversation-list--unread { text-style: bold; }
    ConversationList > .conversation-list--dim { color: $text-muted; }
    ConversationList > .conversation-list--star { color: $warning; }
    ConversationList > .conversation-list--mark { color: $accent; text-style: bold; }
    ConversationList > .conversation-list--selected { background: $primary 30%; }
    """

    # repaint=False: the watcher repaints the two rows that changed (and scrolling repaints
    # what scrolled); a repaint of the whole widget on every move would paint ~40 rows per key.
    cursor = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        def __init__(self, conversation: Conversation | None) -> None:
            super().__init__()
            self.conversation = conversation

    class Opened(Message):
        def __init__(self, conversation: Conversation) -> None:
            super().__init__()
            self.conversation = conversation

    def __init__(
        self,
        *,
        me: Callable[[], int],
        clock: Callable[[], datetime],
        course_label: Callable[[Conversation], str | None],
        date_style: str = "relative",
        is_selected: Callable[[int], bool] | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.rows: list[Conversation] = []
        self._me = me
        self._clock = clock
        self._course_label = course_label
        self.date_style = date_style
        self.is_selected = is_selected or (lambda _id: False)
        self.empty_text = "Nothing here."
        self.sent_dates = False
        self._pass_style: Style | None = None
        self._pass_styles: dict[tuple[bool, bool], tuple[Style, ...]] | None = None

    # -- data -----------------------------------------------------------------------
    def set_rows(self, rows: list[Conversation], keep: int | None = None) -> None:
        """Show new rows, keeping the cursor on conversation ``keep`` (or its old place)."""
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows))
        if keep is not None:
            index = next((i for i, r in enumerate(rows) if r.id == keep), None)
            if index is not None:
                self.cursor = index
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.refresh()

    @property
    def current(self) -> Conversation | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self.post_message(self.Highlighted(self.current))

    def refresh_line(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- moving ---------------------------------------------------------------------------
    def move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self.move(1)

    def action_cursor_up(self) -> None:
        self.move(-1)

    def action_page_down(self) -> None:
        self.move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self.move(-max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, len(self.rows) - 1)

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    # -- painting -------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style walks every ancestor, and the row styles add to it: work them out
        # once per paint, not once per row.
        self._pass_style = self.rich_style
        self._pass_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._pass_style = self._pass_styles = None

    def row_styles(self, selected: bool, is_cursor: bool) -> tuple[Style, Style, Style, Style, Style]:
        """Base, dim, unread, mark and star styles of a row: the same for every row of a paint."""
        styles = self._pass_styles.get((selected, is_cursor)) if self._pass_styles is not None else None
        if styles is None:
            get = self.get_component_rich_style
            base = self._pass_style or self.rich_style
            if selected:
                base = base + get("conversation-list--selected")
            if is_cursor:
                base = base + get("conversation-list--cursor")
            # A component's full style carries the widget's own background: laid over the cursor's or
            # the selection's background it would paint that away, so only its foreground is added.
            styles = (base, base + foreground(get("conversation-list--dim")),
                      base + foreground(get("conversation-list--unread")),
                      base + foreground(get("conversation-list--mark")), base + foreground(get("conversation-list--star")))
            if self._pass_styles is not None:
                self._pass_styles[(selected, is_cursor)] = styles
        return styles

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self._pass_style or self.rich_style
        if not self.rows and y == 0:
            return Strip([Segment(fit(f"  {self.empty_text}", width), base + self.get_component_rich_style("conversation-list--dim"))])
        if index >= len(self.rows):
            return Strip.blank(width, base)
        return Strip(self.row_segments(self.rows[index], width, index == self.cursor), width)

    def row_segments(self, row: Conversation, width: int, is_cursor: bool) -> list[Segment]:
        base, dim, bold, mark_style, star_style = self.row_styles(self.is_selected(row.id), is_cursor)
        unread = row.workflow_state == "unread"
        strong = bold if unread else base

        course = one_line(self._course_label(row) or "")
        # Sent is ordered by what I wrote last, so its date column shows that.
        stamp = (row.last_authored_message_at if self.sent_dates else None) or row.last_message_at or row.last_authored_message_at
        date = relative_date(stamp, self._clock(), self.date_style)
        count = f"{row.message_count}" if row.message_count > 1 else ""
        right_widths = (min(12, max(8, width // 8)), 7 if self.date_style == "relative" else 17, 4, 2)
        names_width = max(10, min(26, width // 5))
        middle = width - 4 - names_width - 1 - sum(right_widths) - 3
        segments = [
            Segment(("✓" if self.is_selected(row.id) else " ") + ("●" if unread else " "), mark_style),
            Segment("★ " if row.starred else "  ", star_style),
            Segment(fit(participants_label(row, self._me()), names_width) + " ", strong),
        ]
        subject = one_line(row.subject) or "(no subject)"
        preview = one_line(row.last_message or row.last_authored_message or "")
        if middle > 0:
            head = fit(subject, middle) if cell_len(subject) >= middle - 3 or not preview else subject
            segments.append(Segment(head, strong))
            rest = middle - cell_len(head)
            if rest > 3 and preview:
                # The dash apart: " — " is not ASCII, and a preview joined to it is measured and cut
                # character by character (rich's slow path) instead of with len() and slicing.
                segments += [Segment(" — ", dim), Segment(fit(preview, rest - 3), dim)]
            elif rest > 0:
                segments.append(Segment(fit(f" — {preview}" if preview else "", rest), dim))
        segments += [
            Segment(" " + fit(course, right_widths[0]), dim),
            Segment(" " + fit_right(date, right_widths[1] - 1), strong if unread else dim),
            Segment(" " + fit_right(count, right_widths[2] - 1), dim),
            Segment(" " + ("📎" if "attachments" in row.properties else "  "), dim),
        ]
        return list(Segment.adjust_line_length(segments, width, style=base))
