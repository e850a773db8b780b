"""Recipient search as Canvas answers it: contexts then users, filters, and bookmark pages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import user_client


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


SEARCH = "/api/v1/search/recipients"


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}


def user_ids(rows) -> list[int]:
    return [r["id"] for r in rows if isinstance(r["id"], int)]


def context_ids(rows) -> list[str]:
    return [r["id"] for r in rows if r.get("type") == "context"]


def test_without_search_context_or_user_id_the_answer_is_empty(teacher):
    response = teacher.get(SEARCH)
    assert response.status_code == 200 and response.json() == []
    assert teacher.get(SEARCH, params={"context": "no_such_thing"}).json() == []  # invalid context: ignored


def test_a_name_in_another_script_is_found(sandbox, teacher):
    rows = teacher.get(SEARCH, params={"search": "王芳"}).json()
    assert [r["full_name"] for r in rows] == ["王芳"]
    wang = rows[0]
    assert wang["name"] == "王芳" and set(wang) >= {"id", "common_courses", "common_groups", "avatar_url"}
    shared = sandbox.state.world.common_courses(1, wang["id"])
    assert wang["common_courses"] == {c: t for c, t in shared.items() if c != "4"}
    assert all(types == ["StudentEnrollment"] for types in wang["common_courses"].values())


def test_all_terms_must_match_case_insensitively(teacher):
    assert [r["full_name"] for r in teacher.get(SEARCH, params={"search": "jane DOE"}).json()] == ["Jane Doe"]
    assert teacher.get(SEARCH, params={"search": "jane smith"}).json() == []


def test_contexts_come_first_then_users_sorted_by_sortable_name(sandbox, teacher):
    rows = teacher.get(SEARCH, params={"search": "o", "per_page": 100}).json()
    kinds = ["context" if r.get("type") == "context" else "user" for r in rows]
    assert kinds == sorted(kinds)  # "context" < "user": no context after a user
    assert "course_2" in context_ids(rows) and "course_4" not in context_ids(rows)  # concluded: inactive
    world = sandbox.state.world
    names = [world.users[u].sortable_name.casefold() for u in user_ids(rows)]
    assert names == sorted(names)
    group = next(r for r in rows if r["id"] == "group_1")
    assert group["context_name"] == "Introduction to Biology" and group["user_count"] == len(world.groups[1].member_ids)


def test_synthetic_contexts_of_a_course(sandbox, teacher):
    rows = teacher.get(SEARCH, params={"context": "course_1", "synthetic_contexts": "true"}).json()
    assert [r["id"] for r in rows] == ["course_1_teachers", "course_1_tas", "course_1_students",
                                       "course_1_observers", "course_1_sections", "course_1_groups"]
    by_id = {r["id"]: r for r in rows}
    world = sandbox.state.world
    students = [u for u in world.course_members(1) if "StudentEnrollment" in world.enrollment_types(u, 1)]
    assert by_id["course_1_students"]["name"] == "Students"
    assert by_id["course_1_students"]["user_count"] == len(students)
    assert all("context_name" not in r for r in rows)  # Canvas names no course here (search_api_spec.rb)
    assert by_id["course_1_teachers"]["user_count"] == 1
    assert by_id["course_1_groups"] == {"id": "course_1_groups", "name": "Student Groups", "item_count": 1,
                                        "type": "context"}
    # Without synthetic_contexts the same context lists its users instead.
    plain = teacher.get(SEARCH, params={"context": "course_1", "per_page": 100}).json()
    assert context_ids(plain) == [] and len(plain) == len(world.course_members(1))  # me among them


def test_a_role_context_filters_users(sandbox, teacher):
    rows = teacher.get(SEARCH, params={"context": "course_1_students", "search": "a", "per_page": 100}).json()
    world = sandbox.state.world
    assert rows and all("StudentEnrollment" in world.enrollment_types(u, 1) for u in user_ids(rows))
    assert all("1" in r["common_courses"] for r in rows)


def test_exclusion_of_users_and_contexts(teacher):
    rows = teacher.get(SEARCH, params={"search": "jane"}).json()
    assert 10 in user_ids(rows)
    assert 10 not in user_ids(teacher.get(SEARCH, params={"search": "jane", "exclude[]": ["10"]}).json())
    assert "course_1" in context_ids(teacher.get(SEARCH, params={"search": "biology"}).json())
    excluded = teacher.get(SEARCH, params={"search": "biology", "exclude[]": ["course_1"]}).json()
    assert "course_1" not in context_ids(excluded)


def test_the_searcher_is_found_by_name_and_by_user_id(teacher):
    assert 1 in user_ids(teacher.get(SEARCH, params={"search": "okafor"}).json())
    me = teacher.get(SEARCH, params={"user_id": "self"}).json()
    assert [r["id"] for r in me] == [1] and me[0]["full_name"] == "Margaret Okafor"
    assert teacher.get(SEARCH, params={"user_id": "999999"}).status_code == 404


def test_only_messageable_users_are_found(sandbox):
    world = sandbox.state.world
    jane = 10
    stranger = next(u for u in world.users.values() if u.role == "student" and not world.messageable(jane, u.id))
    with user_client(sandbox, "student", 0) as student:
        assert student.get(SEARCH, params={"search": stranger.name}).json() == []
        assert student.get(SEARCH, params={"user_id": stranger.id}).json() == []
        everyone = user_ids(student.get(SEARCH, params={"search": "", "type": "user", "per_page": 100}).json())
    assert everyone and all(world.messageable(jane, u) for u in everyone) and stranger.id not in everyone


@pytest.mark.parametrize("kind", ["user", "context"])
def test_type_limits_the_kind_of_result(teacher, kind):
    rows = teacher.get(SEARCH, params={"search": "a", "type": kind, "per_page": 100}).json()
    assert rows and all((r.get("type") == "context") == (kind == "context") for r in rows)


def test_bookmark_pages_walk_the_whole_result_with_last_on_the_last_page(teacher):
    everything = teacher.get(SEARCH, params={"search": "a", "per_page": 100}).json()
    assert len(everything) > 7
    seen, response = [], teacher.get(SEARCH, params={"search": "a", "per_page": 3})
    while True:
        rels = re.findall(r'rel="(\w+)"', response.headers["Link"])
        seen += response.json()
        nxt = links(response).get("next")
        if not nxt:
            assert rels == ["current", "first", "last"]
            break
        assert rels == ["current", "next", "first"]
        assert "page=bookmark%3A" in nxt and "search=a" in nxt and "per_page=3" in nxt
        response = teacher.get(nxt)
    assert seen == everything
    assert teacher.get(SEARCH, params={"search": "a", "page": "bookmark:garbage"}).json() == everything[:10]


def test_find_recipients_is_an_alias(teacher):
    params = {"search": "王芳"}
    assert teacher.get("/api/v1/conversations/find_recipients", params=params).json() == \
        teacher.get(SEARCH, params=params).json()
