"""The five facts a naive Canvas implementation gets wrong (canvas-api.md, last section)."""

from __future__ import annotations

import pytest

from tests.waiting import wait_until

TEACHER_ID = 1


def ids(client, scope: str) -> list[int]:
    body = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"}).json()
    return body["conversation_ids"]


def test_a_conversation_just_created_is_not_in_the_senders_inbox_but_under_sent(teacher, student):
    created = student.post(
        "/api/v1/conversations", data={"recipients[]": [str(TEACHER_ID)], "subject": "New one", "body": "Hello"}
    )
    assert created.status_code == 201
    convo = created.json()[0]
    assert (convo["workflow_state"], convo["last_message"], convo["last_message_at"], convo["visible"]) == (
        "read", None, None, False,
    )
    assert convo["id"] not in ids(student, "inbox")
    assert convo["id"] in ids(student, "sent")
    # The recipient sees it in the inbox, unread.
    assert convo["id"] in ids(teacher, "unread")
    # Once someone else posts, it reaches the sender's inbox too.
    teacher.post(f"/api/v1/conversations/{convo['id']}/add_message", data={"body": "Got it"})
    assert convo["id"] in ids(student, "inbox")


def test_several_recipients_without_group_make_one_private_conversation_each(teacher):
    students = [10, 12, 14]
    answer = teacher.post(
        "/api/v1/conversations", data={"recipients[]": [str(s) for s in students], "body": "Reminder", "subject": "Quiz"}
    )
    assert answer.status_code == 201
    made = answer.json()
    assert isinstance(made, list) and len(made) == 3
    assert all(c["private"] for c in made)
    assert sorted(c["audience"][0] for c in made) == students
    # A second private message to one of them reuses that thread, and its subject is ignored.
    again = teacher.post("/api/v1/conversations", data={"recipients[]": ["12"], "body": "One more", "subject": "Other"})
    reused = again.json()[0]
    assert reused["id"] in {c["id"] for c in made}
    assert reused["subject"] == "Quiz"


def test_async_bulk_message_answers_202_with_a_batch_id_and_an_empty_array(teacher):
    answer = teacher.post(
        "/api/v1/conversations",
        data={"recipients[]": ["10", "12", "14", "16"], "body": "Bulk", "mode": "async"},
    )
    assert answer.status_code == 202
    assert answer.json() == []
    batch_id = int(answer.headers["X-Conversation-Batch-Id"])
    # The batch runs to the end and then leaves the list of running batches.
    wait_until(lambda: all(b["id"] != batch_id for b in teacher.get("/api/v1/conversations/batches").json()))
    sent = teacher.get("/api/v1/conversations", params={"scope": "sent", "per_page": 10}).json()
    assert sum(1 for c in sent if c["last_authored_message"] == "Bulk") == 4


@pytest.mark.parametrize(
    "method, path, data, status, body",
    [
        ("POST", "/api/v1/conversations", {"body": "x"}, 400, [{"attribute": "recipients", "message": "blank"}]),
        ("PUT", "/api/v1/conversations", {"event": "star"}, 400, {"message": "conversation_ids not specified"}),
        ("GET", "/api/v1/conversations/999999", None, 404,
         {"errors": [{"message": "The specified resource does not exist."}]}),
    ],
)
def test_error_bodies_differ_per_path(teacher, method, path, data, status, body):
    answer = teacher.request(method, path, data=data)
    assert answer.status_code == status
    assert answer.json() == body


def test_subject_too_long_is_a_validation_error_shape(teacher):
    answer = teacher.post("/api/v1/conversations", data={"recipients[]": ["10"], "body": "x", "subject": "s" * 256})
    assert answer.status_code == 400
    assert "subject" in answer.json()["errors"]


def test_auth_errors_have_status_and_www_authenticate(sandbox):
    import httpx

    bare = httpx.get(sandbox.base_url + "/api/v1/conversations")
    assert bare.status_code == 401
    assert bare.json() == {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}
    assert bare.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    wrong = httpx.get(sandbox.base_url + "/api/v1/conversations", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"errors": [{"message": "Invalid access token."}]}


def test_unread_count_is_a_string_and_show_marks_read_unless_told_not_to(teacher):
    before = teacher.get("/api/v1/conversations/unread_count").json()["unread_count"]
    assert isinstance(before, str) and int(before) > 0
    first = teacher.get("/api/v1/conversations", params={"scope": "unread", "per_page": 2}).json()
    kept, opened = first[0]["id"], first[1]["id"]
    assert teacher.get(f"/api/v1/conversations/{kept}", params={"auto_mark_as_read": "0"}).json()["workflow_state"] == "unread"
    assert teacher.get(f"/api/v1/conversations/{opened}").json()["workflow_state"] == "read"
    assert teacher.get("/api/v1/conversations/unread_count").json() == {"unread_count": str(int(before) - 1)}


def test_batch_completion_is_a_fraction_and_progress_completion_a_percentage(teacher):
    answer = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "b", "mode": "async"})
    assert answer.status_code == 202
    running = teacher.get("/api/v1/conversations/batches").json()
    for batch in running:
        assert 0.0 <= batch["completion"] <= 1.0
    some = ids(teacher, "inbox")[:3]
    progress = teacher.put("/api/v1/conversations", data={"conversation_ids[]": some, "event": "star"}).json()
    final = wait_until(lambda: (p := teacher.get(f"/api/v1/progress/{progress['id']}").json())["workflow_state"] == "completed" and p)
    assert final["completion"] == 100.0


def test_unknown_scope_silently_means_inbox(teacher):
    assert ids(teacher, "no-such-scope") == ids(teacher, "inbox")


def test_conversation_events_carry_no_recipient_list_and_forwarded_means_added(sandbox, teacher):
    hub = sandbox.state.hub
    queue = sandbox.call(hub.subscribe, 14)
    group = teacher.post(
        "/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "Team", "group_conversation": "true"}
    ).json()[0]
    added = teacher.post(f"/api/v1/conversations/{group['id']}/add_recipients", data={"recipients[]": ["14"]})
    assert added.status_code == 200
    assert added.json()["messages"][0]["generated"] is True
    events = [sandbox.call(queue.get_nowait) for _ in range(sandbox.call(queue.qsize))]
    names = [e["metadata"]["event_name"] for e in events]
    assert names[0] == "conversation_forwarded"
    forwarded = events[0]
    assert forwarded["body"] == {"conversation_id": str(group["id"]), "updated_at": forwarded["body"]["updated_at"]}
    assert all(isinstance(v, str) for v in forwarded["body"].values())
    assert forwarded["metadata"]["user_id"] == str(2107 * 10**13 + TEACHER_ID)  # a global id
    for event in events:
        assert not {"recipients", "participants", "participant_ids"} & set(event["body"])
