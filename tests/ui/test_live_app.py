"""Live updates in the app: messages and discussion posts arrive without a refresh."""

from __future__ import annotations

import httpx

from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.live_events import LiveEvent
from tui_inbox.inbox.session import InboxSession
from tui_inbox.live import LiveFeed
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs
from tui_inbox.ui.app import InboxApp
from tests.waiting import async_wait_until


def client_for(sandbox, user_id: int) -> httpx.Client:
    token = next(u["token"] for u in sandbox.info.users if u["id"] == user_id)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"})


def live_app(sandbox, user_id: int = 1, **feed_options) -> InboxApp:
    token = next(u["token"] for u in sandbox.info.users if u["id"] == user_id)
    client = CanvasClient(sandbox.base_url, token)
    feed = LiveFeed(client, sandbox.live_url, **feed_options)
    return InboxApp(InboxSession(client), feed=feed)


def event(name: str, conversation_id: int, **body) -> LiveEvent:
    return LiveEvent.from_json({"metadata": {"event_name": name, "user_id": "21070000000000010"},
                                "body": {"conversation_id": str(conversation_id), **body}})


async def test_a_message_from_another_user_appears_in_the_list_and_the_open_thread(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live")
        await async_wait_until(lambda: app.list.rows)
        lab = next(r for r in app.session.view.rows if r.subject == "Lab report extension")
        app.list.cursor = app.session.view.position(lab.id)
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == lab.id)
        with client_for(sandbox, 10) as jane:
            assert jane.post(f"/api/v1/conversations/{lab.id}/add_message", data={"body": "One more question!"}).status_code == 200
        await async_wait_until(lambda: any(m.body == "One more question!" for m in app.session.current.messages or []))
        await async_wait_until(lambda: app.list.rows[0].id == lab.id)  # moved to the top
        text = " ".join(str(block.render()) for block in app.thread.query("MessageBlock"))
        assert "One more question!" in text
        # Opened and read: the new message marks it unread again on Canvas, and the app shows it so.
        assert app.list.rows[0].workflow_state == "unread"


async def test_a_user_added_to_a_group_conversation_sees_it_appear(sandbox):
    app = live_app(sandbox, user_id=16)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.status.feed == "live")
        await async_wait_until(lambda: app.session.view.loaded)
        with client_for(sandbox, 1) as teacher:
            group = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "Study group",
                                                               "subject": "Study group", "group_conversation": "true"}).json()[0]
            teacher.post(f"/api/v1/conversations/{group['id']}/add_recipients", data={"recipients[]": ["16"]})
        await async_wait_until(lambda: any(r.id == group["id"] for r in app.list.rows))
        # The badge is fetched again right after the row is placed.
        await async_wait_until(lambda: (app.session.unread_count or 0) >= 1)


async def test_duplicate_out_of_order_and_foreign_events_leave_one_correct_row(sandbox):
    session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")))
    await session.start()
    with client_for(sandbox, 10) as jane:
        created = jane.post("/api/v1/conversations", data={"recipients[]": ["1"], "body": "first", "subject": "Dup"}).json()[0]
        jane.post(f"/api/v1/conversations/{created['id']}/add_message", data={"body": "second"})
    late = event("conversation_message_created", created["id"])
    early = event("conversation_created", created["id"])
    for item in (late, late, early, late):  # repeated, and the older event last
        await session.live.apply(item)
    rows = [r for r in session.view.rows if r.id == created["id"]]
    assert len(rows) == 1 and rows[0].last_message == "second" and rows[0].message_count == 2
    # A conversation the user is not part of (a hostile stream could name any id): nothing shown.
    with client_for(sandbox, 12) as alice:
        private = alice.post("/api/v1/conversations", data={"recipients[]": ["14"], "body": "not for the teacher"}).json()[0]
    before = [r.id for r in session.view.rows]
    assert await session.live.apply(event("conversation_message_created", private["id"])) is None
    assert [r.id for r in session.view.rows] == before
    await session.client.aclose()


async def test_a_discussion_reply_appears_under_activity_and_opens_at_that_entry(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live")
        await async_wait_until(lambda: app.session.activity.loaded)
        await pilot.press("6")
        with client_for(sandbox, 10) as jane:
            topics = jane.get("/api/v1/courses/1/discussion_topics").json()
            topic = topics[0]
            entry = jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                              data={"message": "<p>My <b>answer</b> is 42</p>"}).json()
        await async_wait_until(lambda: app.session.activity.items and app.session.activity.items[0].entry_id == entry["id"])
        item = app.session.activity.items[0]
        assert item.text == "My answer is 42" and item.author and item.topic_title == topic["title"]
        await async_wait_until(lambda: app.query_one("#activity").items and app.query_one("#activity").items[0].entry_id == entry["id"])
        app.query_one("#activity").highlighted = 0
        app.query_one("#activity").focus()
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.activity.current is not None)
        assert app.session.activity.current.focus_entry_id == entry["id"]
        focused = list(app.thread.query(".focus"))
        assert len(focused) == 1 and "My answer is 42" in str(focused[0].render())


