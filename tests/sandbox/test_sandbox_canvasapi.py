"""A script written for real Canvas (canvasapi) works against the sandbox unchanged."""

from __future__ import annotations

import pytest
from canvasapi import Canvas

from tests.waiting import wait_until


@pytest.fixture
def canvas(sandbox):
    return Canvas(sandbox.base_url, sandbox.info.token_of("teacher"))


@pytest.fixture
def student_canvas(sandbox):
    return Canvas(sandbox.base_url, sandbox.info.token_of("student"))


def test_lists_every_scope_through_pagination(canvas, sandbox):
    for scope in ("inbox", "unread", "starred", "archived", "sent"):
        listed = [c.id for c in canvas.get_conversations(scope=scope, per_page=7)]
        expected = [
            p.conversation.id
            for p in sandbox.call(sandbox.state.conversations.listing, 1, scope)
        ]
        assert listed == expected and listed, scope


def test_create_private_and_group_reply_and_add_recipients(canvas):
    private = canvas.create_conversation(recipients=["10"], body="Private note", subject="canvasapi private")
    assert isinstance(private, list) and private[0].private is True
    group = canvas.create_conversation(
        recipients=["10", "12"], body="Group note", subject="canvasapi group", group_conversation=True
    )[0]
    assert group.private is False
    conversation = canvas.get_conversation(group.id)
    replied = conversation.add_message("A reply")
    assert replied.messages[0]["body"] == "A reply"
    added = conversation.add_recipients(["14"])
    assert added.messages[0]["generated"] is True
    trimmed = conversation.delete_messages([replied.messages[0]["id"]])
    assert trimmed["message_count"] == 1  # the first message; the generated one is not counted


def test_star_archive_batch_update_and_mark_all_read(canvas):
    first = next(iter(canvas.get_conversations()))
    assert first.edit(conversation={"starred": True}) is True
    assert first.starred is True
    assert first.edit(conversation={"workflow_state": "archived"}) is True
    assert first.workflow_state == "archived"
    ids = [c.id for c in canvas.get_conversations(scope="unread", per_page=50)][:10]
    progress = canvas.conversations_batch_update(conversation_ids=ids, event="mark_as_read")
    assert progress.workflow_state == "queued"
    wait_until(lambda: canvas.get_progress(progress.id).workflow_state == "completed")
    assert not set(ids) & {c.id for c in canvas.get_conversations(scope="unread", per_page=100)}
    assert canvas.conversations_mark_all_as_read() is True
    assert canvas.conversations_unread_count() == {"unread_count": "0"}


def test_running_batches_and_recipient_search(canvas):
    canvas.create_conversation(recipients=["10", "12", "14"], body="async bulk", mode="async")
    batches = canvas.conversations_get_running_batches()
    assert isinstance(batches, dict) or isinstance(batches, list)
    found = canvas.search_recipients(search="Jane")
    assert any(r["name"] == "Jane" or r.get("full_name") == "Jane Doe" for r in found)


def test_a_student_sees_the_conversation_under_sent(student_canvas):
    student_canvas.create_conversation(recipients=["1"], body="Question", subject="From canvasapi")
    sent = [c.subject for c in student_canvas.get_conversations(scope="sent")]
    inbox = [c.subject for c in student_canvas.get_conversations()]
    assert "From canvasapi" in sent and "From canvasapi" not in inbox
