"""The shape of the sandbox's answers as real Canvas gives them: string ids on request, where
``context_name`` appears, the ``.json`` format suffix, and ``delete_for_all`` (issue 11, items 1, 2, 8, 9)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import user_client

STRING_IDS = {"Accept": "application/json+canvas-string-ids"}


def ids_are_strings(value, where="answer") -> None:
    """Every ``id``/``*_id`` and every item of ``*_ids``/``audience``, at any depth, is a string (or null)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            ids_are_strings(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "id" or key.endswith("_id"):
                assert item is None or isinstance(item, str), f"{where}.{key} = {item!r}"
            elif (key.endswith("_ids") or key == "audience") and isinstance(item, list):
                assert all(isinstance(i, str) for i in item), f"{where}.{key} = {item!r}"
            else:
                ids_are_strings(item, f"{where}.{key}")


def with_attachments(client) -> dict:
    rows = client.get("/api/v1/conversations", params={"per_page": 100}).json()
    return next(r for r in rows if "attachments" in r["properties"])


# -- 1. Accept: application/json+canvas-string-ids ---------------------------------------------------

def test_string_ids_in_index_and_show_cover_every_id(teacher):
    plain = teacher.get("/api/v1/conversations", params={"per_page": 5}).json()
    assert isinstance(plain[0]["id"], int) and isinstance(plain[0]["audience"][0], int)  # not asked: numbers

    index = teacher.get("/api/v1/conversations", params={"per_page": 5}, headers=STRING_IDS)
    assert index.status_code == 200 and index.headers["content-type"].startswith("application/json")
    rows = index.json()
    ids_are_strings(rows)
    assert [r["id"] for r in rows] == [str(p["id"]) for p in plain]
    assert rows[0]["audience"] == [str(a) for a in plain[0]["audience"]]
    assert rows[0]["participants"][0]["id"] == str(plain[0]["participants"][0]["id"])
    assert "Link" in index.headers  # the answer is restyled, not rebuilt without its headers

    listed = with_attachments(teacher)
    shown = teacher.get(f"/api/v1/conversations/{listed['id']}", headers=STRING_IDS).json()
    ids_are_strings(shown)
    message = next(m for m in shown["messages"] if m["attachments"])
    assert isinstance(message["id"], str) and isinstance(message["author_id"], str)
    assert all(isinstance(u, str) for u in message["participating_user_ids"])
    assert isinstance(message["attachments"][0]["id"], str) and isinstance(message["attachments"][0]["folder_id"], str)
    assert shown["participants"][0]["common_courses"] is not None
    # Values that are not ids stay what they were.
    assert isinstance(shown["message_count"], int) and isinstance(shown["starred"], bool)


def test_string_ids_in_every_other_answer(sandbox, teacher):
    all_ids = teacher.get("/api/v1/conversations", params={"include_all_conversation_ids": "true", "per_page": 1},
                          headers=STRING_IDS).json()
    ids_are_strings(all_ids)
    assert all_ids["conversation_ids"] and all(isinstance(i, str) for i in all_ids["conversation_ids"])

    made = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "g",
                                                        "group_conversation": "true"}, headers=STRING_IDS)
    assert made.status_code == 201
    ids_are_strings(made.json())
    cid = made.json()[0]["id"]
    added = teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "more"}, headers=STRING_IDS).json()
    ids_are_strings(added)
    assert added["id"] == cid and isinstance(added["messages"][0]["author_id"], str)
    ids_are_strings(teacher.post(f"/api/v1/conversations/{cid}/add_recipients", data={"recipients[]": ["14"]},
                                 headers=STRING_IDS).json())
    ids_are_strings(teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[starred]": "true"},
                                headers=STRING_IDS).json())

    progress = teacher.put("/api/v1/conversations", data={"conversation_ids[]": [str(cid)], "event": "mark_as_read"},
                           headers=STRING_IDS).json()
    ids_are_strings(progress)
    assert isinstance(progress["id"], str) and isinstance(progress["context_id"], str)
    assert isinstance(progress["user_id"], str) and isinstance(progress["completion"], float)
    ids_are_strings(teacher.get(f"/api/v1/progress/{progress['id']}", headers=STRING_IDS).json())

    batch = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12", "14"], "body": "bulk",
                                                         "mode": "async"}, headers=STRING_IDS)
    assert batch.status_code == 202 and batch.json() == [] and batch.headers["X-Conversation-Batch-Id"].isdigit()
    running = teacher.get("/api/v1/conversations/batches", headers=STRING_IDS).json()
    ids_are_strings(running)

    found = teacher.get("/api/v1/search/recipients", params={"search": "a", "type": "user"}, headers=STRING_IDS).json()
    assert found and all(isinstance(r["id"], str) and r["id"].isdigit() for r in found)
    ids_are_strings(teacher.get("/api/v1/users/self", headers=STRING_IDS).json())
    ids_are_strings(teacher.get("/api/v1/courses", headers=STRING_IDS).json())
    # Already a string for backwards compatibility, either way.
    assert isinstance(teacher.get("/api/v1/conversations/unread_count", headers=STRING_IDS).json()["unread_count"], str)

    step1 = teacher.post("/api/v1/users/self/files", data={"name": "n.txt", "size": "3", "content_type": "text/plain",
                                                             "parent_folder_path": "conversation attachments"},
                         headers=STRING_IDS).json()
    with httpx.Client(timeout=10, headers=STRING_IDS) as anonymous:  # the upload itself has no token
        uploaded = anonymous.post(step1["upload_url"], data=step1["upload_params"], files={"file": ("n.txt", b"abc")})
    assert uploaded.status_code == 201 and isinstance(uploaded.json()["id"], str)
    assert isinstance(uploaded.json()["folder_id"], str) and uploaded.headers["Location"]