async def test_the_status_bar_goes_offline_then_live_again_and_the_list_is_right():
    first = RunningSandbox(Knobs(seed=1)).start()
    port = int(first.base_url.rsplit(":", 1)[1])
    from tui_inbox.live.stream import StreamSettings
    from tui_inbox.live.backoff import Backoff

    app = live_app(first, poll_seconds=0.2,
                   stream_settings=StreamSettings(backoff=Backoff(base=0.05, cap=0.2)),
                   poll_backoff=Backoff(base=0.05, cap=0.2))
    seen: list[str] = []
    second = None
    try:
        async with app.run_test(size=(120, 32)):
            app.status.watch(app.status, "feed", lambda value: seen.append(value), init=True)
            await async_wait_until(lambda: app.status.feed == "live")
            first.stop()
            await async_wait_until(lambda: app.status.feed == "offline", timeout=15)
            second = RunningSandbox(Knobs(seed=1), port=port).start()
            with client_for(second, 10) as jane:
                jane.post("/api/v1/conversations", data={"recipients[]": ["1"], "body": "while you were away",
                                                         "subject": "Back again"})
            await async_wait_until(lambda: app.status.feed == "live", timeout=15)
            await async_wait_until(lambda: any(r.subject == "Back again" for r in app.list.rows), timeout=15)
    finally:
        first.stop()
        if second is not None:
            second.stop()
    compact = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    assert "live" in compact and "offline" in compact
    first_live = compact.index("live")
    assert "offline" in compact[first_live:] and compact[-1] == "live"


async def new_rows_arrive(app, sandbox, *writers: int) -> None:
    """Each student starts a conversation with the teacher ("Arrived <id>"); returns once the live
    feed has put every one of them at the top of the list."""
    for writer in writers:
        with client_for(sandbox, writer) as student:
            assert student.post("/api/v1/conversations", data={
                "recipients[]": ["1"], "subject": f"Arrived {writer}", "body": "new",
                "force_new": "true"}).status_code == 201
    wanted = {f"Arrived {writer}" for writer in writers}
    await async_wait_until(lambda: {r.subject for r in app.list.rows[:len(writers)]} == wanted)


async def test_rows_arriving_live_leave_the_cursor_on_the_conversation_the_user_was_on(sandbox):
    """The report: with rows arriving above, ``j j j`` then Enter opened another conversation than the
    one the cursor had been on: the cursor stays on a conversation, not on a place in the list."""
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded)
        await pilot.press("g", "j", "j", "j")
        chosen = app.list.current
        await new_rows_arrive(app, sandbox, 10, 12, 14)  # three rows go to the top, above the cursor
        assert app.list.current.id == chosen.id
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None)
        assert app.session.current.id == chosen.id


async def test_rows_arriving_while_a_thread_is_open_leave_j_on_the_row_below_it(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded)
        await pilot.press("g", "j", "j", "enter")
        await async_wait_until(lambda: app.session.current is not None)
        opened = app.session.current.id
        below = app.list.rows[app.list.cursor + 1].id
        app.list.focus()
        await pilot.pause()
        await new_rows_arrive(app, sandbox, 10, 12)
        assert app.list.current.id == opened
        await pilot.press("j", "enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id != opened)
        assert app.session.current.id == below


async def test_rows_arriving_above_leave_the_row_under_the_cursor_on_its_line_of_the_screen(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded)
        await pilot.press("g", "j", "j", "j")
        line = app.list.cursor - app.list.top
        chosen = app.list.current.id
        await new_rows_arrive(app, sandbox, 10, 12)
        assert app.list.current.id == chosen and app.list.cursor - app.list.top == line
        await pilot.press("g")  # at the very top, the newest are shown as they come
        with client_for(sandbox, 14) as student:
            student.post("/api/v1/conversations", data={"recipients[]": ["1"], "subject": "Arrived 14",
                                                         "body": "new", "force_new": "true"})
        await async_wait_until(lambda: app.list.rows[0].subject == "Arrived 14")
        assert app.list.top == 0
