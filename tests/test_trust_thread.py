"""The thread's "With:" line names who can read the conversation, and no one else."""

from __future__ import annotations

from tests.conftest import move_to, ready, settle
from tests.test_live_app import client_for
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
