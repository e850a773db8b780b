"""The Conversations endpoints of the sandbox, spoken to over HTTP as any Canvas client would."""

from __future__ import annotations

import re

from tests.waiting import wait_until

TEACHER_ID = 1


def all_ids(client, **params) -> list[int]:
    params = {"include_all_conversation_ids": "true", **params}
    return client.get("/api/v1/conversations", params=params).json()["conversation_ids"]


def find_subject(client, subject: str, scope: str = "inbox") -> dict:
    page = 1
    while True:
        rows = client.get("/api/v1/conversations", params={"scope": scope, "per_page": 100, "page": page}).json()
        if not rows:
            raise AssertionError(f"no conversation {subject!r} under {scope}")
        for row in rows:
            if row["subject"] == subject:
                return row
        page += 1


def test_the_seeded_teacher_has_every_scope_filled(teacher):
    counts = {scope: len(all_ids(teacher, scope=scope)) for scope in ("inbox", "unread", "starred", "archived", "sent")}
    assert counts["inbox"] + counts["archived"] >= 150
    assert all(n > 0 for n in counts.values()), counts


def test_index_pages_with_canvas_link_header(teacher):
    first = teacher.get("/api/v1/conversations", params={"per_page": 3, "scope": "inbox"})
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"]))
    assert list(dict.fromkeys(re.findall(r'rel="(\w+)"', first.headers["Link"]))) == ["current", "next", "first", "last"]
    assert "scope=inbox" in links["next"] and "page=2" in links["next"] and "per_page=3" in links["next"]
    second = teacher.get(links["next"])
    assert {c["id"] for c in first.json()}.isdisjoint({c["id"] for c in second.json()})
    last_page = int(re.search(r"[?&]page=(\d+)", links["last"]).group(1))
    assert teacher.get("/api/v1/conversations", params={"per_page": 3, "page": last_page + 1}).json() == []
    # per_page is clamped to 100, and ordering is newest first.
    big = teacher.get("/api/v1/conversations", params={"per_page": 1000}).json()
    assert len(big) == 100
    stamps = [c["last_message_at"] for c in big]
    assert stamps == sorted(stamps, reverse=True)


def test_filters_by_course_and_user_with_modes(teacher):
    bio = set(all_ids(teacher, **{"filter[]": "course_1"}))
    chem = set(all_ids(teacher, **{"filter[]": "course_2"}))
    both_or = set(all_ids(teacher, **{"filter[]": ["course_1", "course_2"]}))
    both_and = set(all_ids(teacher, **{"filter[]": ["course_1", "course_2"], "filter_mode": "and"}))
    assert bio and chem
    assert both_or == bio | chem
    assert both_and == bio & chem
    jane = set(all_ids(teacher, **{"filter[]": "user_10"}))
    assert jane and all(10 in [p["id"] for p in teacher.get(f"/api/v1/conversations/{c}", params={"auto_mark_as_read": 0}).json()["participants"]] for c in list(jane)[:3])
    assert set(all_ids(teacher, **{"filter[]": ""})) == set(all_ids(teacher))
    bad = teacher.get("/api/v1/conversations", params={"filter[]": "course_1", "filter_mode": "xor"})
    assert bad.status_code == 400 and bad.json() == [{"attribute": "filter_mode", "message": "invalid"}]


def test_index_shape_and_participant_avatars(teacher):
    row = teacher.get("/api/v1/conversations", params={"per_page": 1}).json()[0]
    for key in ("id", "subject", "workflow_state", "last_message", "last_message_at", "message_count", "subscribed",
                "private", "starred", "properties", "audience", "audience_contexts", "avatar_url", "participants", "visible"):
        assert key in row
    assert "messages" not in row
    assert set(row["participants"][0]) == {"id", "name", "full_name", "pronouns"}
    with_avatars = teacher.get("/api/v1/conversations", params={"per_page": 1, "include[]": "participant_avatars"}).json()[0]
    assert "avatar_url" in with_avatars["participants"][0]


