"""The app after its live stream was lost and came back (live-stream.md, "Resuming").

Only the stream runs through a cable (tests/network_cut.py); the REST API stays reachable, as
when a relay restarts. While the cable is out a student writes to the teacher and replies in a
discussion. When it is back the app resumes from the last event it had: the notice and the
Activity entry of the gap appear, the Inbox rows are right, and the app did not refetch its list
(counted by the sandbox, which sees every request).
"""

from __future__ import annotations

import httpx

from tests.network_cut import NetworkCut
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.live import Backoff, LiveFeed, StreamSettings
from tui_inbox.ui.app import InboxApp

TEACHER, JANE = 1, 10
LIST = ("GET", "/api/v1/conversations")  # the first page of the view: what a resync refetches
WAIT = 15.0


def as_user(sandbox, user_id: int) -> httpx.Client:
    token = next(u["token"] for u in sandbox.info.users if u["id"] == user_id)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def write(sandbox, body: str) -> int:
    """Jane starts a new conversation with the teacher; its id."""
    with as_user(sandbox, JANE) as jane:
        answer = jane.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER)], "body": body,
                                                          "subject": body, "group_conversation": "true"})
    assert answer.status_code == 201
    return answer.json()[0]["id"]


def resuming_app(sandbox, cable: NetworkCut) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    settings = StreamSettings(backoff=Backoff(base=0.02, cap=0.1), stable_after=0.5, open_timeout=3.0,
                              close_timeout=1.0)
    feed = LiveFeed(client, f"ws://127.0.0.1:{cable.port}/live", trusted_live_url=True, poll_seconds=3600,
                    stream_settings=settings)
    return InboxApp(InboxSession(client), feed=feed)


def notices(app) -> list[str]:
    return [entry.text for entry in app.status.history if entry.kind == "notice"]


async def test_a_resumed_stream_shows_the_gaps_notice_and_activity_without_refetching_the_list(sandbox):
    with NetworkCut(int(sandbox.base_url.rsplit(":", 1)[1])) as cable:
        app = resuming_app(sandbox, cable)
        async with app.run_test(size=(120, 32)):
            await async_wait_until(lambda: app.status.feed == "live", WAIT)
            await async_wait_until(lambda: app.session.view.loaded and app.session.activity.loaded, WAIT)
            before = write(sandbox, "Before the cut")  # an event: the app has an id to resume from
            await async_wait_until(lambda: app.list.rows and app.list.rows[0].id == before, WAIT)

            cable.cut()
            await async_wait_until(lambda: app.status.feed != "live", WAIT)
            requests_before = sandbox.requests()
            gap = write(sandbox, "While you were away")
            with as_user(sandbox, JANE) as jane:
                topic = jane.get("/api/v1/courses/1/discussion_topics").json()[0]
                entry = jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                                  data={"message": "<p>Posted in the gap</p>"}).json()
            cable.restore()

            await async_wait_until(lambda: app.status.feed == "live", WAIT)
            await async_wait_until(lambda: app.list.rows[0].id == gap, WAIT)
            await async_wait_until(lambda: any(i.entry_id == entry["id"] for i in app.session.activity.items), WAIT)
            await async_wait_until(lambda: len(notices(app)) >= 3, WAIT)

            said = notices(app)
            assert "New message from Jane: While you were away" in said
            assert f"Jane posted in {topic['title']}" in said
            item = next(i for i in app.session.activity.items if i.entry_id == entry["id"])
            assert item.text == "Posted in the gap" and item.author == "Jane"
            # The rows are right: the gap's conversation on top, unread, above the one before it.
            rows = app.list.rows
            assert [r.id for r in rows[:2]] == [gap, before]
            assert rows[0].workflow_state == "unread" and rows[0].last_message == "While you were away"
            # And nothing refetched the list: the gap came as events, each fetched on its own.
            after = sandbox.requests()
            assert after.get(LIST, 0) == requests_before.get(LIST, 0)
            assert after.get(("GET", f"/api/v1/conversations/{gap}"), 0) > requests_before.get(
                ("GET", f"/api/v1/conversations/{gap}"), 0)


async def test_a_stream_back_from_a_gap_longer_than_the_window_refetches_the_list(make_sandbox):
    sandbox = make_sandbox(seed=1, live_history_seconds=60)
    with NetworkCut(int(sandbox.base_url.rsplit(":", 1)[1])) as cable:
        app = resuming_app(sandbox, cable)
        async with app.run_test(size=(120, 32)):
            await async_wait_until(lambda: app.status.feed == "live", WAIT)
            await async_wait_until(lambda: app.session.view.loaded, WAIT)
            before = write(sandbox, "Before the cut")
            await async_wait_until(lambda: app.list.rows and app.list.rows[0].id == before, WAIT)

            cable.cut()
            await async_wait_until(lambda: app.status.feed != "live", WAIT)
            requests_before = sandbox.requests()
            gap = write(sandbox, "Long ago")
            sandbox.call(sandbox.state.clock.skip, 61)  # the server no longer has the gap's events
            cable.restore()

            # Told to resynchronise, the app fetches its list again, and the row is there.
            await async_wait_until(lambda: sandbox.requests().get(LIST, 0) > requests_before.get(LIST, 0), WAIT)
            await async_wait_until(lambda: app.list.rows[0].id == gap, WAIT)
