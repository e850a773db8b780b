"""A conversation of thousands of messages (issue 19, F4): shown and moved through like a short one.

The sandbox's ``long_thread`` knob adds one conversation of N messages, each saying "Message i
of N", the newest of the teacher's inbox (sandbox/inbox_seed.py). Canvas answers a conversation
with all its messages at once (app/controllers/conversations_controller.rb ``show``; no paging
of them): what the app bounds is what it lays out, and what it does on the event loop.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.conftest import FIXED_NOW, press_quickly, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import PUT_STEP, SearchIndex
from tui_inbox.ui.widgets.thread_view import MessageBlock

LONG = 3000
# Messages laid out at once, whatever the length: a few screens' worth (the old view laid out all 3,000).
LAID_OUT_AT_MOST = 100
SIZE = (120, 36)


@pytest.fixture
def long_sandbox(make_sandbox):
    return make_sandbox(seed=1, now=FIXED_NOW, long_thread=LONG)


def shown(thread, number: int) -> MessageBlock | None:
    """The block of "Message <number> of LONG", if it is laid out."""
    wanted = f"Message {number} of {LONG}."
    return next((b for b in thread.query(MessageBlock) if str(b.content).startswith(wanted)
                 or f"\n{wanted}" in str(b.content)), None)


def in_view(thread, block: MessageBlock) -> bool:
    region = block.virtual_region
    top, height = thread.scroll_y, thread.scrollable_content_region.height
    return bool(region.size) and region.y >= top and region.y < top + height


def cursor_text(thread) -> str:
    return thread.cursor_message.body


async def open_long_thread(pilot):
    app = pilot.app
    await ready(pilot)
    assert app.list.rows[0].message_count == LONG  # the newest conversation
    await pilot.press("g", "enter")
    await async_wait_until(lambda: app.thread.conversation is not None
                           and len(app.thread.conversation.messages or []) == LONG)
    await settle(pilot)
    await pilot.press("tab")
    assert app.focused is app.thread
    return app.thread


async def test_a_long_thread_opens_at_its_newest_message_with_a_bounded_layout(long_sandbox, make_inbox_app):
    app = make_inbox_app(sandbox=long_sandbox)
    async with app.run_test(size=SIZE) as pilot:
        thread = await open_long_thread(pilot)
        newest = await async_wait_until(lambda: shown(thread, LONG))
        await async_wait_until(lambda: in_view(thread, newest))
        assert cursor_text(thread).startswith(f"Message {LONG} of {LONG}.")
        assert len(thread.query(MessageBlock)) <= LAID_OUT_AT_MOST
        above = str(thread.above.render())
        assert thread.above.display and "more messages above" in above
        hidden = int(above.split()[1].replace(",", ""))
        assert hidden + len(thread.query(MessageBlock)) == LONG  # every message is counted, once
        assert not thread.below.display

        # K past the top of what is laid out: the next earlier message comes, in view.
        steps = LAID_OUT_AT_MOST + 10
        for _ in range(steps):
            await pilot.press("K")
        number = LONG - steps
        assert cursor_text(thread).startswith(f"Message {number} of {LONG}.")
        block = await async_wait_until(lambda: shown(thread, number))
        await async_wait_until(lambda: in_view(thread, block))
        assert "cursor" in block.classes
        assert len(thread.query(MessageBlock)) <= LAID_OUT_AT_MOST
        assert thread.below.display and "more messages below" in str(thread.below.render())

        # g: the first message of all; G: the newest again.
        await pilot.press("g")
        first = await async_wait_until(lambda: shown(thread, 1))
        await async_wait_until(lambda: in_view(thread, first) and thread.scroll_y == 0)
        assert thread.cursor == 0 and not thread.above.display
        assert len(thread.query(MessageBlock)) <= LAID_OUT_AT_MOST
        await pilot.press("G")
        newest = await async_wait_until(lambda: shown(thread, LONG))
        await async_wait_until(lambda: in_view(thread, newest) and thread.scroll_y == thread.max_scroll_y)
        assert thread.cursor == len(thread.units) - 1 == LONG - 1


async def test_k_held_down_brings_the_message_it_reaches_into_view(long_sandbox, make_inbox_app):
    """K held down (as fast as the terminal repeats it) past the top of what is laid out: the
    message cursor ends on the right message and that message is brought into view. Each press
    moved the window before the last one's blocks were laid out, and the scroll gave up after
    twenty refreshes with the block still not placed: the cursor sat off screen."""
    app = make_inbox_app(sandbox=long_sandbox)
    async with app.run_test(size=SIZE) as pilot:
        thread = await open_long_thread(pilot)
        newest = await async_wait_until(lambda: shown(thread, LONG))
        await async_wait_until(lambda: in_view(thread, newest))
        steps = LAID_OUT_AT_MOST + 10
        await press_quickly(pilot, *["K"] * steps)
        number = LONG - steps
        await async_wait_until(lambda: cursor_text(thread).startswith(f"Message {number} of {LONG}."))
        block = await async_wait_until(lambda: shown(thread, number))
        await async_wait_until(lambda: in_view(thread, block))
        assert "cursor" in block.classes


async def test_scrolling_past_the_top_shows_earlier_messages_where_the_reader_is(long_sandbox, make_inbox_app):
    app = make_inbox_app(sandbox=long_sandbox)
    async with app.run_test(size=SIZE) as pilot:
        thread = await open_long_thread(pilot)
        await async_wait_until(lambda: thread.scroll_y == thread.max_scroll_y > 0)
        while thread.scroll_y > 0:
            await pilot.press("pageup")
        top_unit = thread.window.start
        top_block = thread.units[top_unit][1][0]
        assert in_view(thread, top_block)

        await pilot.press("k")  # once more up, at the top of what is laid out
        await async_wait_until(lambda: thread.window.start < top_unit)
        await settle(pilot)
        # The earlier messages are above, the one that was at the top is still in view.
        assert top_block.is_attached and in_view(thread, top_block)
        assert thread.scroll_y > 0
        assert len(thread.query(MessageBlock)) <= LAID_OUT_AT_MOST


async def test_a_key_is_answered_while_the_indexer_writes_a_huge_conversation(long_sandbox, make_inbox_app, tmp_path):
    """The background indexer used to write a thread into the index on the event loop: with every
    conversation at 5,000 messages the screen stayed unpainted for 150 s. Here its write of the long
    thread is held open until the test has seen a key answered: that can only happen off the loop."""
    app = make_inbox_app(sandbox=long_sandbox)
    index = SearchIndex.open(cache_path(tmp_path, "acct"))
    app.session.search_index = index
    inside, release, written = threading.Event(), threading.Event(), threading.Event()
    put = index.put

    def held_put(conversation):
        if len(conversation.messages or []) == LONG:
            inside.set()
            release.wait(timeout=10)  # on the event loop this holds every key for that long
            put(conversation)
            written.set()
        else:
            put(conversation)

    index.put = held_put
    async with app.run_test(size=SIZE) as pilot:
        try:
            await async_wait_until(lambda: inside.is_set() and app.session.view.loaded and len(app.list.rows) > 2,
                                   timeout=30)
            cursor = app.list.cursor
            await pilot.press("j")
            await async_wait_until(lambda: app.list.cursor == cursor + 1)
            assert not written.is_set(), "the key waited for the indexer's write"
        finally:
            release.set()
        await async_wait_until(lambda: app.search_indexer.progress.finished, timeout=30)
        assert written.is_set()
        assert [h.conversation_id for h in index.search(f"Message {LONG} of").hits][:1] == [app.list.rows[0].id]


class PausingLock:
    """The index's lock, with the writing thread held the first time it lets go of it entirely."""

    def __init__(self, lock, writer: threading.Thread) -> None:
        self.lock, self.writer = lock, writer
        self.depth = 0
        self.paused, self.go_on = threading.Event(), threading.Event()

    def __enter__(self):
        self.lock.acquire()
        if threading.current_thread() is self.writer:
            self.depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()
        if threading.current_thread() is self.writer:
            self.depth -= 1
            if not self.depth and not self.paused.is_set():
                self.paused.set()
                self.go_on.wait(timeout=10)


