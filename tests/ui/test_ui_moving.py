"""Moving the same everywhere (issue 12): the keys of one list work in every list and pane.

j k g G PgUp PgDn in the thread, the Activity list and the rail; n, p and N (neomutt's
next-new) open the next, previous and next unread conversation from inside a thread; w
hands the conversation or the discussion to the browser; Activity marks what is new since
the last look and opens an item at its entry, its author line in view. The last test counts
the keys of a common journey, the old way and the new.
"""

from __future__ import annotations

import pytest

from tests.conftest import open_composer, open_row, ready, settle, user_client
from tests.ui.test_live_app import client_for, live_app
from tests.waiting import async_wait_until
from tui_inbox.inbox import opener
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.widgets.activity_list import ActivityList
from tui_inbox.ui.widgets.mailbox_rail import MailboxRail
from tui_inbox.ui.widgets.thread_view import MessageBlock

SIZE = (120, 36)


@pytest.fixture
def api(fixed_sandbox):
    with user_client(fixed_sandbox, "teacher") as client:
        yield client


@pytest.fixture
def browser(monkeypatch):
    """The links the app hands to the browser, checked as the real opener checks them."""
    opened: list[str] = []

    def hand_over(target: str) -> bool:
        opened.append(target)
        return True

    monkeypatch.setattr(opener, "_hand_over", hand_over)
    return opened


async def idle(pilot) -> None:
    await async_wait_until(lambda: not pilot.app.status.running)
    await settle(pilot)


async def longest_thread(pilot) -> int:
    """Open the conversation with the most messages, and put the focus in the thread."""
    app = pilot.app
    index = max(range(len(app.list.rows)), key=lambda i: app.list.rows[i].message_count)
    await pilot.press("g", *["j"] * index, "enter")
    wanted = app.list.rows[index].id
    await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == wanted)
    await settle(pilot)
    await pilot.press("tab")
    assert app.focused is app.thread
    return wanted


