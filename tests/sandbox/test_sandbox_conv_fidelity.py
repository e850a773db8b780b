"""Conversations as canvas-lms answers them to an admin, for forwards and files, and under ``filter[]``.

Each test names the canvas-lms source it imitates.
"""

from __future__ import annotations

import httpx
import pytest

TEACHER, TA, JANE, BOB, ADMIN = 1, 3, 10, 11, 90
SCHOOL = "State University"  # the root account's name: the sandbox's first institution


@pytest.fixture
def as_user(sandbox):
    """``as_user(id)``: an HTTP client holding that seeded user's token; all closed after the test."""
    clients: list[httpx.Client] = []

    def make(user_id: int) -> httpx.Client:
        token = next(u["token"] for u in sandbox.info.users if u["id"] == user_id)
        client = httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def create(client: httpx.Client, recipients: list[int], body: str, **extra) -> httpx.Response:
    return client.post("/api/v1/conversations", data={"recipients[]": [str(r) for r in recipients], "body": body, **extra})


def listed(client: httpx.Client, **params) -> dict[int, dict]:
    rows = client.get("/api/v1/conversations", params={"per_page": 100, **params}).json()
    return {row["id"]: row for row in rows}


def shown(client: httpx.Client, cid: int) -> dict:
    response = client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"})
    assert response.status_code == 200, response.text
    return response.json()


def subject_id(client: httpx.Client, subject: str) -> int:
    return next(cid for cid, row in listed(client).items() if row["subject"] == subject)


# -- 1. an account admin writes with the account or a course as context -----------------------------------
def test_an_admin_writes_to_anyone_in_the_account_with_the_account_as_context(as_user):
    """app/helpers/conversations_helper.rb (normalize_recipients with ``context:``, valid_account_context?),
    app/controllers/conversations_controller.rb#create, lib/api/v1/conversations.rb#conversation_json."""
    admin, jane = as_user(ADMIN), as_user(JANE)
    response = create(admin, [JANE], "The library closes early on Friday.", subject="Library hours",
                      context_code="account_1")
    assert response.status_code == 201, response.text
    mine = response.json()[0]
    assert mine["context_code"] == "account_1"
    assert [p["id"] for p in mine["participants"]] == [ADMIN, JANE]

    theirs = listed(jane)[mine["id"]]
    assert theirs["context_code"] == "account_1"
    assert theirs["context_name"] == SCHOOL
    assert theirs["last_message"] == "The library closes early on Friday."
    # Jane can answer the admin, with whom she shares no course.
    reply = jane.post(f"/api/v1/conversations/{mine['id']}/add_message", data={"body": "Thanks!"})
    assert reply.status_code == 200, reply.text


def test_an_admin_writing_in_a_course_sees_the_account_as_its_context(as_user):
    """lib/api/v1/conversations.rb#conversation_json: an admin's (AccountUser's) copy of a course
    conversation carries ``account_<root id>``; the course's people see the course."""
    admin, bob = as_user(ADMIN), as_user(BOB)
    response = create(admin, [BOB], "Please see the registrar about your schedule.", context_code="course_2")
    assert response.status_code == 201, response.text
    mine = response.json()[0]
    assert mine["context_code"] == "account_1"
    theirs = listed(bob, **{"filter[]": "course_2"})[mine["id"]]
    assert theirs["context_code"] == "course_2"
    assert theirs["context_name"] == "Organic Chemistry"


def test_an_admin_reaches_only_the_course_people_in_a_course_and_nobody_without_a_context(as_user):
    """app/helpers/conversations_helper.rb#normalize_recipients: recipients are looked up in the
    given context; an admin enrolled nowhere knows nobody without one."""
    admin = as_user(ADMIN)
    alone = create(admin, [JANE], "hello")
    assert alone.status_code == 400 and alone.json() == [{"attribute": "recipients", "message": "invalid"}]
    # Jane (BIO 101) is not in HIST 150's roster unless the seed put her there; Bob takes CHEM 210.
    elsewhere = create(admin, [BOB], "hello", context_code="course_1")
    assert elsewhere.status_code == 400 and elsewhere.json() == [{"attribute": "recipients", "message": "invalid"}]