def test_string_ids_reach_error_answers_too(teacher):
    # Canvas renders its error bodies through the same path: a body without ids is unchanged.
    missing = teacher.get("/api/v1/conversations/999999", headers=STRING_IDS)
    assert missing.status_code == 404
    assert missing.json() == {"errors": [{"message": "The specified resource does not exist."}]}


# -- 2. context_name only in index and show -----------------------------------------------------------

def test_context_name_is_in_every_index_row_even_with_several_contexts(sandbox, teacher):
    rows = teacher.get("/api/v1/conversations", params={"per_page": 100}).json()
    assert rows and all(r.get("context_name") for r in rows), [r["id"] for r in rows if not r.get("context_name")]

    def several():
        return [(c.id, sorted(c.tags)) for c in sandbox.state.conversations.conversations.values()
                if c.context_code is None and sorted(c.tags) == ["course_1", "group_1"]
                and c.participants[1].in_scope("inbox")]

    cid, _ = next(iter(sandbox.call(several)))
    listed = {r["id"]: r for r in rows}
    page = 1
    while cid not in listed:  # the conversation may be on a later page or in another scope
        page += 1
        more = teacher.get("/api/v1/conversations", params={"per_page": 100, "page": page}).json()
        if not more:
            more = teacher.get("/api/v1/conversations", params={"per_page": 100, "scope": "archived"}).json()
            listed.update({r["id"]: r for r in more})
            break
        listed.update({r["id"]: r for r in more})
    # No context of its own: the name of its first context (the course before the group). A
    # concluded course shared as well is no tag: Canvas files under active contexts first
    # (app/models/conversation.rb, infer_new_tags_for).
    assert listed[cid]["context_code"] is None
    assert listed[cid]["context_name"] == "Introduction to Biology"
    assert teacher.get(f"/api/v1/conversations/{cid}").json()["context_name"] == "Introduction to Biology"


def test_context_name_is_absent_from_every_answer_that_changes_a_conversation(teacher):
    made = teacher.post("/api/v1/conversations", data={"recipients[]": ["10", "12"], "body": "hello class",
                                                        "group_conversation": "true", "context_code": "course_1"})
    assert made.status_code == 201 and "context_name" not in made.json()[0]
    cid = made.json()[0]["id"]
    private = teacher.post("/api/v1/conversations", data={"recipients[]": ["16"], "body": "just you",
                                                           "context_code": "course_1"}).json()
    assert "context_name" not in private[0]
    shown = teacher.get(f"/api/v1/conversations/{cid}").json()
    assert shown["context_name"] == "Introduction to Biology"

    answers = {
        "add_message": teacher.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "again"}),
        "add_recipients": teacher.post(f"/api/v1/conversations/{cid}/add_recipients", data={"recipients[]": ["14"]}),
        "update": teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[starred]": "true"}),
        "remove_messages": teacher.post(f"/api/v1/conversations/{cid}/remove_messages",
                                        data={"remove[]": [str(shown["messages"][0]["id"])]}),
        "destroy": teacher.delete(f"/api/v1/conversations/{cid}"),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert "context_name" not in answer.json(), name
        assert answer.json()["context_code"] == "course_1", name  # the context itself is still told