async def test_g_G_and_the_page_keys_move_in_the_thread(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await longest_thread(pilot)
        thread = app.thread
        assert thread.max_scroll_y > thread.size.height, "the thread must be longer than two screens"
        await async_wait_until(lambda: thread.scroll_y == thread.max_scroll_y)  # opened at the newest

        await pilot.press("g")
        await async_wait_until(lambda: thread.scroll_y == 0)
        assert thread.cursor == 0 and "cursor" in thread.units[0][1][0].classes

        await pilot.press("pagedown")
        await async_wait_until(lambda: thread.scroll_y >= thread.size.height - 1)
        await pilot.press("pageup")
        await async_wait_until(lambda: thread.scroll_y == 0)
        await pilot.press("ctrl+f")
        await async_wait_until(lambda: thread.scroll_y > 0)

        await pilot.press("G")
        await async_wait_until(lambda: thread.scroll_y == thread.max_scroll_y)
        assert thread.cursor == len(thread.units) - 1
        assert app.focused is thread  # none of them left the pane


async def show_activity(pilot, live: bool = False) -> ActivityList:
    app = pilot.app
    await async_wait_until(lambda: app.session.activity.loaded)
    await pilot.press("6")
    activity = app.query_one(ActivityList)
    await async_wait_until(lambda: activity.display and activity.items and app.focused is activity)
    if live:  # the feed's worker never completes: settle() would wait for it forever
        await pilot.pause()
    else:
        await settle(pilot)
    return activity


async def test_j_k_g_G_move_in_the_activity_list(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        activity = await show_activity(pilot)
        last = len(activity.items) - 1
        assert activity.highlighted == 0
        await pilot.press("j", "j")
        assert activity.highlighted == 2
        await pilot.press("k")
        assert activity.highlighted == 1
        await pilot.press("G")
        assert activity.highlighted == last
        await pilot.press("g")
        assert activity.highlighted == 0
        await pilot.press("ctrl+f")
        assert activity.highlighted > 1


async def test_the_focused_rail_shows_its_cursor_at_once_and_j_moves_it(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")  # Starred: the rail's cursor starts there, not at the top
        await idle(pilot)
        rail = app.query_one(MailboxRail)
        await pilot.press("shift+tab")
        assert app.focused is rail
        assert rail.highlighted == 2  # before any move: the mailbox on screen
        await pilot.press("j")
        assert rail.highlighted == 3
        await pilot.press("g")
        assert rail.highlighted == 0
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.mailbox.id == "inbox")


async def test_n_p_and_N_open_the_next_previous_and_next_unread_from_inside_the_thread(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        rows = list(app.list.rows)
        first = await open_row(pilot, rows[0].subject[:20])
        await pilot.press("tab")
        assert app.focused is app.thread

        await pilot.press("n")
        await async_wait_until(lambda: app.thread.conversation.id == rows[1].id)
        assert app.focused is app.thread and app.list.cursor == 1
        await pilot.press("p")
        await async_wait_until(lambda: app.thread.conversation.id == first)
        await pilot.press("p")
        await async_wait_until(lambda: app.status.message == "This is the first conversation in this view.")

        await idle(pilot)
        here = app.list.cursor
        unread = next(r.id for r in app.list.rows[here + 1:] if r.workflow_state == "unread")
        await pilot.press("N")
        await async_wait_until(lambda: app.thread.conversation.id == unread)
        assert app.focused is app.thread
        assert api.get(f"/api/v1/conversations/{unread}", params={"auto_mark_as_read": "false"}).json()[
            "workflow_state"] == "read"


async def test_N_says_so_when_nothing_is_unread(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"is:read", "enter")  # the view narrowed to the read ones
        await settle(pilot)
        assert app.list.rows and all(r.workflow_state != "unread" for r in app.list.rows)
        await pilot.press("N")
        assert app.status.message == "No unread conversations in Inbox."
        assert app.session.current is None


async def test_w_opens_the_conversation_and_the_discussion_entry_in_canvas(make_inbox_app, fixed_sandbox, browser):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        cid = app.list.current.id
        await pilot.press("w")
        await async_wait_until(lambda: browser)
        assert browser == [f"{fixed_sandbox.base_url}/conversations/{cid}"]
        await async_wait_until(lambda: app.status.message == "Opened the conversation in Canvas in the browser")

        activity = await show_activity(pilot)
        item = next(i for i in activity.items if i.entry_id is not None)
        activity.highlighted = activity.items.index(item)
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.activity.current is not None)
        await idle(pilot)
        await pilot.press("tab")  # in the open discussion
        await pilot.press("w")
        await async_wait_until(lambda: len(browser) == 2)
        code, number = item.context_code.split("_")
        assert browser[1] == (f"{fixed_sandbox.base_url}/{code}s/{number}/discussion_topics/{item.topic_id}"
                              f"?entry_id={item.entry_id}")


async def test_w_refuses_a_link_that_is_not_the_web(make_inbox_app, browser, monkeypatch):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        monkeypatch.setattr(type(app.session.client), "base_url", property(lambda client: "file:///etc"))
        await pilot.press("w")
        await async_wait_until(lambda: app.status.error.startswith("Not opening the link 'file:///etc/conversations/"))
        assert browser == []


async def test_activity_marks_what_is_new_since_the_last_look(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.activity.loaded)
        activity = await show_activity(pilot, live=True)
        assert not any(app.session.activity.is_new(i) for i in activity.items)  # the first look: nothing yet
        assert all(str(activity.prompt(i)).startswith("  ") for i in activity.items)
        await pilot.press("1")
        await async_wait_until(lambda: app.focused is app.list)

        with client_for(sandbox, 10) as jane:
            topic = jane.get("/api/v1/courses/1/discussion_topics").json()[0]
            entry = jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                              data={"message": "<p>Posted while you were away</p>"}).json()
        await async_wait_until(lambda: any(i.entry_id == entry["id"] for i in app.session.activity.items))

        activity = await show_activity(pilot, live=True)
        new = [i for i in activity.items if str(activity.prompt(i)).startswith("● ")]
        assert [i.entry_id for i in new] == [entry["id"]]
        assert app.status.message == "1 new in Activity since you last looked (marked ●)"

        # N opens the new one; once opened it is no longer new, and the next look finds nothing new.
        await pilot.press("g", "j")
        await pilot.press("N")
        await async_wait_until(lambda: app.session.activity.current is not None
                               and app.session.activity.current.focus_entry_id == entry["id"])
        assert not app.session.activity.is_new(new[0])
        await pilot.press("1")
        await async_wait_until(lambda: app.focused is app.list)
        await show_activity(pilot, live=True)
        await pilot.press("N")
        assert app.status.message == "Nothing new in Activity since you last looked."


async def test_the_activity_list_never_starts_mid_item(make_inbox_app):
    """Two lines an item in a 9-line list: after any move, the top line is an item's first."""
    app = make_inbox_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        activity = await show_activity(pilot)
        assert activity.scrollable_content_region.height % 2  # an odd height: where it went wrong
        for keys in [("j",) * 12, ("pagedown",), ("pagedown",), ("k",) * 3, ("pageup",), ("G",), ("k",) * 7]:
            await pilot.press(*keys)
            await settle(pilot)
            assert activity.scroll_y % 2 == 0, (keys[0], activity.scroll_y)
            top = int(activity.scroll_y)
            assert top <= 2 * activity.highlighted <= top + activity.scrollable_content_region.height - 1


async def test_enter_on_an_activity_item_shows_that_entry_from_its_author_line(make_inbox_app):
    """In a short terminal, the entry named by the item is in view with its header, not mid-text."""
    app = make_inbox_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        activity = await show_activity(pilot)
        for index, item in enumerate(activity.items):
            if item.entry_id is None:
                continue
            activity.focus()
            activity.highlighted = index
            pins = app.thread.pins
            await pilot.press("enter")
            await async_wait_until(lambda: app.thread.pins > pins and app.thread.pinned_entry_id == item.entry_id)
            await settle(pilot)
            thread = app.thread
            block = thread.query_one(".focus", MessageBlock)
            top = block.virtual_region.y - int(thread.scroll_y)
            assert 0 <= top < thread.scrollable_content_region.height, (index, top)
            if thread.scroll_y < thread.max_scroll_y:  # room to put it first: its author line on top
                assert top == 0, (index, top)


class Counted:
    """The pilot's key presses, counted: the figures of the journey below."""

    def __init__(self, pilot) -> None:
        self.pilot, self.keys = pilot, 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)


