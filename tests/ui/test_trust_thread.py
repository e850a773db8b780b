"""The thread's "With:" line names who can read the conversation, and no one else."""

from __future__ import annotations

from tests.conftest import move_to, open_row, ready, settle
from tests.ui.test_live_app import client_for
from tests.waiting import async_wait_until

TEACHER, JANE, ALICE = 1, 10, 12


async def test_the_author_of_a_forwarded_message_is_not_shown_as_a_member(sandbox, make_inbox_app):
    # Jane writes to the teacher; the teacher forwards that message to Alice alone.
    with client_for(sandbox, JANE) as jane:
        asked = jane.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER)], "subject": "Grade question",
                                                         "body": "Could you look at my grade?"})
        assert asked.status_code == 201
        jane_message = asked.json()[0]["messages"][0]["id"]
    with client_for(sandbox, TEACHER) as teacher:
        sent = teacher.post("/api/v1/conversations", data={
            "recipients[]": [str(ALICE)], "subject": "Fwd: Grade question", "body": "For your information",
            "forwarded_message_ids[]": [str(jane_message)]})
        assert sent.status_code == 201
        forwarded = sent.json()[0]
        shown = teacher.get(f"/api/v1/conversations/{forwarded['id']}", params={"auto_mark_as_read": "0"}).json()
    # What Canvas says: Jane is among the participants (as the forwarded message's author), not the audience.
    assert JANE in [p["id"] for p in shown["participants"]] and shown["audience"] == [ALICE]

    app = make_inbox_app(sandbox=sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        await pilot.press("4")  # the teacher wrote it: it is under Sent
        await async_wait_until(lambda: app.session.mailbox.id == "sent" and app.session.view.loaded
                               and app.session.view.position(forwarded["id"]) is not None)
        await settle(pilot)
        await move_to(pilot, app.session.view.position(forwarded["id"]))
        await pilot.press("enter")
        await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == forwarded["id"])
        await settle(pilot)
        header = app.thread.query_one(".thread-header").content.plain
        with_line = next(line for line in header.splitlines() if line.startswith("With: "))
        assert sorted(with_line.removeprefix("With: ").split(", ")) == ["Alice Nguyen", "Maggie Okafor (Margaret Okafor) (me)"]
        # Jane's message is still shown, under her name, as forwarded.
        blocks = [str(block.content) for block in app.thread.query("MessageBlock")]
        assert any(text.startswith("Forwarded from Jane  ") for text in blocks)


# -- the thread pane shows the row under the cursor, or nothing ------------------------------------

async def test_archiving_the_open_conversation_empties_the_thread_pane(make_inbox_app):
    """The report: after archiving, the thread kept the archived conversation while the cursor was
    on the next row."""
    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        await move_to(pilot, 2)
        await pilot.press("enter")
        await async_wait_until(lambda: app.thread.conversation is not None)
        archived = app.thread.conversation.id
        app.list.focus()
        await pilot.press("a")
        await async_wait_until(lambda: app.session.view.find(archived) is None)
        await settle(pilot)
        assert app.list.current.id != archived
        assert app.thread.conversation is None


async def test_a_mailbox_switch_empties_the_thread_pane(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        await move_to(pilot, 3)
        await pilot.press("enter")
        await async_wait_until(lambda: app.thread.conversation is not None)
        app.list.focus()
        await pilot.press("3")  # Starred: the list starts at its top
        await async_wait_until(lambda: app.session.mailbox.id == "starred" and app.session.view.loaded)
        await settle(pilot)
        assert app.thread.conversation is None


async def test_a_conversation_that_cannot_be_opened_does_not_leave_the_last_one_showing(make_inbox_app, fixed_sandbox):
    """Offline, a conversation never opened here cannot be shown: the pane must not keep the one before."""
    from dataclasses import replace

    from tui_inbox.canvas.http import RetryPolicy

    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        await move_to(pilot, 1)
        await pilot.press("enter")
        await async_wait_until(lambda: app.thread.conversation is not None)
        app.list.focus()
        app.session.client.http.retry = RetryPolicy(attempts=1, base=0.01)
        fixed_sandbox.state.knobs = replace(fixed_sandbox.state.knobs, fail_rate=1.0)
        await pilot.press("j", "enter")
        await async_wait_until(lambda: app.status.error)
        await settle(pilot)
        assert app.thread.conversation is None


# -- an opened thread stays at its end while its layout settles -----------------------------------

async def test_a_thread_read_at_its_end_stays_there_when_its_lines_rewrap(make_inbox_app):
    """Under CI load a thread opened one line short of its end: the first layout was narrower than
    the last (the scrollbar came a frame later and rewrapped a message). A narrower terminal
    rewraps the same way on any machine: the reader at the end must still see the last line."""
    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        assert app.thread.max_scroll_y > 0 and app.thread.scroll_y == app.thread.max_scroll_y
        grown_from = app.thread.virtual_size.height
        await pilot.resize_terminal(90, 32)
        await async_wait_until(lambda: app.thread.virtual_size.height > grown_from)
        await settle(pilot)
        assert app.thread.scroll_y == app.thread.max_scroll_y