# -- 8. the Rails format suffix --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/conversations",
    "/api/v1/conversations/unread_count",
    "/api/v1/conversations/batches",
    "/api/v1/search/recipients?search=ma",
    "/api/v1/conversations/find_recipients?search=ma",
    "/api/v1/users/self",
    "/api/v1/users/self/profile",
    "/api/v1/courses",
    "/api/v1/courses/1",
    "/api/v1/courses/1/users",
    "/api/v1/users/self/folders",
    "/api/v1/courses/1/discussion_topics",
])
def test_every_get_path_answers_with_the_json_suffix(teacher, path):
    bare, _, query = path.partition("?")
    plain = teacher.get(path)
    suffixed = teacher.get(bare + ".json" + ("?" + query if query else ""))
    assert plain.status_code == 200
    assert (suffixed.status_code, suffixed.json()) == (plain.status_code, plain.json())


def test_suffix_works_with_ids_and_for_writes(teacher):
    row = teacher.get("/api/v1/conversations.json", params={"per_page": 1}).json()[0]
    shown = teacher.get(f"/api/v1/conversations/{row['id']}.json", params={"auto_mark_as_read": "0"})
    assert shown.status_code == 200 and shown.json()["id"] == row["id"] and shown.json()["messages"]
    paged = teacher.get("/api/v1/conversations.json", params={"per_page": 2})
    # Link headers name the plain path, as Canvas builds them from its route helpers.
    assert "/api/v1/conversations?" in paged.headers["Link"] and ".json" not in paged.headers["Link"]

    made = teacher.post("/api/v1/conversations.json", data={"recipients[]": ["10", "12"], "body": "g",
                                                             "group_conversation": "true"})
    assert made.status_code == 201
    cid = made.json()[0]["id"]
    assert teacher.post(f"/api/v1/conversations/{cid}/add_message.json", data={"body": "x"}).status_code == 200
    starred = teacher.put(f"/api/v1/conversations/{cid}.json", data={"conversation[starred]": "true"})
    assert starred.status_code == 200 and starred.json()["starred"] is True
    assert teacher.post("/api/v1/conversations/mark_all_as_read.json").json() == {}
    progress = teacher.put("/api/v1/conversations.json", data={"conversation_ids[]": [str(cid)], "event": "star"}).json()
    assert teacher.get(f"/api/v1/progress/{progress['id']}.json").json()["id"] == progress["id"]
    assert teacher.delete(f"/api/v1/conversations/{cid}.json").json()["message_count"] == 0
    # A suffix on nothing, or on a path that does not exist, is still Canvas's 404.
    for missing in ("/api/v1/conversations/.json", "/api/v1/nothing.json", "/api/v1/conversations/999999.json"):
        answer = teacher.get(missing)
        assert answer.status_code == 404 and answer.json()["errors"][0]["message"], missing


# -- 9. delete_for_all ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["teacher", "student"])
def test_delete_for_all_needs_a_site_admin(sandbox, role):
    with user_client(sandbox, role) as client:
        cid = client.get("/api/v1/conversations", params={"per_page": 1}).json()[0]["id"]
        for path in (f"/api/v1/conversations/{cid}/delete_for_all", f"/api/v1/conversations/{cid}/delete_for_all.json",
                     "/api/v1/conversations/999999/delete_for_all"):
            answer = client.delete(path)
            assert answer.status_code == 401, path
            assert answer.json() == {"status": "unauthorized",
                                     "errors": [{"message": "user not authorized to perform that action"}]}
            # A signed-in user is not challenged to sign in (Canvas adds WWW-Authenticate only without one).
            assert "WWW-Authenticate" not in answer.headers
        # Nothing was deleted for anyone.
        assert client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).status_code == 200
    anonymous = httpx.delete(f"{sandbox.base_url}/api/v1/conversations/1/delete_for_all", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["status"] == "unauthenticated"