async def reply_to_next_unread(pilot, new_way: bool) -> tuple[int, int]:
    """From inside a thread: open the next unread, reply in it, and be back reading its thread.

    The reply's text is not counted (it is the same either way). Returns (keys, distance in rows)."""
    app = pilot.app
    first = await open_row(pilot, app.list.rows[0].subject[:20])
    await pilot.press("tab")
    assert app.focused is app.thread and app.session.current.id == first
    index = next(i for i, r in enumerate(app.list.rows) if i > 0 and r.workflow_state == "unread")
    wanted = app.list.rows[index].id
    counted = Counted(pilot)
    if new_way:
        await counted.press("N")
    else:  # back to the list, down to it, open it, into its thread
        await counted.press("escape", *["j"] * (index - app.list.cursor), "enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == wanted)
        await counted.press("tab")
    await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == wanted)
    await idle(pilot)
    counted.keys += 1
    await open_composer(pilot, "r")
    await pilot.press(*"On my way.")
    await counted.press("ctrl+s")
    await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
    await idle(pilot)
    assert app.status.message == "Reply sent" and app.focused is app.thread
    assert app.session.current.id == wanted
    return counted.keys, index


@pytest.mark.parametrize("new_way", [False, True], ids=["esc-j-enter-tab", "N"])
async def test_keys_to_reply_to_the_next_unread_from_inside_a_thread(make_inbox_app, new_way):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        keys, distance = await reply_to_next_unread(pilot, new_way)
        print(f"\njourney keys ({'N' if new_way else 'esc j.. enter tab'}): {keys}, next unread {distance} rows down")
        assert keys == (3 if new_way else 5 + distance)
