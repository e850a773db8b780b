"""Pictures of live updates: the feed's state in the status bar, a message arriving, Activity.

Same ground rules as ``test_ui_snapshots.py`` (seeded sandbox from ``FIXED_NOW``, app clock
fixed, TZ=UTC, no blinking). No websocket is opened: the status bar is painted by the app's
own ``paint_feed`` from a real ``FeedStatus`` whose clock is fixed, and the arriving message
is the very event the sandbox publishes for it, handed to the app's ``on_feed_change`` as
the feed would. That message is written by the sandbox's clock, which ticks on from
``FIXED_NOW``: the thread shows its date to the minute, "Tue Nov 24, 2026 12:00", which holds
while the test takes less than a minute (checked, so a slow run fails with a clear message).
To regenerate after an intended change: ``pytest tests/ui/test_ui_snapshots_live.py --snapshot-update``,
then look at every changed SVG in ``tests/ui/__snapshots__/test_ui_snapshots_live/``.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import FIXED_NOW, open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas.live_events import LiveEvent
from tui_inbox.inbox.formatting import full_date
from tui_inbox.live.feed import Change
from tui_inbox.live.state import FeedState, FeedStatus
from tui_inbox.ui.widgets.activity_list import ActivityList
from tui_inbox.ui.widgets.thread_view import MessageBlock

SMALL = (80, 24)
LARGE = (160, 48)
STATUS_ONLY = (80, 6)  # the title, a little of the panes, and the status bar
JANE = 10  # Jane Doe, a student in BIO 101 and a participant of "Lab report extension"
FRESH = "One more question: may I attach the raw data as a spreadsheet?"


class StillFeed:
    """All the app reads of a ``LiveFeed``: its state (real, clock fixed). It never connects."""

    def __init__(self) -> None:
        self.state = FeedStatus(now=lambda: FIXED_NOW)

    async def aclose(self) -> None:
        pass


# state, error: what LiveFeed._publish records in each case (messages as stream.py and http.py word them)
FEED_STATES = {
    # The websocket is up; an event came at FIXED_NOW.
    "live": (FeedState.LIVE, None),
    # The websocket is down, the unread_count polls answer: the reason it is not live.
    "polling": (FeedState.POLLING, "The live stream at canvas.example.edu refused the connection; retrying."),
    # Nothing answers: why Canvas cannot be reached.
    "offline": (FeedState.OFFLINE, "Cannot reach Canvas at canvas.example.edu: connection refused. "
                                   "Check the URL and your connection."),
    # Started, nothing has answered yet.
    "connecting": (FeedState.CONNECTING, None),
}


@pytest.mark.parametrize("name", list(FEED_STATES))
def test_status_bar_feed_state(snap_compare, make_inbox_app, name):
    state, error = FEED_STATES[name]

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        app.feed = StillFeed()
        app.feed.state.set(state, error, updated=state is FeedState.LIVE)
        app.paint_feed()
        await settle(pilot)
        assert app.status.feed == name
        assert app.status.feed_detail == (error or ("updated 12:00:00" if state is FeedState.LIVE else ""))

    assert snap_compare(make_inbox_app(), terminal_size=STATUS_ONLY, run_before=run_before)


def test_fresh_message_in_the_open_thread(snap_compare, make_inbox_app, fixed_sandbox):
    """Lab report extension is open; Jane adds a message: it shows at the end of the thread, the row
    comes to the top as unread ("now"), and the notice names her."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        lab = await open_row(pilot, "Lab report extension")
        me = app.session.me_id
        hub = fixed_sandbox.state.hub
        queue = await asyncio.to_thread(fixed_sandbox.call, hub.subscribe, me)  # as the teacher's /live would
        try:
            token = next(u["token"] for u in fixed_sandbox.info.users if u["id"] == JANE)
            async with httpx.AsyncClient(base_url=fixed_sandbox.base_url,
                                         headers={"Authorization": f"Bearer {token}"}) as jane:
                answer = await jane.post(f"/api/v1/conversations/{lab}/add_message", data={"body": FRESH})
            assert answer.status_code == 200

            def drain():
                return [queue.get_nowait() for _ in range(queue.qsize())]

            published = await asyncio.to_thread(fixed_sandbox.call, drain)
        finally:
            await asyncio.to_thread(fixed_sandbox.call, hub.unsubscribe, me, queue)
        events = [LiveEvent.from_json(raw) for raw in published]
        created = [e for e in events if e.name == "conversation_message_created" and e.conversation_id == lab]
        assert len(created) == 1 and created[0].author_id == JANE

        await app.on_feed_change(Change("event", event=created[0]))
        await async_wait_until(lambda: any(FRESH in str(block.content) for block in app.thread.query(MessageBlock)))
        # On the status bar (the app's clock is fixed: it does not fade before the picture).
        assert app.status.notice == "New message from Jane: Lab report extension"
        fresh = next(m for m in app.session.current.messages if m.body == FRESH)
        assert full_date(fresh.created_at) == "Tue Nov 24, 2026 12:00", "the sandbox clock ran on past the minute"
        assert app.list.rows[0].id == lab and app.list.rows[0].workflow_state == "unread"
        # The thread kept its place (a new message does not move what is being read); the reader
        # scrolls to the end to read it.
        await pilot.press("tab", "end")
        assert app.focused is app.thread
        await settle(pilot)
        assert app.thread.scroll_y == app.thread.max_scroll_y

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


async def show_activity(pilot) -> ActivityList:
    app = pilot.app
    await ready(pilot)
    await async_wait_until(lambda: app.session.activity.loaded)
    await pilot.press("6")
    activity = app.query_one(ActivityList)
    await async_wait_until(lambda: app.session.mailbox.id == "activity" and activity.items and activity.display)
    await settle(pilot)
    assert app.focused is activity and activity.highlighted == 0
    return activity


def test_activity_mailbox(snap_compare, make_inbox_app):
    """6: discussions, announcements and replies of the teacher's courses, newest first."""

    async def run_before(pilot):
        await show_activity(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_discussion_opened_from_activity(snap_compare, make_inbox_app):
    """Enter on the first Activity item: the topic with its entries threaded, that item's entry marked."""

    async def run_before(pilot):
        app = pilot.app
        activity = await show_activity(pilot)
        first = activity.items[0]
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.activity.current is not None
                               and app.session.activity.current.topic.id == first.topic_id
                               and app.thread.query(MessageBlock))
        await settle(pilot)
        assert app.session.activity.current.focus_entry_id == first.entry_id

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)
