"""The conversation list: a Line-API widget that renders only the rows on screen.

One line per conversation (``conversation_row.py``). With 100,000 rows a key press still
paints at most a screenful, so scrolling costs the same as with 100 (ARCHITECTURE.md:
Toolong's ``log_lines.py`` is the model; ``ListView`` is not). To answer a key within a
frame on a slow machine the list also:
  - scrolls itself (``top``) rather than through Textual's scrolling, which re-arranges
    the whole screen on every step, and draws its own one-column scrollbar;
  - keeps finished lines, so a scroll by one row builds one line, and builds the pages
    above and below while the keys pause;
  - hands Textual its lines ready, past the per-line styling pass it has no use for.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator, Sequence

from rich.cells import cell_len

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from ...canvas.models import Conversation
from ...inbox.merged_view import MergedRows, RowKey
from .conversation_row import RowStyles, fit, foreground, row_segments
from .scroll_thumb import thumb_lines


TAG_MAX = 10  # cells of an account's name shown as its rows' tag (names are short: config.py)
TAG_COLOURS = 5  # tag colours from the theme; a sixth account shares the first's


class ConversationList(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--unread",
        "conversation-list--dim",
        "conversation-list--star",
        "conversation-list--mark",
        "conversation-list--selected",
        *(f"conversation-list--tag-{number}" for number in range(TAG_COLOURS)),
    }
    DEFAULT_CSS = """
    /* The list scrolls itself (see ``top``) and draws its own one-column scrollbar: Textual's
       scrolling re-arranges the whole screen and repaints a scrollbar widget on every step,
       which took more than half of a key press. Rows are cut to the width. */
    ConversationList { background: $surface; overflow: hidden hidden; }
    ConversationList > .conversation-list--cursor { background: $accent 40%; }
    ConversationList:focus > .conversation-list--cursor { background: $accent 70%; }
    ConversationList > .conversation-list--unread { text-style: bold; }
    ConversationList > .conversation-list--dim { color: $text-muted; }
    ConversationList > .conversation-list--star { color: $warning; }
    ConversationList > .conversation-list--mark { color: $accent; text-style: bold; }
    ConversationList > .conversation-list--selected { background: $primary 30%; }
    /* Each account's tag in a colour of the theme's, in the order of the config. */
    ConversationList > .conversation-list--tag-0 { color: $primary; text-style: bold; }
    ConversationList > .conversation-list--tag-1 { color: $success; text-style: bold; }
    ConversationList > .conversation-list--tag-2 { color: $accent; text-style: bold; }
    ConversationList > .conversation-list--tag-3 { color: $secondary; text-style: bold; }
    ConversationList > .conversation-list--tag-4 { color: $error; text-style: bold; }
    """

    # repaint=False: the watcher repaints the two rows that changed (and scrolling repaints
    # what scrolled); a repaint of the whole widget on every move would paint ~40 rows per key.
    cursor = reactive(0, always_update=True, repaint=False)

    # Finished lines, so that scrolling by a row builds one line rather than the whole screen.
    # The screen and the pages above and below it; more would cost more in the garbage
    # collector's passes (each Strip carries its own caches) than it saves.
    LINE_CACHE_PAGES = 4
    PREFETCH_AFTER = 0.04  # seconds

    class Highlighted(Message):
        def __init__(self, conversation: Conversation | None, key: RowKey | None = None) -> None:
            super().__init__()
            self.conversation = conversation
            self.key = key  # (account, conversation id)

    class Opened(Message):
        def __init__(self, conversation: Conversation, key: RowKey) -> None:
            super().__init__()
            self.conversation = conversation
            self.key = key

    def __init__(
        self,
        *,
        me: Callable[[str], int],
        clock: Callable[[], datetime],
        course_label: Callable[[str, Conversation], str | None],
        date_style: str = "relative",
        is_selected: Callable[[RowKey], bool] | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        # Before super().__init__, which may already ask for a repaint (see refresh()).
        self._lines: LRUCache[tuple, tuple[Conversation, Strip]] = LRUCache(self.line_cache_size(0))
        super().__init__(name=name, id=id)
        self.rows: Sequence[Conversation] = []  # a MergedRows (merged_view.py) in the app: each row's account too
        self.tags: dict[str, int] = {}  # account -> its colour's number, when the rows say whose they are
        self.tag_width = 0  # cells of the account tags' column (0: one account, no column)
        self.top = 0  # the row on the first line
        self._me = me
        self._clock = clock
        self._course_label = course_label
        self.date_style = date_style
        self.is_selected = is_selected or (lambda _id: False)
        self.empty_text = "Nothing here."
        self.sent_dates = False
        self._pass_style: Style | None = None
        self._pass_styles: dict[tuple[bool, bool], RowStyles] | None = None
        self._pass_minute = 0
        self._pass_bar: tuple[range, Style, Style] | None = None
        self._pass_width = 0
        self._prefetch_timer: Timer | None = None

    # -- data -----------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Conversation], keep: RowKey | None = None) -> None:
        """Show new rows, keeping the cursor on conversation ``keep`` (or its old place).

        Rows that arrive (or leave) above it move the view with them, so that the row under
        the cursor stays on its line of the screen: keys typed while the list changes act on
        the rows the user sees. Only at the very top does an arrival push it down, so that
        someone watching the newest conversations sees each new one come in.
        """
        self.rows = rows
        if keep is not None:
            index = (rows.index_of(keep) if isinstance(rows, MergedRows)
                     else next((i for i, r in enumerate(rows) if r.id == keep[1]), None))
            if index is not None:
                if self.cursor > 0 or self.top > 0:
                    self.top = max(0, self.top + index - self.cursor)
                self.cursor = index
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.refresh()
        self.prefetch_soon()

    @property
    def current(self) -> Conversation | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def current_key(self) -> RowKey | None:
        return self.key(self.cursor) if 0 <= self.cursor < len(self.rows) else None

    def key(self, index: int) -> RowKey:
        """Row ``index``'s key, (account, conversation id): ids of two schools may be the same."""
        rows = self.rows
        return rows.key(index) if isinstance(rows, MergedRows) else ("", rows[index].id)

    def account(self, index: int) -> str:
        rows = self.rows
        return rows.account(index) if isinstance(rows, MergedRows) else ""

    def set_tags(self, names: list[str]) -> None:
        """Several accounts: each row starts with its account's name, in a colour of its own."""
        self.tags = {name: number for number, name in enumerate(names)} if len(names) > 1 else {}
        self.tag_width = min(TAG_MAX, max(map(cell_len, names))) + 1 if self.tags else 0
        self._lines.clear()
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        if not self.scroll_to_show(new):
            self.refresh_line(old)
            self.refresh_line(new)
        self.post_message(self.Highlighted(self.current, self.current_key))

    def refresh_line(self, index: int) -> None:
        y = index - self.top
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # -- scrolling ------------------------------------------------------------------------
    def scroll_to_top_row(self, top: int) -> bool:
        """Show rows from ``top`` (kept in range); True if the view moved."""
        top = max(0, min(top, len(self.rows) - self.size.height))
        if top == self.top:
            return False
        self.top = top
        self.refresh(self.size.region)  # a region: the finished lines stay cached
        self.prefetch_soon()
        return True

    def scroll_to_show(self, index: int) -> bool:
        """Scroll as little as shows row ``index``; True if the view moved."""
        height = self.size.height
        if index < self.top:
            return self.scroll_to_top_row(index)
        if height and index >= self.top + height:
            return self.scroll_to_top_row(index - height + 1)
        return self.scroll_to_top_row(self.top)  # the rows may have shrunk under the view

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_to_top_row(self.top + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_to_top_row(self.top - 3)

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
            self.post_message(self.Opened(self.current, self.current_key))

    def on_resize(self) -> None:
        self._lines.maxsize = self.line_cache_size(self.size.height)
        self.scroll_to_show(self.cursor)

    @classmethod
    def line_cache_size(cls, height: int) -> int:
        return cls.LINE_CACHE_PAGES * max(50, height)

    def on_mount(self) -> None:
        # Relative dates ("now", "5m") age without a key press: repaint them once a minute.
        self.set_interval(60, self.refresh, name="relative dates")

    def on_click(self, event: events.Click) -> None:
        """A click on a row puts the cursor there; on the bar, jumps to that place in the list."""
        if not self.rows:
            return
        if self.has_bar and event.x == self.size.width - 1:
            share = event.y / max(1, self.size.height - 1)
            self.cursor = round(share * (len(self.rows) - 1))
        else:
            self.cursor = min(len(self.rows) - 1, self.top + event.y)

    # -- the line cache -------------------------------------------------------------------
    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> ConversationList:
        # A repaint of the whole widget is asked for when the rows, their look or the clock
        # changed, so the finished lines go; scrolling asks for a region and keeps them.
        if repaint and not regions:
            self._lines.clear()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()  # focus, theme: the cursor's and the rows' colours change

    # -- painting -------------------------------------------------------------------------
    @contextmanager
    def paint_pass(self) -> Iterator[None]:
        # The widget's style walks every ancestor, and the row styles add to it: work them out
        # once per paint, not once per row.
        self._pass_style = self.rich_style
        self._pass_styles = {}
        self._pass_minute = int(self._clock().timestamp() // 60)  # dates in cached lines age by the minute
        self._pass_width = self.size.width  # Textual works the size out from the screen each time
        self._pass_bar = self.bar_styles() if self.has_bar else None
        try:
            yield
        finally:
            self._pass_style = self._pass_styles = self._pass_bar = None
            self._pass_width = 0

    def render_lines(self, crop: Region) -> list[Strip]:
        with self.paint_pass():
            if self.plainly_styled():
                return self.finished_lines(crop)
            return super().render_lines(crop)

    def plainly_styled(self) -> bool:
        """No border, padding, tint or transparency: nothing for Textual to add to a row's line."""
        styles = self.styles
        return (not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
                and styles.padding == (0, 0, 0, 0) and not styles.tint.a and styles.text_opacity == 1
                and self.opacity == 1 and styles.hatch in (None, "none"))

    def finished_lines(self, crop: Region) -> list[Strip]:
        """The rows as the screen shows them, without Textual's per-line styling pass.

        That pass (borders, padding, tint, opacity) costs more than the row itself, and a
        scroll sends every line through it again; a plainly styled list needs only the app's
        line filters, whose results each cached line keeps.
        """
        finish = self.line_finisher()
        strips = [finish(self.render_line(y)) for y in crop.line_range]
        if crop.column_span != (0, self._pass_width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def line_finisher(self) -> Callable[[Strip], Strip]:
        """The app's line filters (colour conversion, dimming), applied as Textual would apply them."""
        background = self.background_colors[1]
        filters = self.get_line_filters()

        def finish(strip: Strip) -> Strip:
            for line_filter in filters:  # each strip keeps what a filter made of it
                strip = strip.apply_filter(line_filter, background)
            return strip
        return finish

    def row_styles(self, selected: bool, is_cursor: bool) -> RowStyles:
        """Base, dim, unread, mark and star styles of a row: the same for every row of a paint."""
        styles = self._pass_styles.get((selected, is_cursor))
        if styles is None:
            get = self.get_component_rich_style
            base = self._pass_style
            if selected:
                base = base + get("conversation-list--selected")
            if is_cursor:
                base = base + get("conversation-list--cursor")
            # A component's full style carries the widget's own background: laid over the cursor's or
            # the selection's background it would paint that away, so only its foreground is added.
            styles = RowStyles(base, base + foreground(get("conversation-list--dim")),
                               base + foreground(get("conversation-list--unread")),
                               base + foreground(get("conversation-list--mark")),
                               base + foreground(get("conversation-list--star")))
            self._pass_styles[(selected, is_cursor)] = styles
        return styles

    @property
    def has_bar(self) -> bool:
        return len(self.rows) > self.size.height > 0

    def bar_styles(self) -> tuple[range, Style, Style]:
        """The lines the thumb covers, and the thumb's and the track's styles."""
        # Blended as Textual's own scrollbar blends them, so the bar looks like every other one.
        track = self.styles.scrollbar_background
        if track.a < 1:
            track = self.background_colors[0] + track
        thumb = track + self.styles.scrollbar_color
        return (thumb_lines(self.top, self.size.height, len(self.rows)),
                Style(bgcolor=thumb.rich_color), Style(bgcolor=track.rich_color))

    def bar_style(self, y: int) -> Style:
        lines, thumb_style, track_style = self._pass_bar
        return thumb_style if y in lines else track_style

    def render_line(self, y: int) -> Strip:
        if not self._pass_width:  # asked for one line, outside a paint
            with self.paint_pass():
                return self.render_line(y)
        index, width, base = self.top + y, self._pass_width, self._pass_style
        if not self.rows and y == 0:
            return Strip([Segment(fit(f"  {self.empty_text}", width), base + self.get_component_rich_style("conversation-list--dim"))])
        bar = self.bar_style(y) if self._pass_bar else None
        if index >= len(self.rows):
            blank = Strip.blank(width - 1 if bar else width, base)
            return Strip.join([blank, Strip([Segment(" ", bar)], 1)]) if bar else blank
        return self.row_line(index, width, bar)

    def row_line(self, index: int, width: int, bar: Style | None) -> Strip:
        """Row ``index`` as a finished line, ``width`` cells with the bar's cell at the end."""
        row, is_cursor = self.rows[index], index == self.cursor
        row_key = self.key(index)
        key = (index, row_key[0], is_cursor, self.is_selected(row_key), width, bar, self._pass_minute)
        cached = self._lines.get(key)
        if cached is not None and cached[0] is row:
            return cached[1]
        segments = self.row_segments(index, row, width - 1 if bar else width, is_cursor)
        if bar:
            segments.append(Segment(" ", bar))
        strip = Strip(segments, width)
        self._lines[key] = (row, strip)
        return strip

    # -- the next page, ready before it is asked for --------------------------------------------
    def prefetch_soon(self) -> None:
        # Once the keys pause: after the frame (at most 17 ms away), and not between the
        # presses of a held key, where it would only delay the next one.
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        if self.is_mounted:
            self._prefetch_timer = self.set_timer(self.PREFETCH_AFTER, self.prefetch, name="prefetch")

    def prefetch(self) -> None:
        """Build the page below and the page above while the app is idle.

        A page key shows about forty rows never painted before; built here, after the frame,
        they are cache hits when the key comes (all but the cursor's row and the thumb's).
        """
        self._prefetch_timer = None
        height = self.size.height
        if not self.rows or not height or not self.is_mounted:
            return
        with self.paint_pass():
            if not self.plainly_styled():
                return
            finish = self.line_finisher()
            track = self._pass_bar[2] if self._pass_bar else None  # the thumb is rarely where they will show
            below = range(self.top + height, min(len(self.rows), self.top + 2 * height))
            above = range(max(0, self.top - height), self.top)
            for index in (*below, *above):
                finish(self.row_line(index, self._pass_width, track))

    def row_segments(self, index: int, row: Conversation, width: int, is_cursor: bool) -> list[Segment]:
        """Within a paint pass (``render_line`` or ``prefetch``), which works the styles out."""
        account = self.account(index)
        selected = self.is_selected((account, row.id))
        styles = self.row_styles(selected, is_cursor)
        tag_width = self.tag_width if width > 40 + self.tag_width else 0  # a narrow list keeps its subject
        segments = row_segments(row, width - tag_width, styles, selected=selected,
                                me_id=self._me(account), course=self._course_label(account, row), now=self._clock(),
                                date_style=self.date_style, sent_dates=self.sent_dates)
        if tag_width:
            colour = self.get_component_rich_style(f"conversation-list--tag-{self.tags.get(account, 0) % TAG_COLOURS}")
            segments.insert(2, Segment(fit(account, tag_width - 1) + " ", styles.base + foreground(colour)))
        return segments