def test_show_nests_forwarded_messages_and_lists_attachments_and_generated(teacher, sandbox):
    fwd = find_subject(teacher, "Fwd: Grade dispute")
    shown = teacher.get(f"/api/v1/conversations/{fwd['id']}").json()
    carrier = shown["messages"][-1]
    inner = carrier["forwarded_messages"][0]
    assert inner["forwarded_messages"][0]["body"].startswith("I think question 3")
    # The forwarded messages' author (a student) is listed although not a participant.
    assert 11 in [p["id"] for p in shown["participants"]]
    assert shown["submissions"] == []
    lab = find_subject(teacher, "Lab report extension")
    thread = teacher.get(f"/api/v1/conversations/{lab['id']}").json()
    assert len(thread["messages"]) == 20
    created = [m["created_at"] for m in thread["messages"]]
    assert created == sorted(created, reverse=True)  # newest first
    attachments = {a["display_name"]: a for m in thread["messages"] for a in m["attachments"]}
    assert set(attachments) == {"lab-report-draft.pdf", "rubric.txt"}
    assert attachments["lab-report-draft.pdf"]["size"] > 0
    assert "attachments" in lab["properties"]
    group = find_subject(teacher, "Lab Group A: safety briefing")
    messages = teacher.get(f"/api/v1/conversations/{group['id']}").json()["messages"]
    generated = [m for m in messages if m["generated"]]
    assert generated and generated[0]["body"].endswith("was added to the conversation by Maggie Okafor")  # short name


def test_update_star_archive_and_unarchive(teacher):
    cid = all_ids(teacher)[0]
    starred = teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[starred]": "true"}).json()
    assert starred["starred"] is True and cid in all_ids(teacher, scope="starred")
    archived = teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[workflow_state]": "archived"}).json()
    assert archived["workflow_state"] == "archived" and archived["visible"] is False
    assert cid in all_ids(teacher, scope="archived") and cid not in all_ids(teacher)
    # Canvas has no "unarchive": setting the state back to read does it.
    back = teacher.put(f"/api/v1/conversations/{cid}", json={"conversation": {"workflow_state": "read"}}).json()
    assert back["workflow_state"] == "read" and cid in all_ids(teacher)
    missing = teacher.put(f"/api/v1/conversations/{cid}", data={})
    assert missing.status_code == 400 and missing.json() == {"errors": [{"message": "conversation is missing"}]}


def test_destroy_removes_only_my_view(teacher, student):
    created = student.post("/api/v1/conversations", data={"recipients[]": ["1"], "body": "delete me"}).json()[0]
    gone = teacher.delete(f"/api/v1/conversations/{created['id']}").json()
    assert (gone["message_count"], gone["last_message"], gone["last_message_at"], gone["properties"], gone["visible"]) == (
        0, None, None, [], False)
    assert gone["audience_contexts"]["courses"] == {}
    assert teacher.get(f"/api/v1/conversations/{created['id']}").status_code == 404
    assert student.get(f"/api/v1/conversations/{created['id']}").json()["message_count"] == 1


def test_add_message_to_some_recipients_and_include_earlier_messages(teacher, sandbox):
    group = teacher.post("/api/v1/conversations",
                         data={"recipients[]": ["10", "12"], "body": "Kick-off", "group_conversation": "true"}).json()[0]
    cid = group["id"]
    first_id = group["messages"][0]["id"]
    reply = teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "Only for Jane", "recipients[]": ["10"]})
    assert reply.status_code == 200
    message = reply.json()["messages"][0]
    assert message["body"] == "Only for Jane" and sorted(message["participating_user_ids"]) == [1, 10]
    # Alice lacks that message until it is included in a later one.
    with sandbox_client(sandbox, 12) as alice:
        before = [m["body"] for m in alice.get(f"/api/v1/conversations/{cid}").json()["messages"]]
        assert "Only for Jane" not in before
        shared = teacher.post(f"/api/v1/conversations/{cid}/add_message",
                              data={"body": "See above", "recipients[]": ["12"], "included_messages[]": [str(message["id"])]})
        assert shared.status_code == 200
        after = [m["body"] for m in alice.get(f"/api/v1/conversations/{cid}").json()["messages"]]
        assert "Only for Jane" in after and "See above" in after
    # A newcomer named in recipients[] joins seeing only that message, not the history.
    teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "Welcome", "recipients[]": ["14"]})
    with sandbox_client(sandbox, 14) as newcomer:
        bodies = [m["body"] for m in newcomer.get(f"/api/v1/conversations/{cid}").json()["messages"]]
    assert bodies == ["Welcome"]
    assert first_id in [m["id"] for m in group["messages"]]
    empty = teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "  "})
    assert empty.status_code == 400
    assert empty.json() == [{"attribute": "empty_message", "message": "Unable to create message without a body"}]
    foreign = teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "x", "included_messages[]": ["1"]})
    assert foreign.json() == [{"attribute": "included_messages", "message": "not for this conversation"}]


