"""Who gets what, as real Canvas decides it (canvas-api.md sections 2 to 5, and 4b).

Batch answers keep audience_contexts; add_message's recipients[] narrows a message to
some participants and lets newcomers in without the history; generated "added"
messages use short names and are not counted; observers reach only their linked
students; a search result's common courses are the ones shared with the searcher.
"""

from __future__ import annotations

import httpx
import pytest

SEARCH = "/api/v1/search/recipients"
TEACHER, TA, JANE, ALICE, DANA, FATIMA, HENRY, JAMAL, LINDA = 1, 3, 10, 12, 14, 16, 18, 20, 60


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


def shown(client: httpx.Client, cid: int) -> dict:
    response = client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"})
    assert response.status_code == 200, response.text
    return response.json()


def bodies(client: httpx.Client, cid: int) -> list[str]:
    return [m["body"] for m in reversed(shown(client, cid)["messages"])]  # oldest first


def found(client: httpx.Client, **params) -> dict[int, dict]:
    rows = client.get(SEARCH, params={"per_page": 100, **params}).json()
    return {r["id"]: r for r in rows if r.get("type") != "context"}


def group_conversation(client: httpx.Client, recipients: list[int | str], body: str) -> dict:
    response = client.post("/api/v1/conversations", data={
        "recipients[]": [str(u) for u in recipients], "body": body, "group_conversation": "true"})
    assert response.status_code == 201, response.text
    return response.json()[0]


# -- 3. a batch create's answer ------------------------------------------------------------------
def test_a_batch_create_answers_each_conversation_with_audience_contexts_and_no_messages(as_user):
    response = as_user(TEACHER).post("/api/v1/conversations",
                                     data={"recipients[]": [str(JANE), str(ALICE)], "body": "One each"})
    assert response.status_code == 201
    batch = response.json()
    assert sorted(c["audience"] for c in batch) == [[JANE], [ALICE]] and all(c["private"] for c in batch)
    for conversation in batch:
        # The teacher shares BIO 101 with each student: there the student is a student.
        assert conversation["audience_contexts"]["courses"]["1"] == ["StudentEnrollment"]
        assert conversation["audience_contexts"]["groups"] == {"1": ["Member"]}  # Lab Group A
        assert "messages" not in conversation and "context_name" not in conversation
        # The participants stay short: no common contexts, no avatars.
        assert all(set(p) == {"id", "name", "full_name", "pronouns"} for p in conversation["participants"])


# -- 4. add_message's recipients[] ---------------------------------------------------------------
def test_add_message_to_some_recipients_reaches_only_them_and_newcomers_see_no_history(as_user):
    teacher, jane, alice = as_user(TEACHER), as_user(JANE), as_user(ALICE)
    group = group_conversation(teacher, [JANE, ALICE], "Kick-off")
    cid, kickoff = group["id"], group["messages"][0]["id"]

    only_jane = teacher.post(f"/api/v1/conversations/{cid}/add_message",
                             data={"body": "Only for Jane", "recipients[]": [str(JANE)]})
    assert only_jane.status_code == 200
    assert only_jane.json()["messages"][0]["participating_user_ids"] == [TEACHER, JANE]

    # Fatima is not in the conversation yet: naming her adds her, with the kick-off included.
    welcome = teacher.post(f"/api/v1/conversations/{cid}/add_message", data={
        "body": "Welcome, Fatima", "recipients[]": [str(JANE), str(FATIMA)], "included_messages[]": [str(kickoff)]})
    assert welcome.status_code == 200
    assert welcome.json()["messages"][0]["participating_user_ids"] == [TEACHER, JANE, FATIMA]

    fatima = as_user(FATIMA)
    assert bodies(fatima, cid) == ["Kick-off", "Welcome, Fatima"]  # no "Only for Jane", no "was added" message
    fatima_view = shown(fatima, cid)
    assert fatima_view["message_count"] == 2 and fatima_view["workflow_state"] == "unread"
    assert FATIMA in [p["id"] for p in shown(teacher, cid)["participants"]]
    listed = {c["id"]: c for c in fatima.get("/api/v1/conversations").json()}
    assert listed[cid]["message_count"] == 2

    # Each participant counts what they can see.
    assert bodies(alice, cid) == ["Kick-off"] and shown(alice, cid)["message_count"] == 1
    assert bodies(jane, cid) == ["Kick-off", "Only for Jane", "Welcome, Fatima"]
    assert shown(jane, cid)["message_count"] == 3
    assert shown(teacher, cid)["message_count"] == 3


