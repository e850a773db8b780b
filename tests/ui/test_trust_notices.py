"""Live notices only for what exists: a message the fetched conversation holds, written by someone else.

Events are claims (live-stream.md: ids only, may repeat, a hostile stream may invent them), so
each test sends what the stream could send (forged events go out through the sandbox's own
/live hub, to the teacher's connection) and looks at what the app announced. A forged event
is followed by a real message from a student: events are applied in order, so once that real
message's notice is there, the forged one has been handled too.

Bobby (a seeded student) already writes to the teacher in private, under a subject that is
markup and an escape sequence: a new message from him goes into that thread.
"""

from __future__ import annotations

import asyncio

from textual.widgets._toast import Toast

from tests.ui.test_live_app import client_for
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.live import LiveFeed
from tui_inbox.sandbox.events import global_id
from tui_inbox.ui.app import InboxApp

TEACHER, JANE, BOBBY = 1, 10, 42  # 42: "[bold]Bobby[/bold] Tables", a student of the teacher's BIO 101
LAB = "Lab report extension"  # the teacher and Jane
# Named by display name, as Canvas's Inbox names him: the first word of his full name.
BOBBY_NOTICE = "New message from [bold]Bobby[/bold]: [@click=app.quit]Click me[/] and [bold red]URGENT[/] red"


def teacher_app(sandbox, notify_mode: str) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    return InboxApp(InboxSession(client), feed=LiveFeed(client, sandbox.live_url), notify_mode=notify_mode)


def said(app: InboxApp) -> list[str]:
    """Every notice the app raised, whole, as the messages log lists them (the bar's line fades)."""
    return [entry.text for entry in app.status.history if entry.kind == "notice"]


def run(app: InboxApp):
    return app.run_test(size=(120, 32), notifications=True)


async def started(app: InboxApp) -> int:
    """The feed is live and the inbox loaded; returns the id of the Lab report conversation."""
    await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded)
    return next(r.id for r in app.session.view.rows if r.subject == LAB)


async def forge(sandbox, conversation_id: int, message_id: int, author_id: int) -> None:
    """A conversation_message_created event that claims ``author_id`` wrote ``message_id``."""
    raw = {"metadata": {"event_name": "conversation_message_created", "user_id": global_id(author_id)},
           "body": {"conversation_id": str(conversation_id), "message_id": str(message_id),
                    "author_id": str(author_id)}}
    await asyncio.to_thread(sandbox.call, sandbox.state.hub.publish, raw, [TEACHER])


def bobby_writes(sandbox, body: str) -> int:
    """Bobby writes to the teacher (into his private thread with her); returns its id."""
    with client_for(sandbox, BOBBY) as bobby:
        answer = bobby.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER)], "body": body})
    assert answer.status_code == 201
    return answer.json()[0]["id"]


def post(sandbox, user_id: int, conversation_id: int, body: str) -> int:
    with client_for(sandbox, user_id) as person:
        answer = person.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": body})
    assert answer.status_code == 200
    return answer.json()["messages"][0]["id"]


async def test_an_event_naming_a_message_the_conversation_does_not_hold_shows_no_notice(sandbox):
    app = teacher_app(sandbox, "bell")
    async with run(app):
        lab = await started(app)
        await forge(sandbox, lab, 987654, JANE)  # Jane is in it, but wrote no such message
        await asyncio.to_thread(bobby_writes, sandbox, "A real question")
        await async_wait_until(lambda: BOBBY_NOTICE in said(app))
        assert said(app) == [BOBBY_NOTICE]


async def test_an_event_claiming_someone_else_wrote_my_message_shows_no_notice(sandbox):
    app = teacher_app(sandbox, "bell")
    async with run(app):
        lab = await started(app)
        mine = await asyncio.to_thread(post, sandbox, TEACHER, lab, "Sure, take two more days.")
        await forge(sandbox, lab, mine, JANE)  # the message exists, but Canvas says the teacher wrote it
        await asyncio.to_thread(bobby_writes, sandbox, "A real question")
        await async_wait_until(lambda: BOBBY_NOTICE in said(app))
        assert said(app) == [BOBBY_NOTICE]


async def test_a_real_message_from_a_student_shows_one_notice_as_plain_text(sandbox):
    app = teacher_app(sandbox, "notice")
    async with run(app) as pilot:
        lab = await started(app)
        await asyncio.to_thread(post, sandbox, JANE, lab, "One more question")
        jane = f"New message from Jane: {LAB}"
        await async_wait_until(lambda: said(app))
        assert said(app) == [jane]
        assert f"✉ {jane}" in app.status.render().plain
        # Bobby's name and subject are markup: the log keeps them as written, and the bar,
        # which says both in one line, names him as written too.
        await asyncio.to_thread(bobby_writes, sandbox, "May I retake the quiz?")
        await async_wait_until(lambda: len(said(app)) == 2)
        assert said(app) == [jane, BOBBY_NOTICE]
        assert app.status.notice == "2 new messages: Jane, [bold]Bobby[/bold]"
        await pilot.pause()
        assert len(said(app)) == 2 and not app.screen.query(Toast)  # nothing pops up over the screen


async def test_notify_none_shows_nothing_even_for_a_real_message(sandbox):
    app = teacher_app(sandbox, "none")
    handled: list[int] = []  # message ids of the events the app has finished with
    apply = app.on_feed_change

    async def recording(change, account=None) -> None:
        await apply(change, account)
        if change.event is not None and change.event.message_id is not None:
            handled.append(change.event.message_id)

    app.on_feed_change = recording
    async with run(app) as pilot:
        lab = await started(app)
        message = await asyncio.to_thread(post, sandbox, JANE, lab, "Are you there?")
        await async_wait_until(lambda: message in handled)
        assert any(m.id == message for m in (await app.session.client.get_conversation(lab, auto_mark_as_read=False)).messages)
        await pilot.pause()
        assert said(app) == [] and not app.status.notice and not app.screen.query(Toast)