def test_only_an_admin_may_use_the_account_as_context(as_user):
    """app/helpers/conversations_helper.rb#valid_account_context?: without the account's roster
    right the account context is refused."""
    response = create(as_user(TEACHER), [JANE], "hello", context_code="account_1")
    assert response.status_code == 400
    assert response.json() == [{"attribute": "context_code", "message": "invalid"}]
    other = create(as_user(ADMIN), [JANE], "hello", context_code="account_2")  # not the root account
    assert other.status_code == 400


# -- 3. forwarded messages and attachments ----------------------------------------------------------------
def test_a_forwarded_message_lists_who_saw_it_where_it_was_written(as_user):
    """lib/api/v1/conversations.rb#conversation_message_json: ``participating_user_ids`` on every
    message, forwarded ones too (recursively), from that message's own participants."""
    teacher = as_user(TEACHER)
    carrier = next(m for m in shown(teacher, subject_id(teacher, "Fwd: Grade dispute"))["messages"]
                   if m["forwarded_messages"])
    assert carrier["participating_user_ids"] == [TEACHER, TA]
    forwarded = carrier["forwarded_messages"][0]
    assert forwarded["body"].startswith("Forwarding to the instructor")
    assert forwarded["participating_user_ids"] == [TA, BOB]  # the Grade dispute thread's two people
    assert forwarded["forwarded_messages"][0]["participating_user_ids"] == [TA, BOB]


def test_forwarding_a_message_with_a_file_marks_the_new_conversation_as_having_attachments(as_user):
    """app/models/conversation_message.rb#infer_values: ``has_attachments`` when the message or any
    message it forwards has attachments; the conversation's ``properties`` then list "attachments"."""
    teacher = as_user(TEACHER)
    thread = shown(teacher, subject_id(teacher, "Lab report extension"))
    with_file = next(m for m in thread["messages"] if m["attachments"] and m["author_id"] == JANE)
    response = create(teacher, [TA], "Jane's draft, for your grading.", subject="Fwd: Lab report",
                      **{"forwarded_message_ids[]": str(with_file["id"])})
    assert response.status_code == 201, response.text
    created = response.json()[0]
    assert created["messages"][0]["attachments"] == []
    assert "attachments" in created["properties"]
    assert "attachments" in listed(as_user(TA))[created["id"]]["properties"]


def test_attachment_json_carries_upload_status_and_category(as_user):
    """lib/api/v1/attachment.rb#attachment_json (``upload_status`` from AttachmentUploadStatus,
    ``category``), as spec/apis/api_spec_helper.rb#attachment_json expects: "success", "uncategorized"."""
    teacher = as_user(TEACHER)
    thread = shown(teacher, subject_id(teacher, "Lab report extension"))
    file = next(a for m in thread["messages"] for a in m["attachments"])
    assert file["upload_status"] == "success"
    assert file["category"] == "uncategorized"
    alone = teacher.get(f"/api/v1/files/{file['id']}").json()
    assert (alone["upload_status"], alone["category"]) == ("success", "uncategorized")


# -- 4. a group conversation is filed under what most of its people share ---------------------------------
def test_a_group_conversation_is_filed_only_under_contexts_most_participants_share(sandbox, as_user):
    """app/models/conversation.rb: ``current_context_strings`` (contexts more than half of the
    participants share) and ``infer_new_tags_for`` (each participant's tags are those of them
    that participant belongs to)."""
    def only_in(course_id: int) -> list[int]:
        world = sandbox.state.world
        return [u.id for u in world.users.values()
                if u.role == "student" and world.course_ids_of(u.id) == [course_id] and not world.group_ids_of(u.id)]

    biology, chemistry = sandbox.call(lambda: (only_in(1), only_in(2)))
    a, b, c = biology[0], biology[1], chemistry[0]
    teacher = as_user(TEACHER)
    response = create(teacher, [a, b, c], "Shared lab slots for next week.", subject="Lab slots",
                      group_conversation="true")
    assert response.status_code == 201, response.text
    cid = response.json()[0]["id"]
    teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "Reply here."})

    # Four people: BIO 101 is shared by three (more than half), CHEM 210 by two (not more).
    assert cid in listed(teacher, **{"filter[]": "course_1"})
    assert cid not in listed(teacher, **{"filter[]": "course_2"})
    chemist = as_user(c)
    assert cid in listed(chemist)
    assert cid not in listed(chemist, **{"filter[]": "course_2"})
    assert listed(teacher)[cid]["context_name"] == "Introduction to Biology"