def test_add_recipients_gives_the_newcomer_the_whole_history(as_user):
    teacher = as_user(TEACHER)
    cid = group_conversation(teacher, [JANE, ALICE], "Kick-off")["id"]
    teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "Only for Jane", "recipients[]": [str(JANE)]})
    added = teacher.post(f"/api/v1/conversations/{cid}/add_recipients", data={"recipients[]": [str(HENRY)]})
    assert added.status_code == 200
    henry = as_user(HENRY)
    assert bodies(henry, cid) == ["Kick-off", "Only for Jane", "Henry was added to the conversation by Maggie Okafor"]
    assert shown(henry, cid)["workflow_state"] == "unread"


# -- 5. the generated "added" message -------------------------------------------------------------
def test_the_added_message_uses_short_names_and_is_not_counted(as_user):
    teacher = as_user(TEACHER)
    cid = group_conversation(teacher, [JANE, ALICE], "Kick-off")["id"]
    added = teacher.post(f"/api/v1/conversations/{cid}/add_recipients",
                         data={"recipients[]": [str(DANA), str(FATIMA)]}).json()
    message = added["messages"][0]
    # Short names: "Maggie Okafor" is the teacher's, her full name is "Margaret Okafor".
    assert message["generated"] is True
    assert message["body"] == "Dana and Fatima were added to the conversation by Maggie Okafor"
    assert added["message_count"] == 1  # only the kick-off
    dana = shown(as_user(DANA), cid)
    assert len(dana["messages"]) == 2 and dana["message_count"] == 1
    index = {c["id"]: c for c in teacher.get("/api/v1/conversations", params={"scope": "sent"}).json()}
    assert index[cid]["message_count"] == 1


# -- 6. observers --------------------------------------------------------------------------------
def test_an_observer_finds_only_their_linked_students_besides_teachers_and_tas(as_user):
    linda = as_user(LINDA)
    in_bio = found(linda, context="course_1")
    # Not Alice, Fatima, ... nor Dana, observed only in HIST 150; Linda herself, as Canvas lists the
    # searcher (spec/apis/v1/search_api_spec.rb, "should not show non-linked students to observers").
    assert set(in_bio) == {TEACHER, TA, JANE, LINDA}
    everyone = found(linda, search="a")
    students = {uid for uid, row in everyone.items() if "StudentEnrollment" in sum(row["common_courses"].values(), [])}
    assert students == {JANE, DANA}
    assert found(linda, search="Alice") == {}
    refused = linda.post("/api/v1/conversations", data={"recipients[]": [str(ALICE)], "body": "Hello"})
    assert refused.status_code == 400 and refused.json() == [{"attribute": "recipients", "message": "invalid"}]
    sent = linda.post("/api/v1/conversations", data={"recipients[]": [str(JANE)], "body": "Hello, dear"})
    assert sent.status_code == 201


def test_a_student_finds_only_their_own_observer(as_user):
    assert found(as_user(ALICE), search="Linda") == {}
    assert LINDA not in found(as_user(ALICE), context="course_1")
    assert set(found(as_user(JANE), search="Linda")) == {LINDA}
    assert set(found(as_user(TEACHER), search="Linda")) == {LINDA}  # teachers see every observer
    # A section reaches only those the sender may write to: not someone else's observer.
    section = group_conversation(as_user(ALICE), ["section_11"], "Study group tonight?")
    members = {p["id"] for p in section["participants"]}
    assert JANE in members and LINDA not in members


# -- 7. common_courses and common_groups in a search -------------------------------------------------
def test_a_search_result_holds_only_what_that_user_shares_with_the_searcher(as_user):
    # Dana and Linda both take BIO 101, but Linda observes Dana only in HIST 150.
    assert found(as_user(DANA), search="Linda")[LINDA]["common_courses"] == {"3": ["ObserverEnrollment"]}
    assert found(as_user(LINDA), search="Dana")[DANA]["common_courses"] == {"3": ["StudentEnrollment"]}
    # Alice and Dana share BIO 101 and Lab Group A (and a concluded course, which is left out).
    dana = found(as_user(ALICE), search="Dana")[DANA]
    assert dana["common_courses"] == {"1": ["StudentEnrollment"]} and dana["common_groups"] == {"1": ["Member"]}
    assert found(as_user(ALICE), search="Jamal")[JAMAL]["common_groups"] == {}  # not in the group
    # The types are the found user's own, in each shared course.
    priya = found(as_user(TEACHER), search="Priya")[TA]
    assert priya["common_courses"] == {"1": ["TaEnrollment"], "2": ["TaEnrollment"]}
    assert priya["common_groups"] == {"1": ["Member"]}