def sandbox_client(sandbox, user_id: int):
    import httpx

    token = next(u["token"] for u in sandbox.info.users if u["id"] == user_id)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"})


def test_add_recipients_rules(teacher):
    private = teacher.post("/api/v1/conversations", data={"recipients[]": ["16"], "body": "private"}).json()[0]
    refused = teacher.post(f"/api/v1/conversations/{private['id']}/add_recipients", data={"recipients[]": ["18"]})
    assert refused.status_code == 500
    assert refused.json()["errors"][0]["error_code"] == "internal_server_error"
    group = teacher.post("/api/v1/conversations",
                         data={"recipients[]": ["10", "12"], "body": "g", "group_conversation": "true"}).json()[0]
    empty = teacher.post(f"/api/v1/conversations/{group['id']}/add_recipients", data={})
    assert empty.status_code == 400 and empty.json() == {}
    added = teacher.post(f"/api/v1/conversations/{group['id']}/add_recipients", data={"recipients[]": ["14", "16"]}).json()
    assert added["messages"][0]["body"].startswith("Maya and Olivia were added") or " were added " in added["messages"][0]["body"]
    assert {14, 16} <= set(added["audience"])


def test_remove_messages_and_only_generated_left_removes_all(teacher):
    group = teacher.post("/api/v1/conversations",
                         data={"recipients[]": ["10", "12"], "body": "hello", "group_conversation": "true"}).json()[0]
    cid, mid = group["id"], group["messages"][0]["id"]
    teacher.post(f"/api/v1/conversations/{cid}/add_recipients", data={"recipients[]": ["14"]})
    removed = teacher.post(f"/api/v1/conversations/{cid}/remove_messages", data={"remove[]": [str(mid)]}).json()
    assert removed["message_count"] == 0  # only the generated message was left, so it went too


def test_batch_update_progress_advances_and_reports_failures(teacher):
    some = all_ids(teacher, scope="inbox")[:30]
    answer = teacher.put("/api/v1/conversations", data={"conversation_ids[]": [str(i) for i in some] + ["999999", "abc"],
                                                        "event": "archive"})
    progress = answer.json()
    assert progress["workflow_state"] == "queued" and progress["tag"] == "conversation_batch_update"
    assert progress["url"].endswith(f"/api/v1/progress/{progress['id']}")
    seen = set()

    def finished():
        now = teacher.get(f"/api/v1/progress/{progress['id']}").json()
        seen.add(now["workflow_state"])
        return now if now["workflow_state"] in ("completed", "failed") else None

    final = wait_until(finished)
    assert final["workflow_state"] == "completed" and final["completion"] == 100.0
    assert final["message"].splitlines() == [
        "30 conversations processed",
        "The user is not participating in this conversation: 999999, abc",
    ]
    assert set(some) <= set(all_ids(teacher, scope="archived"))
    # Mark as read brings them back: Canvas's way to unarchive.
    back = teacher.put("/api/v1/conversations", data={"conversation_ids[]": [str(i) for i in some], "event": "mark_as_read"}).json()
    wait_until(lambda: teacher.get(f"/api/v1/progress/{back['id']}").json()["workflow_state"] == "completed")
    assert set(some) <= set(all_ids(teacher, scope="inbox"))


def test_batch_update_refuses_bad_input_with_its_own_shape(teacher):
    cases = [
        ({"event": "star"}, "conversation_ids not specified"),
        ({"conversation_ids[]": [str(i) for i in range(501)], "event": "star"}, "conversation batch size limit (500) exceeded"),
        ({"conversation_ids[]": ["1"]}, "event not specified"),
        ({"conversation_ids[]": ["1"], "event": "unarchive"}, "invalid event"),
    ]
    for data, message in cases:
        answer = teacher.put("/api/v1/conversations", data=data)
        assert (answer.status_code, answer.json()) == (400, {"message": message})


