"""The open conversation: who is in it, then its messages as a thread.

Oldest first by default (a key toggles), forwarded messages nested and indented under
the message that carries them, generated messages ("X was added ...") set apart,
attachments with name and size, media comments as links. A message cursor (J/K) picks one
of the conversation's own messages (with what it forwards), highlighted while the pane has
focus: the one ``d`` deletes. Every string from the
server goes into a ``rich.text.Text`` as plain text: markup in it is shown, not run.

Only a window of the thread is laid out as widgets: at most ``WINDOW`` of its messages around
the message cursor, whatever the thread's length. Canvas sends a conversation's messages all
at once (there is no paging them), and a thread of 20,000 mounted whole took 16.7 s to show
and 13.7 s per key. The window follows the cursor (J/K, g/G, a search hit) and moves on when
the reader scrolls past its top or bottom; a line at either end says how many are beyond it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...canvas.models import Conversation, Message
from ...inbox.thread import thread_items
from .thread_text import discussion_header, entry_text, header_text, message_text, more_text


class MessageBlock(Static):
    DEFAULT_CSS = """
    MessageBlock { padding: 0 1; margin-bottom: 1; }
    MessageBlock.generated { color: $text-muted; content-align: center middle; text-align: center; margin-bottom: 1; }
    MessageBlock.forwarded { border-left: outer $secondary; padding-left: 1; color: $text-muted; margin-bottom: 0; }
    MessageBlock.mine { border-left: outer $accent; }
    MessageBlock.focus { border-left: outer $warning; background: $boost; }
    """


# Refreshes to wait for a block to be laid out before scrolling to it anyway.
LAYOUT_TRIES = 20
# The conversation's own messages laid out at once (the rest wait as data): two screens of a
# tall terminal, and more than most threads, which are then laid out whole as before. Every
# key press costs Textual a pass over the laid-out widgets: at 60 the median press took 40 ms,
# at 30, 8 (benchmarks/thread.py).
WINDOW = 30
# How far the window moves when the reader goes past its edge.
STEP = 10
# A thread of this many messages or more is left out of the collector's full passes while it
# is open (as the session does for a large mailbox): with 20,000 messages in memory, a full
# pass paused a key press for 150 ms and more.
LARGE_THREAD = 2_000


def out_of_full_passes() -> None:
    """Everything alive now (the open thread) is left out of the collector's full passes; what
    was garbage goes first. Memory is still freed by reference counting once the thread closes."""
    gc.collect()
    gc.freeze()



class ThreadView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ThreadView { padding: 0 1; }
    ThreadView > .thread-header { padding: 0 1; margin-bottom: 1; background: $boost; }
    ThreadView > .thread-empty { color: $text-muted; padding: 1 2; }
    ThreadView > .thread-more { padding: 0 1; margin-bottom: 1; text-align: center; }
    ThreadView:focus > MessageBlock.cursor { background: $accent 30%; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.conversation: Conversation | None = None
        self.order = "oldest"
        self.me = 0
        # The conversation's own messages in screen order, each with its blocks (itself and
        # the messages it forwards; none while outside the window), and the index of the one
        # under the message cursor.
        self.units: list[tuple[Message, list[MessageBlock]]] = []
        self.cursor = 0
        # What each unit shows (its message, then what it forwards), and the units laid out.
        self.unit_items: list[list[ThreadItem]] = []
        self.window = range(0)
        # The lines above and below the window, while the thread is a conversation's.
        self.above: Static | None = None
        self.below: Static | None = None
        # The discussion entry last scrolled to the top (None until the scroll has happened),
        # and how many times one has been: what a caller waits on after opening a discussion.
        self.pinned_entry_id: int | None = None
        self.pins = 0
        # Where the view was put at the end of the thread, while it should stay there: a later
        # layout that makes the thread taller (on a busy machine the scrollbar comes a frame after
        # the opening and rewraps a message; a narrower terminal) scrolls it to the end again,
        # unless the reader has moved since.
        self.end_y: int | None = None

    @property
    def cursor_message(self) -> Message | None:
        return self.units[self.cursor][0] if self.units else None

    def action_next_message(self) -> None:
        self.move_cursor(1)

    def action_previous_message(self) -> None:
        self.move_cursor(-1)

    def action_first(self) -> None:
        """g: the top of the thread, the message cursor on the first message shown."""
        if self.units:
            moved = self.move_window(0)
            self.set_cursor(0)
            if moved:  # the new blocks are laid out at the next refresh
                self.call_after_refresh(self.scroll_home, animate=False)
        self.scroll_home(animate=False)

    def action_last(self) -> None:
        """G: the end of the thread, the message cursor on the last message shown."""
        if self.units:
            moved = self.move_window(len(self.units) - WINDOW)
            self.set_cursor(len(self.units) - 1)
            if moved:
                self.call_after_refresh(self.scroll_end, animate=False)
        self.scroll_end(animate=False)

    def move_cursor(self, step: int) -> None:
        if not self.units:
            return
        self.show_unit(max(0, min(len(self.units) - 1, self.cursor + step)))

    def show_unit(self, index: int) -> None:
        """The message cursor on unit ``index``, laid out (the window moved to it) and in view."""
        if index < self.window.start:
            self.move_window(index - STEP)  # some of what comes before it too
        elif index >= self.window.stop:
            self.move_window(index + STEP + 1 - WINDOW)
        self.set_cursor(index)
        # Scrolled to after the next refresh, from where the block is then: a region read now is
        # stale while an earlier press's move of the window waits for its layout (a held key).
        self.call_after_refresh(self.bring_cursor_into_view)

    def bring_cursor_into_view(self, tries: int = LAYOUT_TRIES) -> None:
        """The block under the message cursor now, in view once laid out. It is looked up when the
        scroll happens: with a key held down, the block a press moved to may carry another
        message by the time the layout is done (the window reuses its blocks)."""
        if self.units and self.units[self.cursor][1]:
            self.bring_into_view(self.units[self.cursor][1][0], cursor=True, tries=tries)

    def show_message(self, message_id: int) -> bool:
        """The message cursor on this message of the open conversation, in view; False if it has none."""
        index = next((i for i, (message, _) in enumerate(self.units) if message.id == message_id), None)
        if index is None:
            return False
        self.show_unit(index)
        return True

    def set_cursor(self, index: int) -> None:
        if 0 <= self.cursor < len(self.units):
            for block in self.units[self.cursor][1]:
                block.remove_class("cursor")
        self.cursor = index
        if self.units:
            for block in self.units[index][1]:
                block.add_class("cursor")

    # -- the window of laid-out messages ---------------------------------------------------
    def window_from(self, start: int, size: int = WINDOW) -> range:
        count = len(self.units)
        start = max(0, min(start, count - size))
        return range(start, min(count, start + size))

    def unit_blocks(self, index: int, spare: list[MessageBlock] | None = None) -> list[MessageBlock]:
        """Unit ``index`` as widgets: its message, then what it forwards, indented. Taken from
        ``spare`` (blocks already mounted, given new content) while it lasts, else new."""
        blocks = []
        for item in self.unit_items[index]:
            if spare:
                block = spare.pop(0)
                block.update(message_text(item))
            else:
                block = MessageBlock(message_text(item))
            block.set_class(item.generated, "generated")
            block.set_class(item.forwarded, "forwarded")
            block.set_class(not item.forwarded and item.message.author_id == self.me, "mine")
            block.set_class(index == self.cursor, "cursor")
            block.styles.margin = (0, 0, 0, 2 * item.depth) if item.forwarded else None
            blocks.append(block)
        self.units[index] = (self.units[index][0], blocks)
        return blocks

    def move_window(self, start: int) -> bool:
        """Lay out the units from ``start`` (kept in range); True if it moved.

        The blocks of the units that leave are given the content of those that enter and moved
        to their place (new ones mounted only when those run out, the rest removed): mounting and
        removing a window's worth of widgets took a key press past 100 ms."""
        old, new = self.window, self.window_from(start)
        if new == old:
            return False
        spare: list[MessageBlock] = []
        for index in old:
            if index not in new:
                spare.extend(self.units[index][1])
                self.units[index] = (self.units[index][0], [])
        self.window = new
        if old.start < new.stop and new.start < old.stop:  # they overlap: the new units go at the ends
            earlier = [block for index in range(new.start, old.start) for block in self.unit_blocks(index, spare)]
            later = [block for index in range(old.stop, new.stop) for block in self.unit_blocks(index, spare)]
        else:
            earlier, later = [], [block for index in new for block in self.unit_blocks(index, spare)]
        if spare:
            self.remove_children(spare)  # those not needed
        for block in reversed(earlier):  # each goes right under the line above
            self.place(block, after=self.above)
        for block in later:  # each goes right over the line below
            self.place(block, before=self.below)
        self.paint_ends()
        return True

    def place(self, block: MessageBlock, **where: Widget) -> None:
        if block.is_attached:
            self.move_child(block, **where)
        else:
            self.mount(block, **where)

    def paint_ends(self) -> None:
        """The lines above and below the window: shown only when there are messages beyond it."""
        before, after = self.window.start, len(self.units) - self.window.stop
        self.above.display = before > 0
        self.below.display = after > 0
        if before:
            self.above.update(more_text(before, "above", "K, g or scroll up"))
        if after:
            self.below.update(more_text(after, "below", "J, G or scroll down"))

    def reveal(self, up: bool) -> None:
        """Scrolled past an end of the window: it moves on by ``STEP``, the view staying where it is."""
        if not self.window or self.above is None:
            return
        anchor_unit = self.window.start if up else self.window.stop - 1
        anchor = self.units[anchor_unit][1][0]
        was_y = anchor.virtual_region.y
        offset = was_y - self.scroll_y
        if not self.move_window(self.window.start + (-STEP if up else STEP)):
            return

        def keep(tries: int = LAYOUT_TRIES) -> None:
            if not anchor.is_attached:
                return  # another thread replaced this one
            # Blocks came in above it (or went from above it): until laid out, it has not moved.
            if anchor.virtual_region.y == was_y and tries > 1:
                self.call_after_refresh(keep, tries - 1)
                return
            self.scroll_to(y=anchor.virtual_region.y - offset, animate=False, immediate=True)
        self.call_after_refresh(keep)

    # Up (or down) once more at the top (or the bottom) of what is laid out: instead of nothing,
    # the messages beyond (a scroll animating to where it is would undo the kept place).
    def at_top(self) -> bool:
        return self.scroll_y <= 0 and self.window.start > 0

    def at_bottom(self) -> bool:
        return self.scroll_y >= self.max_scroll_y and self.window.stop < len(self.units)

    def action_scroll_up(self) -> None:
        if self.at_top():
            self.reveal(up=True)
        else:
            super().action_scroll_up()

    def action_scroll_down(self) -> None:
        if self.at_bottom():
            self.reveal(up=False)
        else:
            super().action_scroll_down()

    def action_page_up(self) -> None:
        if self.at_top():
            self.reveal(up=True)
        else:
            super().action_page_up()

    def action_page_down(self) -> None:
        if self.at_bottom():
            self.reveal(up=False)
        else:
            super().action_page_down()

    def on_mouse_scroll_up(self, event) -> None:
        if self.at_top():
            self.reveal(up=True)

    def on_mouse_scroll_down(self, event) -> None:
        if self.at_bottom():
            self.reveal(up=False)

    def stay_at_end(self) -> None:
        """Scroll to the end of the thread, and keep it there through later layouts (``end_y``)."""
        self.scroll_end(animate=False, immediate=True)
        self.end_y = round(self.scroll_y)

    def watch_virtual_size(self) -> None:
        if self.end_y is not None:  # scrolled once the new size and scrollbars are in place
            self.call_after_refresh(self.back_to_end)

    def back_to_end(self) -> None:
        if self.end_y is None:
            return
        if round(self.scroll_y) == self.end_y or self.scroll_y >= self.max_scroll_y:
            self.stay_at_end()
        else:
            self.end_y = None  # the reader moved: their place is theirs

    def compose(self):
        yield Static("Open a conversation with Enter.", classes="thread-empty")

    def show(self, conversation: Conversation | None, *, me: int, course: str | None, order: str,
             keep_scroll: bool = False) -> None:
        """Render a conversation; ``keep_scroll`` keeps what the reader is looking at in place."""
        previous = self.conversation
        self.end_y = None
        was = self.cursor_message
        was_index = self.cursor
        was_window, was_count = self.window, len(self.units)
        self.conversation = conversation
        self.order = order
        self.me = me
        scroll_y = self.scroll_y
        self.remove_children()
        self.units = []
        self.unit_items = []
        self.window = range(0)
        self.above = self.below = None
        self.cursor = 0
        if conversation is None:
            self.mount(Static("Open a conversation with Enter.", classes="thread-empty"))
            return
        for item in thread_items(conversation, order):
            if item.forwarded:
                self.unit_items[-1].append(item)
            else:
                self.unit_items.append([item])
                self.units.append((item.message, []))
        same = previous is not None and previous.id == conversation.id
        if same and was is not None:
            # The same conversation again (a new message, a deletion): the cursor stays on its
            # message, or where that message was.
            ids = [message.id for message, _ in self.units]
            index = ids.index(was.id) if was.id in ids else min(was_index, len(ids) - 1)
        else:
            index = len(self.units) - 1 if order == "oldest" else 0  # the newest, which is in view
        index = max(0, index)
        self.cursor = index
        if same and keep_scroll and was_window:
            # The same messages stay laid out (and the window still reaches the end if it did, up
            # to twice its size), so that the kept scroll offset shows what it showed.
            stop = len(self.units) if was_window.stop >= was_count else was_window.stop
            size = min(2 * WINDOW, max(WINDOW, stop - was_window.start))
            window = self.window_from(was_window.start, size)
            if index not in window:
                window = self.window_from(index - WINDOW // 2)
        else:
            window = self.window_from(index - WINDOW // 2)
        self.above = Static(classes="thread-more")
        self.below = Static(classes="thread-more")
        self.window = window
        blocks = [block for unit in window for block in self.unit_blocks(unit)]
        self.mount_all([Static(header_text(conversation, me, course), classes="thread-header"), self.above,
                        *blocks, self.below])
        self.paint_ends()
        if len(self.units) >= LARGE_THREAD and not same:
            self.call_after_refresh(out_of_full_passes)  # after the frame that shows it
        if keep_scroll:
            self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False)
        elif order == "oldest":
            self.call_after_refresh(self.stay_at_end)
        else:
            self.call_after_refresh(self.scroll_home, animate=False)

    def show_discussion(self, open_discussion, *, course: str | None) -> None:
        """A discussion opened from Activity: the topic, then its entries threaded, the named one in view."""
        self.conversation = None
        self.end_y = None
        self.units = []
        self.unit_items = []
        self.window = range(0)
        self.above = self.below = None
        self.cursor = 0
        self.remove_children()
        blocks = [Static(discussion_header(open_discussion, course), classes="thread-header")]
        focus_block = None
        names = open_discussion.view.participants

        def add(entry, depth: int) -> None:
            nonlocal focus_block
            focused = entry.id == open_discussion.focus_entry_id
            block = MessageBlock(entry_text(entry, names.get(entry.user_id or -1) or entry.user_name or "", focused))
            block.styles.margin = (0, 0, 1 if depth == 0 else 0, 2 * depth)
            if depth:
                block.add_class("forwarded")
            if focused:
                block.add_class("focus")
                focus_block = block
            blocks.append(block)
            for reply in entry.replies:
                add(reply, depth + 1)

        for entry in open_discussion.view.entries:
            add(entry, 0)
        self.mount_all(blocks)
        self.pinned_entry_id = None
        if focus_block is not None:
            self.call_after_refresh(self.pin, focus_block, open_discussion.focus_entry_id)
        else:
            self.call_after_refresh(self.scroll_home, animate=False)

    def pin(self, block: MessageBlock, entry_id: int) -> None:
        """The named entry's author line on top, and the pin counted."""

        def pinned() -> None:
            self.pinned_entry_id = entry_id
            self.pins += 1

        self.bring_into_view(block, top=True, then=pinned)

    def bring_into_view(self, block: Widget, *, top: bool = False, then: Callable[[], None] | None = None,
                        tries: int = LAYOUT_TRIES, cursor: bool = False) -> None:
        """Scroll to the block once it has been laid out where it now is (call it after a refresh);
        ``cursor``: the block was the cursor's, and the cursor's block is looked up again on a retry.

        Textual's scroll_to_widget does nothing for a widget with no region yet, which on a busy
        machine is still the case one refresh after the mount: the thread then stayed wherever the
        previous one had left it, the block off screen. A reused block still has the region of
        its old place until the layout, and a scroll there missed it just as well."""
        if not block.is_attached:
            return  # another thread replaced this one
        if not self.laid_out_in_place(block) and tries > 1:
            if cursor:
                self.call_after_refresh(self.bring_cursor_into_view, tries - 1)
            else:
                self.call_after_refresh(self.bring_into_view, block, top=top, then=then, tries=tries - 1)
            return
        self.scroll_to_widget(block, animate=False, top=top, immediate=True)
        if then is not None:
            then()

    def laid_out_in_place(self, block: Widget) -> bool:
        """Whether the block's region is where it stands among its neighbours: laid out since it
        was mounted or moved (a moved block keeps its old region until the next layout)."""
        region = block.virtual_region
        if not region.size:
            return False
        children = list(self.children)
        at = children.index(block)
        before = next((c.virtual_region for c in reversed(children[:at]) if c.virtual_region.size), None)
        after = next((c.virtual_region for c in children[at + 1:] if c.virtual_region.size), None)
        return (before is None or before.bottom <= region.y) and (after is None or region.bottom <= after.y)
