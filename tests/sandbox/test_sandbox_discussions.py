"""Canvas Discussions in the sandbox: the REST shapes over HTTP, and the live events they emit.

Events are read straight from the hub on the server's loop (no websocket needed): each
test subscribes the users it cares about, acts over HTTP, then drains their queues.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tui_inbox.sandbox.discussions import create_topic, update_topic
from tui_inbox.sandbox.events import Origin, global_id
from tui_inbox.sandbox.seed import seed_state
from tui_inbox.sandbox.state import Knobs, SandboxState

TEACHER = 1  # Margaret Okafor: courses 1, 2, 4; member of Lab Group A
OTHER_TEACHER = 2  # Hiroshi Tanaka: course 3 only, so an outsider to course 1
OBSERVER = 60
C1 = "/api/v1/courses/1/discussion_topics"
# The keys of seed 003's payloads, exactly.
ENTRY_KEYS = {"created_at", "discussion_entry_id", "discussion_topic_id", "text", "user_id"}
SUBMITTED_KEYS = ENTRY_KEYS | {"assignment_id", "submission_id"}
TOPIC_KEYS = {"assignment_id", "body", "context_id", "context_type", "discussion_topic_id", "is_announcement",
              "lock_at", "title", "updated_at", "workflow_state"}
META_KEYS = {"client_ip", "context_account_id", "context_id", "context_role", "context_sis_source_id", "context_type",
             "event_name", "event_time", "hostname", "http_method", "producer", "referrer", "request_id",
             "root_account_id", "root_account_lti_guid", "root_account_uuid", "session_id", "time_zone", "url",
             "user_account_id", "user_agent", "user_id", "user_login", "user_sis_id"}
TIME_Z = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
TIME_MS = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


# -- helpers --------------------------------------------------------------------
@contextmanager
def as_user(sandbox, user_id: int):
    token = sandbox.state.world.users[user_id].token
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        yield c


def user_id_of(sandbox, role: str, index: int = 0) -> int:
    return [u for u in sandbox.info.users if u["role"] == role][index]["id"]


def listen(sandbox, *user_ids: int) -> dict:
    return {uid: sandbox.call(sandbox.state.hub.subscribe, uid) for uid in user_ids}


def drain(sandbox, queue) -> list[dict]:
    def take():
        out = []
        while not queue.empty():
            out.append(queue.get_nowait())
        return out

    return sandbox.call(take)


def topic_titled(client, base: str, title: str, **params) -> dict:
    rows = client.get(base, params={"per_page": 100, **params}).json()
    return next(t for t in rows if t["title"] == title)


def graded_topic(client) -> dict:
    return next(t for t in client.get(C1, params={"per_page": 100}).json() if t["assignment_id"])


def walk(nodes, depth=0):
    for node in nodes:
        yield node, depth
        yield from walk(node.get("replies", []), depth + 1)


def student_outside_course_1(sandbox) -> int:
    world = sandbox.state.world
    return next(u.id for u in world.users.values() if u.role == "student" and 1 not in world.course_ids_of(u.id))


# -- REST shapes ----------------------------------------------------------------
def test_list_is_newest_first_without_announcements_and_pages_with_link(teacher):
    rows = teacher.get(C1).json()
    assert len(rows) >= 2 and not any(t["is_announcement"] for t in rows)
    assert [t["posted_at"] for t in rows] == sorted((t["posted_at"] for t in rows), reverse=True)
    first = teacher.get(C1, params={"per_page": 1, "order_by": "posted"})
    assert len(first.json()) == 1
    link = first.headers["Link"]
    assert re.findall(r'rel="(\w+)"', link) == ["current", "next", "first", "last"]
    nxt = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', link))["next"]
    assert "order_by=posted" in nxt and "page=2" in nxt and "per_page=1" in nxt
    assert teacher.get(nxt).json()[0]["id"] == rows[1]["id"]

    news = teacher.get(C1, params={"only_announcements": "true"}).json()
    assert len(news) >= 2 and all(t["is_announcement"] for t in news)
    assert [t["posted_at"] for t in news] == sorted((t["posted_at"] for t in news), reverse=True)


def test_show_has_canvas_topic_json_and_the_graded_assignment(sandbox, teacher):
    topic = graded_topic(teacher)
    shown = teacher.get(f"{C1}/{topic['id']}").json()
    for key in ("id", "title", "message", "html_url", "url", "posted_at", "last_reply_at", "user_name", "author",
                "discussion_subentry_count", "read_state", "unread_count", "assignment_id", "is_announcement",
                "locked", "published", "lock_at", "context_code", "permissions", "subscribed", "pinned",
                "discussion_type", "locked_for_user", "attachments", "topic_children"):
        assert key in shown, key
    assert shown["context_code"] == "course_1" and shown["is_announcement"] is False and shown["published"]
    assert shown["html_url"] == f"{sandbox.base_url}/courses/1/discussion_topics/{topic['id']}"
    assert set(shown["author"]) >= {"id", "display_name", "avatar_image_url", "html_url"}
    assert shown["author"]["id"] == TEACHER and shown["user_name"] == "Margaret Okafor"
    assert shown["assignment"]["id"] == topic["assignment_id"] and shown["assignment"]["points_possible"]
    assert shown["read_state"] in ("read", "unread") and isinstance(shown["unread_count"], int)
    assert TIME_Z.match(shown["posted_at"]) and TIME_Z.match(shown["last_reply_at"])
    view = teacher.get(f"{C1}/{topic['id']}/view").json()
    assert shown["discussion_subentry_count"] == sum(1 for _ in walk(view["view"]))


def test_announcements_endpoint_takes_context_codes(sandbox, student):
    rows = student.get("/api/v1/announcements", params={"context_codes[]": "course_1"}).json()
    assert len(rows) >= 2 and all(r["is_announcement"] and r["context_code"] == "course_1" for r in rows)
    assert [r["posted_at"] for r in rows] == sorted((r["posted_at"] for r in rows), reverse=True)
    latest = student.get("/api/v1/announcements", params={"context_codes[]": "course_1", "latest_only": "true"})
    assert [r["id"] for r in latest.json()] == [rows[0]["id"]]
    missing = student.get("/api/v1/announcements")
    assert missing.status_code == 400 and missing.json() == {"message": "Missing context_codes"}
    assert student.get("/api/v1/announcements", params={"context_codes[]": "group_1"}).status_code == 400
    with as_user(sandbox, OTHER_TEACHER) as outsider:
        refused = outsider.get("/api/v1/announcements", params={"context_codes[]": "course_1"})
    assert refused.status_code == 401 and refused.json()["status"] == "unauthorized"


def test_view_is_a_tree_with_participants_and_literal_text(teacher):
    topic = topic_titled(teacher, C1, "Introduce yourself")
    view = teacher.get(f"{C1}/{topic['id']}/view").json()
    assert set(view) == {"unread_entries", "forced_entries", "entry_ratings", "participants", "view"}
    assert "new_entries" in teacher.get(f"{C1}/{topic['id']}/view", params={"include_new_entries": "1"}).json()
    nodes = list(walk(view["view"]))
    assert max(depth for _, depth in nodes) >= 1
    assert all(set(n) >= {"id", "user_id", "parent_id", "message", "created_at"} for n, _ in nodes)
    for node, _ in nodes:
        for reply in node.get("replies", []):
            assert reply["parent_id"] == node["id"]
    people = {p["id"] for p in view["participants"]}
    assert {n["user_id"] for n, _ in nodes} | {TEACHER} <= people
    assert all(set(p) >= {"id", "display_name", "avatar_image_url", "html_url"} for p in view["participants"])
    texts = " ".join(n["message"] for n, _ in nodes)
    assert "[@click=app.quit]" in texts and "\x1b[31m" in texts and "Всем привет" in texts and "مرحبا" in texts


def test_entries_newest_first_with_recent_replies_replies_and_entry_list(teacher):
    topic = graded_topic(teacher)
    base = f"{C1}/{topic['id']}"
    roots = teacher.get(f"{base}/entries").json()
    assert len(roots) >= 2 and all(e["parent_id"] is None for e in roots)
    assert [e["created_at"] for e in roots] == sorted((e["created_at"] for e in roots), reverse=True)
    threaded = next(e for e in roots if e.get("recent_replies"))
    assert threaded["has_more_replies"] is False and len(threaded["recent_replies"]) <= 10
    assert {"id", "user_id", "user_name", "message", "read_state", "forced_read_state"} <= set(threaded)
    replies = teacher.get(f"{base}/entries/{threaded['id']}/replies").json()
    assert [r["id"] for r in replies] == [r["id"] for r in threaded["recent_replies"]]
    assert any(r["parent_id"] != threaded["id"] for r in replies)  # flattened: replies of replies too
    ids = [replies[0]["id"], threaded["id"]]
    listed = teacher.get(f"{base}/entry_list", params=[("ids[]", str(i)) for i in ids]).json()
    assert [e["id"] for e in listed] == sorted(ids)
    assert teacher.get(f"{base}/entry_list", params={"ids[]": "999999"}).status_code == 404
    assert teacher.get(f"{base}/entries/{replies[0]['id']}/replies").status_code == 404  # roots only


def test_more_than_ten_replies_are_cut_with_has_more_replies(sandbox, teacher):
    topic = topic_titled(teacher, C1, "Introduce yourself")
    base = f"{C1}/{topic['id']}"
    root = teacher.post(f"{base}/entries", json={"message": "<p>root</p>"}).json()
    for i in range(11):
        assert teacher.post(f"{base}/entries/{root['id']}/replies", data={"message": f"<p>r{i}</p>"}).status_code == 201
    first = teacher.get(f"{base}/entries").json()[0]
    assert first["id"] == root["id"] and first["has_more_replies"] is True
    assert [r["message"] for r in first["recent_replies"]] == [f"<p>r{i}</p>" for i in range(10, 0, -1)]


# -- posting and its events -----------------------------------------------------
def test_posting_an_entry_and_a_reply_shows_in_view_and_sends_seed_shaped_events(sandbox, student):
    me = user_id_of(sandbox, "student")
    outsider = student_outside_course_1(sandbox)
    queues = listen(sandbox, TEACHER, me, OTHER_TEACHER, outsider)
    topic = topic_titled(student, C1, "Introduce yourself")
    assert topic["assignment_id"] is None
    base = f"{C1}/{topic['id']}"

    made = student.post(f"{base}/entries", data={"message": "<p>Hello from Jane 👋</p>"})
    assert made.status_code == 201
    entry = made.json()
    assert entry["user_id"] == me and entry["parent_id"] is None and entry["message"] == "<p>Hello from Jane 👋</p>"
    assert entry["user"]["id"] == me
    with as_user(sandbox, TEACHER) as teacher:
        reply = teacher.post(f"{base}/entries/{entry['id']}/replies", json={"message": "<p>Welcome, Jane!</p>"})
        assert reply.status_code == 201 and reply.json()["parent_id"] == entry["id"]
        view = teacher.get(f"{base}/view").json()
    root = view["view"][-1]  # oldest first: the new entry is the last root
    assert root["id"] == entry["id"] and [r["id"] for r in root["replies"]] == [reply.json()["id"]]

    got = drain(sandbox, queues[TEACHER])
    assert [e["metadata"]["event_name"] for e in got] == ["discussion_entry_created"] * 2
    created, replied = got
    assert set(created["body"]) == ENTRY_KEYS and set(replied["body"]) == ENTRY_KEYS | {"parent_discussion_entry_id"}
    assert all(isinstance(v, str) for e in got for v in e["body"].values())
    assert created["body"] == {
        "created_at": created["body"]["created_at"], "discussion_entry_id": str(entry["id"]),
        "discussion_topic_id": str(topic["id"]), "text": "<p>Hello from Jane 👋</p>", "user_id": str(me),
    }
    assert TIME_Z.match(created["body"]["created_at"])
    assert replied["body"]["parent_discussion_entry_id"] == str(entry["id"])
    assert replied["body"]["user_id"] == str(TEACHER)
    meta = created["metadata"]
    assert set(meta) >= META_KEYS
    assert meta["context_id"] == global_id(1) == "21070000000000001" and meta["context_type"] == "Course"
    assert meta["context_role"] == "StudentEnrollment" and replied["metadata"]["context_role"] == "TeacherEnrollment"
    assert meta["user_id"] == global_id(me) and meta["http_method"] == "POST" and TIME_MS.match(meta["event_time"])
    assert meta["url"].endswith(f"{base}/entries") and meta["referrer"].endswith(f"/courses/1/discussion_topics/{topic['id']}")
    assert len(drain(sandbox, queues[me])) == 2
    assert drain(sandbox, queues[OTHER_TEACHER]) == [] and drain(sandbox, queues[outsider]) == []


def test_a_student_answering_a_graded_topic_also_submits(sandbox, student):
    me = user_id_of(sandbox, "student")
    queues = listen(sandbox, TEACHER)
    topic = graded_topic(student)
    base = f"{C1}/{topic['id']}"
    first = student.post(f"{base}/entries", data={"message": "<p>Viruses are alive, in a way.</p>"}).json()
    student.post(f"{base}/entries/{first['id']}/replies", data={"message": "<p>Adding a source.</p>"})
    got = drain(sandbox, queues[TEACHER])
    assert [e["metadata"]["event_name"] for e in got] == ["discussion_entry_created", "discussion_entry_submitted"] * 2
    submitted, again = got[1], got[3]
    assert set(submitted["body"]) == SUBMITTED_KEYS
    assert set(again["body"]) == SUBMITTED_KEYS | {"parent_discussion_entry_id"}
    assert submitted["body"]["assignment_id"] == str(topic["assignment_id"])
    assert submitted["body"]["discussion_entry_id"] == str(first["id"]) and submitted["body"]["user_id"] == str(me)
    assert submitted["body"]["submission_id"] == again["body"]["submission_id"]  # one submission per student
    assert all(isinstance(v, str) for v in submitted["body"].values())
    assert submitted["metadata"]["context_id"] == global_id(1)

    with as_user(sandbox, TEACHER) as teacher:  # staff have no submission: no _submitted event
        teacher.post(f"{base}/entries", data={"message": "<p>Reminder: two replies each.</p>"})
    assert [e["metadata"]["event_name"] for e in drain(sandbox, queues[TEACHER])] == ["discussion_entry_created"]


def test_event_text_without_a_space_is_cut_to_8189_characters_and_an_ellipsis(sandbox, student):
    """LiveEvents.truncate (gems/live_events/lib/live_events.rb) is ActiveSupport's
    ``String#truncate(8192, separator: " ")``: the "..." counts within the 8,192, and with
    no space to cut at the text is cut at 8,189 (an earlier version kept 8,192 characters
    and no ellipsis, which is not what Canvas sends)."""
    queues = listen(sandbox, TEACHER)
    topic = topic_titled(student, C1, "Introduce yourself")
    long = "<p>" + "é" * 10_000 + "</p>"
    made = student.post(f"{C1}/{topic['id']}/entries", json={"message": long}).json()
    assert made["message"] == long  # the entry itself keeps every character
    (event,) = drain(sandbox, queues[TEACHER])
    assert event["body"]["text"] == long[:8189] + "..." and len(event["body"]["text"]) == 8192


def test_long_discussion_text_in_events_is_cut_between_words_with_an_ellipsis(sandbox, student):
    """LiveEvents.truncate (gems/live_events/lib/live_events.rb) cuts at the last space at
    or before character 8,189 and appends "...", for an entry's ``text`` and a topic's
    ``title`` and ``body`` (lib/canvas/live_events.rb ``get_discussion_entry_data``,
    ``get_discussion_topic_data``); shorter text is sent whole."""
    queues = listen(sandbox, TEACHER)
    topic = topic_titled(student, C1, "Introduce yourself")
    words = " ".join(f"word{i:06d}" for i in range(1100))  # 12,099 characters
    student.post(f"{C1}/{topic['id']}/entries", data={"message": words})
    (event,) = drain(sandbox, queues[TEACHER])
    text = event["body"]["text"]
    # Spaces sit at 10, 21, 32 ...: the last one at or before 8,189 is at 8,183, and the
    # word across 8,189 ("word000744") is left out whole.
    assert text == words[:8183] + "..." and text.endswith(" word000743...")

    with as_user(sandbox, TEACHER) as teacher:
        title = "A title " * 1100  # 8,800 characters
        made = teacher.post(C1, data={"title": title, "message": words})
        assert made.status_code == 200 and made.json()["title"] == title
    (created,) = [e for e in drain(sandbox, queues[TEACHER]) if e["metadata"]["event_name"] == "discussion_topic_created"]
    assert created["body"]["body"] == words[:8183] + "..."
    assert created["body"]["title"] == title[:8185] + "..."  # "... A title A...": cut after the "A"

    student.post(f"{C1}/{topic['id']}/entries", data={"message": "short and whole"})
    (short,) = drain(sandbox, queues[TEACHER])
    assert short["body"]["text"] == "short and whole"


def test_group_topics_reach_only_group_members(sandbox):
    group = sandbox.state.world.groups[1]
    member = next(u for u in group.member_ids if sandbox.state.world.users[u].role == "student")
    classmate = next(u for u in sandbox.state.world.course_members(1)
                     if u not in group.member_ids and sandbox.state.world.users[u].role == "student")
    queues = listen(sandbox, TEACHER, classmate)
    base = "/api/v1/groups/1/discussion_topics"
    with as_user(sandbox, member) as client:
        rows = client.get(base).json()
        assert rows and all(r["context_code"] == "group_1" for r in rows)
        assert rows[0]["html_url"].endswith(f"/groups/1/discussion_topics/{rows[0]['id']}")
        made = client.post(f"{base}/{rows[0]['id']}/entries", data={"message": "<p>Figures are done.</p>"})
        assert made.status_code == 201
        assert client.get(f"/api/v1/courses/1/discussion_topics/{rows[0]['id']}").status_code == 404
    (event,) = drain(sandbox, queues[TEACHER])
    assert event["metadata"]["context_type"] == "Group" and event["metadata"]["context_id"] == global_id(1)
    assert event["metadata"]["context_role"] == "GroupMembership"
    assert event["body"]["discussion_topic_id"] == str(rows[0]["id"])
    assert drain(sandbox, queues[classmate]) == []
    with as_user(sandbox, classmate) as client:
        assert client.get(base).status_code == 401
        assert client.get(f"{base}/{rows[0]['id']}/view").status_code == 401


def test_topic_events_carry_the_global_topic_id_and_reach_members_only(sandbox):
    queues = listen(sandbox, TEACHER, OTHER_TEACHER)
    state = sandbox.state
    origin = Origin(state.world.users[3], hostname="canvas.test", http_method="POST", url="http://canvas.test/x")
    topic = sandbox.call(lambda: create_topic(state, origin, "Course", 1, "Pop quiz", "<p>Friday.</p>",
                                              is_announcement=True))
    sandbox.call(lambda: update_topic(state, origin, topic, title="Pop quiz (moved)", lock_at=state.now()))
    created, updated = drain(sandbox, queues[TEACHER])
    assert created["metadata"]["event_name"] == "discussion_topic_created"
    assert updated["metadata"]["event_name"] == "discussion_topic_updated"
    # Nils are dropped (compact_live_events): an ungraded, unlocked topic has no assignment_id or lock_at.
    assert set(created["body"]) == TOPIC_KEYS - {"assignment_id", "lock_at"}
    assert set(updated["body"]) == TOPIC_KEYS - {"assignment_id"}
    assert created["body"]["discussion_topic_id"] == global_id(topic.id)
    assert created["body"]["context_id"] == "1" and created["body"]["context_type"] == "Course"
    assert created["body"]["is_announcement"] is True and created["body"]["workflow_state"] == "active"
    assert created["body"]["body"] == "<p>Friday.</p>" and updated["body"]["title"] == "Pop quiz (moved)"
    assert TIME_MS.match(updated["body"]["updated_at"]) and TIME_MS.match(updated["body"]["lock_at"])
    assert created["metadata"]["context_role"] == "TaEnrollment"
    assert created["metadata"]["referrer"] == f"http://canvas.test/courses/1/discussion_topics/{topic.id}"
    assert drain(sandbox, queues[OTHER_TEACHER]) == []


# -- access -------------------------------------------------------------------
def test_outsiders_get_401_and_unknown_ids_404(sandbox, teacher):
    topic = teacher.get(C1).json()[0]
    with as_user(sandbox, OTHER_TEACHER) as outsider:
        for path in (C1, f"{C1}/{topic['id']}", f"{C1}/{topic['id']}/view", f"{C1}/{topic['id']}/entries"):
            refused = outsider.get(path)
            assert refused.status_code == 401, path
            assert refused.json() == {"status": "unauthorized",
                                      "errors": [{"message": "user not authorized to perform that action"}]}
        assert outsider.post(f"{C1}/{topic['id']}/entries", data={"message": "hi"}).status_code == 401
        assert outsider.put(f"{C1}/{topic['id']}/read_all").status_code == 401
    with as_user(sandbox, student_outside_course_1(sandbox)) as outsider:
        assert outsider.get(f"{C1}/{topic['id']}").status_code == 401
    not_found = {"errors": [{"message": "The specified resource does not exist."}]}
    for path in (f"{C1}/999999", f"{C1}/999999/view", f"{C1}/abc", "/api/v1/courses/99/discussion_topics",
                 f"{C1}/{topic['id']}/entries/999999/replies"):
        missing = teacher.get(path)
        assert missing.status_code == 404 and missing.json() == not_found, path
    other = teacher.get("/api/v1/courses/2/discussion_topics").json()[0]
    assert teacher.get(f"{C1}/{other['id']}").status_code == 404  # a topic is found inside its own course only


def test_blank_message_is_400(student):
    topic = student.get(C1).json()[0]
    for body in ({}, {"message": ""}, {"message": "   "}):
        answer = student.post(f"{C1}/{topic['id']}/entries", json=body)
        assert answer.status_code == 400 and "message" in answer.json()["errors"]


def test_drafts_locked_topics_and_observers(sandbox, teacher, student):
    drafts = [t for t in teacher.get("/api/v1/courses/2/discussion_topics").json() if not t["published"]]
    assert drafts
    with as_user(sandbox, user_id_of(sandbox, "student", 1)) as chem_student:  # student 11 takes course 2
        titles = [t["title"] for t in chem_student.get("/api/v1/courses/2/discussion_topics").json()]
        assert drafts[0]["title"] not in titles
        assert chem_student.get(f"/api/v1/courses/2/discussion_topics/{drafts[0]['id']}").status_code == 401
    with as_user(sandbox, OBSERVER) as observer:
        topic = observer.get(C1).json()[0]
        assert topic["permissions"]["reply"] is False
        assert observer.post(f"{C1}/{topic['id']}/entries", data={"message": "hi"}).status_code == 401
    with as_user(sandbox, OTHER_TEACHER) as history:
        locked = topic_titled(history, "/api/v1/courses/3/discussion_topics", "Week 1 reflections")
        assert locked["locked"] is True and locked["locked_for_user"] is False  # a teacher still moderates
    world = sandbox.state.world
    historian = next(u for u in world.course_members(3) if world.users[u].role == "student")
    with as_user(sandbox, historian) as client:
        path = f"/api/v1/courses/3/discussion_topics/{locked['id']}"
        shown = client.get(path).json()
        assert shown["locked_for_user"] is True and shown["lock_info"] and shown["permissions"]["reply"] is False
        assert client.post(f"{path}/entries", data={"message": "late"}).status_code == 401


def test_read_and_read_all_change_read_state_and_unread_count(sandbox, student):
    topic = graded_topic(student)
    base = f"{C1}/{topic['id']}"
    with as_user(sandbox, TEACHER) as teacher:  # something surely unread for the student
        teacher.post(f"{base}/entries", data={"message": "<p>New!</p>"})
    assert student.get(base).json()["unread_count"] >= 1
    assert student.get(f"{base}/view").json()["unread_entries"]
    assert student.delete(f"{base}/read").status_code == 204
    assert student.get(base).json()["read_state"] == "unread"
    put = student.put(f"{base}/read")
    assert put.status_code == 204 and put.content == b""
    assert student.get(base).json()["read_state"] == "read"
    assert student.put(f"{base}/read_all", data={"forced_read_state": "true"}).status_code == 204
    after = student.get(base).json()
    assert after["unread_count"] == 0 and after["read_state"] == "read"
    view = student.get(f"{base}/view").json()
    assert view["unread_entries"] == [] and view["forced_entries"]
    one = view["view"][0]["id"]
    assert student.delete(f"{base}/entries/{one}/read").status_code == 204
    assert student.get(f"{base}/view").json()["unread_entries"] == [one]


# -- the seed -------------------------------------------------------------------
def shape(state: SandboxState) -> list:
    store = state.discussions
    return [(t.id, t.context_code, t.user_id, t.title, [(e.id, e.user_id, e.parent_id, e.message, e.created_at)
                                                         for e in store.entries_of(t)]) for t in store.topics.values()]


def test_the_seed_is_deterministic_and_covers_every_kind_of_topic():
    fixed = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
    states = []
    for _ in range(2):
        state = SandboxState(Knobs(seed=7, now=fixed))
        seed_state(state)
        states.append(state)
    assert shape(states[0]) == shape(states[1])
    state = states[0]
    topics = list(state.discussions.topics.values())
    world = state.world
    assert {t.context_id for t in topics if t.context_type == "Course"} == {1, 2, 3}
    assert any(t.context_type == "Group" for t in topics)
    assert any(t.assignment_id for t in topics) and any(t.is_announcement and t.context_id == 1 for t in topics)
    for topic in topics:
        members = (world.course_members(topic.context_id) if topic.context_type == "Course"
                   else world.groups[topic.context_id].member_ids)
        entries = state.discussions.entries_of(topic)
        assert topic.user_id in members and all(e.user_id in members for e in entries)
        assert all(topic.posted_at < e.created_at < fixed for e in entries)
        assert fixed - timedelta(days=10) < topic.posted_at < fixed  # the past few days
    parents = {e.parent_id for e in state.discussions.entries.values()}
    assert any(state.discussions.entries[p].parent_id for p in parents if p)  # two levels of replies


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_seed_too(seed):
    state = SandboxState(Knobs(seed=seed))
    seed_state(state)
    assert len(state.discussions.topics) >= 8 and len(state.discussions.entries) >= 20