def test_a_long_conversation_goes_into_the_index_in_steps_a_search_answers_between(make_sandbox, tmp_path):
    """A search (a ``body:`` pattern runs on the event loop) waits for the index's lock: writing a
    long thread in one transaction held it for the whole thread (2.5 s for 20,000 messages)."""
    count = PUT_STEP + 400
    sandbox = make_sandbox(seed=1, now=FIXED_NOW, long_thread=count)

    async def fetch():
        async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
            newest = (await client.get_conversations_page("inbox", per_page=1))[0]
            return await client.get_conversation(newest.id, auto_mark_as_read=False)

    conversation = asyncio.run(fetch())
    assert len(conversation.messages) == count
    index = SearchIndex.open(cache_path(tmp_path, "acct"))
    try:
        writer = threading.Thread(target=index.put, args=(conversation,))
        index.lock = gate = PausingLock(index.lock, writer)
        writer.start()
        try:
            assert gate.paused.wait(timeout=10)
            # Between two steps: a search is answered, with what is in so far (the newest first),
            # and the conversation is not yet taken for indexed as it is now.
            between = index.search(f'"of {count}."')
            assert between.total == PUT_STEP
            assert between.hits[0].message_id == conversation.messages[0].id  # Canvas sends the newest first
            assert not index.is_current(conversation.id, conversation.last_message_at)
        finally:
            gate.go_on.set()
            writer.join(timeout=30)
        assert index.search(f'"of {count}."').total == count
        assert index.is_current(conversation.id, conversation.last_message_at)
    finally:
        index.close()
