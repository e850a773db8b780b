"""Pictures of notices and the messages log: what arrives goes to the status bar, never over the reading.

Same ground rules as ``test_ui_snapshots_live.py``: seeded sandbox from ``FIXED_NOW``, the
app's clock fixed (so nothing on the bar fades before the picture), TZ=UTC, no websocket: the
events the sandbox publishes for the new messages are handed to ``on_feed_change`` as the
feed would. To regenerate after an intended change:
``pytest tests/ui/test_ui_snapshots_notices.py --snapshot-update``, then look at each SVG.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.canvas.live_events import LiveEvent
from tui_inbox.inbox.formatting import full_date
from tui_inbox.live.feed import Change
from tui_inbox.ui.screens.messages import MessagesScreen

SMALL = (80, 24)
TEACHER, JANE, BOBBY = 1, 10, 42


async def written(sandbox, writes: list[tuple[int, str, dict]]) -> list[LiveEvent]:
    """Each (user, path, form) posted as that user; returns the message events published to the teacher."""
    hub = sandbox.state.hub
    queue = await asyncio.to_thread(sandbox.call, hub.subscribe, TEACHER)  # as the teacher's /live would
    try:
        for user, path, form in writes:
            token = next(u["token"] for u in sandbox.info.users if u["id"] == user)
            async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
                answer = await api.post(path, data=form)
            assert answer.status_code in (200, 201), answer.text

        def drain():
            return [queue.get_nowait() for _ in range(queue.qsize())]

        published = await asyncio.to_thread(sandbox.call, drain)
    finally:
        await asyncio.to_thread(sandbox.call, hub.unsubscribe, TEACHER, queue)
    events = [LiveEvent.from_json(raw) for raw in published]
    return [e for e in events if e.name == "conversation_message_created"]


def test_notices_arriving_while_reading_a_thread(snap_compare, make_inbox_app, fixed_sandbox):
    """Lab report extension is open at 80x24; Jane adds to it and Bobby writes: one line on the
    status bar names both, and the thread, the list and the title are all still in view."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        lab = await open_row(pilot, "Lab report extension")
        events = await written(fixed_sandbox, [
            (JANE, f"/api/v1/conversations/{lab}/add_message", {"body": "May I attach the raw data?"}),
            (BOBBY, "/api/v1/conversations", {"recipients[]": str(TEACHER), "body": "May I retake the quiz?"}),
        ])
        assert [e.author_id for e in events] == [JANE, BOBBY]
        for event in events:
            await app.on_feed_change(Change("event", event=event))
        await settle(pilot)
        assert app.status.notice == "2 new messages: Jane, [bold]Bobby[/bold]"
        assert app.thread.conversation is not None and app.thread.conversation.id == lab
        fresh = next(m for m in app.session.current.messages if m.body == "May I attach the raw data?")
        assert full_date(fresh.created_at) == "Tue Nov 24, 2026 12:00", "the sandbox clock ran on past the minute"

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_messages_log(snap_compare, make_inbox_app, fixed_sandbox):
    """Canvas goes away, a refresh fails: the bar cuts the error; L lists it whole, after "Signed in".
    (A star offline is not an error: it waits in the Outbox.)"""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        app.session.client.http.retry = RetryPolicy(attempts=2, base=0.01)
        await asyncio.to_thread(fixed_sandbox.stop)
        await pilot.press("ctrl+r")
        await async_wait_until(lambda: "Cannot reach Canvas" in app.status.error and not app.status.running)
        await settle(pilot)
        await pilot.press("L")
        await async_wait_until(lambda: isinstance(app.screen, MessagesScreen))
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)
