"""What Canvas's recipient search and participant JSON carry, read against canvas-lms (round 3).

Sources: spec/apis/v1/search_api_spec.rb (the searcher among the matches, common contexts within
a context, synthetic contexts without ``context_name``, the Link rels of each page),
app/controllers/search_controller.rb, app/models/messageable_user/calculator.rb, and
lib/api/v1/conversation.rb ``conversation_user_json`` (``full_name``, ``pronouns``, ``uuid``).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import user_client

SEARCH = "/api/v1/search/recipients"
UUID = re.compile(r"\A[0-9a-f]{40}\Z")


@pytest.fixture
def reader(shared_sandbox):
    """The teacher on the worker's shared sandbox: the tests that only read use it."""
    with user_client(shared_sandbox, "teacher") as client:
        yield client


def rels(response) -> list[str]:
    return re.findall(r'rel="(\w+)"', response.headers["Link"])


def by_id(rows) -> dict:
    return {r["id"]: r for r in rows}


# -- item 2: full_name and pronouns; uuid on request ---------------------------------------------

def test_search_results_carry_full_name_and_pronouns_null_when_unset(reader):
    """lib/api/v1/conversation.rb ``conversation_user_json`` (search's users go through it too)."""
    quinn = reader.get(SEARCH, params={"search": "quinn"}).json()
    assert [(r["name"], r["full_name"], r["pronouns"]) for r in quinn] == [("Quinn", "Quinn Harper", "they/them")]
    jane = reader.get(SEARCH, params={"search": "jane doe"}).json()
    assert len(jane) == 1 and "pronouns" in jane[0] and jane[0]["pronouns"] is None


def test_participants_carry_pronouns_and_uuid_on_the_list_and_on_create_when_asked(sandbox):
    """lib/api/v1/conversation.rb ``conversation_user_json``; app/controllers/conversations_controller.rb
    (``include[]`` on index and create)."""
    quinn = next(u for u in sandbox.state.world.users.values() if u.name == "Quinn Harper")
    with user_client(sandbox, "teacher") as teacher:
        created = teacher.post("/api/v1/conversations", data={
            "recipients[]": [str(quinn.id)], "subject": "Office hours", "body": "See you at 3?",
            "include[]": ["uuid"]})
        assert created.status_code == 201
        cid = created.json()[0]["id"]
        people = by_id(created.json()[0]["participants"])
        assert people[quinn.id]["pronouns"] == "they/them" and people[quinn.id]["full_name"] == "Quinn Harper"
        assert people[1]["pronouns"] is None
        assert all(UUID.match(p["uuid"]) for p in people.values())
        assert people[quinn.id]["uuid"] != people[1]["uuid"]

        listed = teacher.get("/api/v1/conversations", params={"scope": "sent", "include[]": "uuid"}).json()
        row = next(c for c in listed if c["id"] == cid)
        assert by_id(row["participants"])[quinn.id]["uuid"] == people[quinn.id]["uuid"]
        assert by_id(row["participants"])[quinn.id]["pronouns"] == "they/them"

        plain = teacher.get("/api/v1/conversations", params={"scope": "sent"}).json()
        row = next(c for c in plain if c["id"] == cid)
        assert all("uuid" not in p and "pronouns" in p for p in row["participants"])
        shown = teacher.get(f"/api/v1/conversations/{row['id']}").json()
        assert by_id(shown["participants"])[quinn.id]["pronouns"] == "they/them"


# -- item 5: the searcher among the matches; common contexts within a context -----------------------

def test_the_searcher_is_among_a_course_a_section_and_a_group_with_that_context_in_common(reader):
    """spec/apis/v1/search_api_spec.rb: "should return recipients for a given course / group /
    section" list @me, and each user's common_courses/common_groups name that context only."""
    course = by_id(reader.get(SEARCH, params={"context": "course_1", "per_page": 100}).json())
    assert course[1]["common_courses"] == {"1": ["TeacherEnrollment"]} and course[1]["common_groups"] == {}
    assert all(set(r["common_courses"]) == {"1"} and r["common_groups"] == {} for r in course.values())

    section = by_id(reader.get(SEARCH, params={"context": "section_11", "per_page": 100}).json())
    assert section[1]["common_courses"] == {"1": ["TeacherEnrollment"]}

    group = by_id(reader.get(SEARCH, params={"context": "group_1", "per_page": 100}).json())
    assert group[1] == {**group[1], "common_courses": {}, "common_groups": {"1": ["Member"]}}
    assert all(r["common_courses"] == {} and r["common_groups"] == {"1": ["Member"]} for r in group.values())

    found = by_id(reader.get(SEARCH, params={"search": "maggie"}).json())
    assert 1 in found and found[1]["full_name"] == "Margaret Okafor"


def test_an_observer_is_among_their_own_results(shared_sandbox):
    """spec/apis/v1/search_api_spec.rb "should not show non-linked students to observers": bob's mom
    finds herself."""
    world = shared_sandbox.state.world
    observer = next(u for u in world.users.values() if u.role == "observer")
    with user_client(shared_sandbox, "observer") as client:
        rows = by_id(client.get(SEARCH, params={"context": "course_1", "per_page": 100}).json())
    assert rows[observer.id]["common_courses"] == {"1": ["ObserverEnrollment"]}


# -- item 6: synthetic contexts carry no context_name ----------------------------------------------------

@pytest.mark.parametrize("context", ["course_1", "section_11"])
def test_synthetic_contexts_carry_no_context_name(reader, context):
    """spec/apis/v1/search_api_spec.rb "should return synthetic contexts within a course / section"."""
    rows = reader.get(SEARCH, params={"context": context, "synthetic_contexts": "true"}).json()
    assert rows and all(r["id"].startswith(context + "_") for r in rows)
    assert all("context_name" not in r for r in rows)


# -- item 7: Link rels per page ----------------------------------------------------------------------------

def test_search_pages_carry_current_next_first_and_last_on_the_last_page(reader):
    """spec/apis/v1/search_api_spec.rb "should paginate combined context/user results": the first
    and middle pages say current, next, first; the final one current, first, last (lib/api.rb)."""
    total = len(reader.get(SEARCH, params={"search": "a", "per_page": 100}).json())
    assert total > 6
    response = reader.get(SEARCH, params={"search": "a", "per_page": 3})
    pages = [rels(response)]
    while 'rel="next"' in response.headers["Link"]:
        nxt = re.search(r'<([^>]+)>; rel="next"', response.headers["Link"]).group(1)
        response = reader.get(nxt)
        pages.append(rels(response))
    assert len(pages) == -(-total // 3)
    assert all(p == ["current", "next", "first"] for p in pages[:-1])
    assert pages[-1] == ["current", "first", "last"]
    last = re.search(r'<([^>]+)>; rel="last"', response.headers["Link"]).group(1)
    current = re.search(r'<([^>]+)>; rel="current"', response.headers["Link"]).group(1)
    assert last == current


def test_a_single_page_is_also_the_last(reader):
    response = reader.get(SEARCH, params={"search": "quinn"})
    assert rels(response) == ["current", "first", "last"]
