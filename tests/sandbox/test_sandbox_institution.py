"""``--institution 2``: a second, different Canvas beside the seeded school, over HTTP.

A person with an account at two schools sees two Canvas instances: other people, courses and
conversations, numbered from 1 at each (so the same id names different things at each), and
global ids on different shards. What this imitates: switchman's ``lib/switchman/shard.rb``
(``Shard::IDS_PER_SHARD = 10_000_000_000_000``; ``#global_id_for`` adds ``id * IDS_PER_SHARD`` to
a local id; ``.local_id_for`` finds no local id in a global id of a shard it does not know), the
sharding canvas-lms runs on; Live Events carry those global ids (canvas-api.md section 8).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timezone

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.conftest import user_client
from tui_inbox.sandbox.institution import IDS_PER_SHARD

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # both schools seeded at the same instant
WAIT = 10.0


@pytest.fixture
def schools(make_sandbox):
    """The seeded university and the community college, side by side on loopback."""
    return make_sandbox(now=NOW), make_sandbox(now=NOW, institution=2)


def teacher_of(sandbox) -> dict:
    return next(u for u in sandbox.info.users if u["role"] == "teacher")


def answers(client: httpx.Client, *paths: str) -> list:
    out = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        out.append(response.json())
    return out


def test_the_second_school_has_other_people_courses_conversations_and_topics(schools):
    university, college = schools
    paths = ("/api/v1/courses", "/api/v1/conversations?per_page=100", "/api/v1/courses/1/discussion_topics")
    with user_client(university) as a, user_client(college) as b:
        (courses_a, inbox_a, topics_a), (courses_b, inbox_b, topics_b) = answers(a, *paths), answers(b, *paths)
    assert {c["name"] for c in courses_b}.isdisjoint({c["name"] for c in courses_a})
    assert {c["course_code"] for c in courses_b} == {"BIOL 105", "BIOL 221"}  # what she teaches there now
    assert {t["title"] for t in topics_b}.isdisjoint({t["title"] for t in topics_a})
    people_a = {u["name"] for u in university.info.users}
    people_b = {u["name"] for u in college.info.users}
    assert people_a & people_b == {"Margaret Okafor"}  # the one person with an account at both
    # Her college inbox: smaller, and with every kind of row a client must show.
    assert 40 <= len(inbox_b) <= 60
    assert {c["subject"] for c in inbox_b}.isdisjoint({c["subject"] for c in inbox_a})
    assert any(c["workflow_state"] == "unread" for c in inbox_b) and any(c["starred"] for c in inbox_b)
    assert any("attachments" in c["properties"] for c in inbox_b)
    assert any("media_objects" in c["properties"] for c in inbox_b)
    with user_client(college) as b:
        archived = b.get("/api/v1/conversations", params={"scope": "archived"}).json()
    assert "BIOL 105: no class Monday" in {c["subject"] for c in archived}


def test_the_same_conversation_id_names_different_conversations_at_each_school(schools):
    university, college = schools
    with user_client(university) as a, user_client(college) as b:
        ids_a = {c["id"] for c in a.get("/api/v1/conversations", params={"per_page": 100}).json()}
        ids_b = {c["id"] for c in b.get("/api/v1/conversations", params={"per_page": 100}).json()}
        shared = sorted(ids_a & ids_b)
        assert shared, "each Canvas numbers its own conversations from 1"
        for cid in shared[:3]:
            one, other = a.get(f"/api/v1/conversations/{cid}").json(), b.get(f"/api/v1/conversations/{cid}").json()
            assert (one["subject"], one["messages"][-1]["body"]) != (other["subject"], other["messages"][-1]["body"])
            assert {p["name"] for p in one["participants"]} != {p["name"] for p in other["participants"]}


def test_the_teacher_is_the_same_person_with_other_ids_login_and_token(schools):
    university, college = schools
    her_a, her_b = teacher_of(university), teacher_of(college)
    assert her_a["name"] == her_b["name"] == "Margaret Okafor"
    assert her_a["id"] != her_b["id"] and her_a["login_id"] != her_b["login_id"]
    assert her_b["login_id"].endswith("@riverbend.example.edu")
    assert her_a["token"] != her_b["token"]
    with user_client(college) as b:
        assert b.get("/api/v1/users/self").json()["id"] == her_b["id"]
    # A token of one school means nothing at the other.
    wrong = httpx.get(f"{college.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {her_a['token']}"})
    assert wrong.status_code == 401


def test_each_school_names_itself_and_has_its_own_developer_key(schools):
    line_a, line_b = (s.info.as_json() for s in schools)
    assert line_a["institution"] == {"id": 1, "name": "State University"}
    assert line_b["institution"] == {"id": 2, "name": "Riverbend Community College"}
    assert list(line_b)[0] == "institution"  # the first thing the line says
    assert line_a["developer_key"]["client_id"] != line_b["developer_key"]["client_id"]
    assert line_a["developer_key"]["client_secret"] != line_b["developer_key"]["client_secret"]


def shard_of(global_id: str) -> int:
    return int(global_id) // IDS_PER_SHARD


async def test_global_ids_differ_by_shard_in_live_events_and_as_user_id(make_sandbox):
    university = make_sandbox(now=NOW)
    college = make_sandbox(now=NOW, institution=2, activity=0.05)  # its own simulated activity
    her = teacher_of(college)
    headers = {"Authorization": f"Bearer {her['token']}"}
    async with connect(college.live_url, additional_headers=headers, open_timeout=WAIT) as ws:
        event = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    meta = event["metadata"]
    college_people = {u["id"] for u in college.info.users}
    assert int(meta["user_id"]) % IDS_PER_SHARD in college_people  # one of the college's people acted
    assert meta["user_login"].endswith("@riverbend.example.edu")
    college_shard = shard_of(meta["user_id"])
    assert shard_of(meta["root_account_id"]) == college_shard
    # The university's events name its own shard (the one every existing test knows).
    assert college_shard != 2107
    # An admin may act as a user by global id, but only by one of its own shard (.local_id_for).
    admin = next(u for u in college.info.users if u["role"] == "admin")
    student = next(u for u in college.info.users if u["role"] == "student")
    with httpx.Client(base_url=college.base_url, headers={"Authorization": f"Bearer {admin['token']}"}) as client:
        mine = client.get("/api/v1/users/self", params={"as_user_id": college_shard * IDS_PER_SHARD + student["id"]})
        theirs = client.get("/api/v1/users/self", params={"as_user_id": 2107 * IDS_PER_SHARD + student["id"]})
    assert mine.status_code == 200 and mine.json()["id"] == student["id"]
    assert theirs.status_code == 401
    assert university.info.developer_key["client_id"] == str(2107 * IDS_PER_SHARD + 1)
    assert college.info.developer_key["client_id"] == str(college_shard * IDS_PER_SHARD + 1)


def digest(sandbox) -> str:
    """What a few API answers say, the port left out."""
    paths = ("/api/v1/users/self", "/api/v1/courses", "/api/v1/conversations?per_page=100",
             "/api/v1/conversations/3", "/api/v1/courses/1/discussion_topics", "/api/v1/users/self/groups")
    with user_client(sandbox) as client:
        text = json.dumps(answers(client, *paths), sort_keys=True).replace(sandbox.base_url, "BASE")
    users = json.dumps(sandbox.info.as_json()["users"], sort_keys=True)
    return hashlib.sha256((text + users).encode()).hexdigest()


def test_institution_1_is_the_seeded_school_as_it_always_was(make_sandbox):
    plain, first = make_sandbox(now=NOW), make_sandbox(now=NOW, institution=1)
    assert digest(first) == digest(plain)
    assert plain.info.developer_key == first.info.developer_key
    assert teacher_of(plain)["token"].startswith("7~") and teacher_of(plain)["login_id"] == "margaret.okafor@example.edu"


def test_the_command_serves_the_second_school():
    child = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "sandbox", "--institution", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(child.stdout.readline())
        assert line["institution"] == {"id": 2, "name": "Riverbend Community College"}
        her = next(u for u in line["users"] if u["role"] == "teacher")
        me = httpx.get(f"{line['base_url']}/api/v1/users/self", headers={"Authorization": f"Bearer {her['token']}"})
        assert me.json()["name"] == "Margaret Okafor" and me.json()["id"] != 1
    finally:
        child.terminate()
        child.wait(10)


@pytest.mark.parametrize("value", ["3", "0", "two"])
def test_a_bad_institution_is_one_line_and_exit_2(value):
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "sandbox", "--institution", value],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()] and "--institution" in done.stderr