def test_batch_with_nothing_valid_fails(teacher):
    progress = teacher.put("/api/v1/conversations", data={"conversation_ids[]": ["999998"], "event": "star"}).json()
    final = wait_until(lambda: (p := teacher.get(f"/api/v1/progress/{progress['id']}").json())["workflow_state"] in ("completed", "failed") and p)
    assert final["workflow_state"] == "failed"


def test_mark_all_as_read(teacher):
    assert teacher.post("/api/v1/conversations/mark_all_as_read").json() == {}
    assert teacher.get("/api/v1/conversations/unread_count").json() == {"unread_count": "0"}
    assert all_ids(teacher, scope="unread") == []


def test_create_rules_in_canvas_order(teacher, student):
    def create(client, **data):
        answer = client.post("/api/v1/conversations", data=data)
        return answer.status_code, answer.json()

    assert create(teacher, **{"recipients[]": "user_10", "body": "x"}) == (400, [{"attribute": "recipients", "message": "invalid"}])
    assert create(teacher, **{"recipients[]": "10", "body": ""}) == (400, [{"attribute": "body", "message": "blank"}])
    assert create(teacher, **{"recipients[]": "10", "body": "x", "context_code": "course_99"}) == (
        400, [{"attribute": "context_code", "message": "invalid"}])
    assert create(teacher, **{"recipients[]": "10", "body": "x", "context_code": "course_4"}) == (
        400, [{"attribute": "Course concluded", "message": "Unable to send messages"}])
    assert create(student, **{"recipients[]": "course_1_students", "body": "hi all"}) == (
        400, [{"attribute": "recipients", "message": "restricted by role"}])
    status, made = create(teacher, **{"recipients[]": "course_1_students", "body": "Hello class",
                                      "group_conversation": "true", "context_code": "course_1"})
    assert status == 201 and len(made) == 1 and not made[0]["private"]
    assert made[0]["context_code"] == "course_1" and "context_name" not in made[0]  # index and show only
    # A comma-separated string works as well as recipients[].
    status, made = create(teacher, recipients="10,12", body="two")
    assert status == 201 and len(made) == 2


def test_group_conversation_is_never_reused_and_force_new_makes_a_new_private_thread(teacher):
    a = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "g", "group_conversation": "true"}).json()[0]
    b = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "g", "group_conversation": "true"}).json()[0]
    assert a["id"] != b["id"]
    p1 = teacher.post("/api/v1/conversations", data={"recipients[]": ["20"], "body": "p"}).json()[0]
    p2 = teacher.post("/api/v1/conversations", data={"recipients[]": ["20"], "body": "p", "force_new": "true"}).json()[0]
    assert p1["id"] != p2["id"]


def test_unknown_ids_and_wrong_types_get_canvas_errors(teacher):
    for method, path in [("GET", "/api/v1/conversations/abc"), ("PUT", "/api/v1/conversations/424242"),
                         ("DELETE", "/api/v1/conversations/424242"), ("POST", "/api/v1/conversations/424242/add_message"),
                         ("GET", "/api/v1/progress/999999"), ("GET", "/api/v1/progress/xyz")]:
        answer = teacher.request(method, path, data={"body": "x"} if method == "POST" else None)
        assert answer.status_code == 404, (method, path)
        assert answer.json() == {"errors": [{"message": "The specified resource does not exist."}]}
    broken = teacher.post("/api/v1/conversations", content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_json_bodies_work_like_forms(teacher):
    made = teacher.post("/api/v1/conversations", json={"recipients": ["10"], "body": "json body", "subject": "J"})
    assert made.status_code == 201 and made.json()[0]["messages"][0]["body"] == "json body"


def test_someone_elses_progress_is_not_found(sandbox, teacher, student):
    progress = teacher.put("/api/v1/conversations", data={"conversation_ids[]": ["1"], "event": "star"}).json()
    assert student.get(f"/api/v1/progress/{progress['id']}").status_code == 404
