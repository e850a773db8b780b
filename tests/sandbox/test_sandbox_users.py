"""The current user, their courses and groups, in Canvas's shapes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import user_client


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_users_self_has_canvas_shape_and_never_the_token(sandbox, teacher):
    response = teacher.get("/api/v1/users/self")
    me = response.json()
    assert me["id"] == 1 and me["name"] == "Margaret Okafor"
    assert me["sortable_name"] == "Okafor, Margaret" and me["short_name"] == "Maggie Okafor"
    assert me["login_id"] == "margaret.okafor@example.edu" and me["avatar_url"].startswith(sandbox.base_url)
    assert {"locale", "effective_locale", "time_zone", "permissions"} <= set(me)
    assert sandbox.info.token_of("teacher") not in response.text
    assert teacher.get("/api/v1/users/1").json() == me  # one's own id is "self"
    profile = teacher.get("/api/v1/users/self/profile")
    assert profile.json()["primary_email"] == me["login_id"] and profile.json()["time_zone"] == me["time_zone"]
    assert sandbox.info.token_of("teacher") not in profile.text


def test_other_users_and_missing_tokens(sandbox, teacher):
    assert teacher.get("/api/v1/users/10").status_code == 401
    assert teacher.get("/api/v1/users/999999").status_code == 404
    anonymous = httpx.get(f"{sandbox.base_url}/api/v1/users/self", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["status"] == "unauthenticated"


def test_teacher_courses_default_to_active_ones(teacher):
    response = teacher.get("/api/v1/courses")
    assert ids(response) == [1, 2]  # course 4 is concluded
    course = response.json()[0]
    assert course["name"] == "Introduction to Biology" and course["course_code"] == "BIO 101"
    assert course["workflow_state"] == "available" and course["enrollment_term_id"] == 1 and course["uuid"]
    assert course["enrollments"] == [{"type": "teacher", "role": "TeacherEnrollment", "role_id": 4, "user_id": 1,
                                      "enrollment_state": "active",
                                      "limit_privileges_to_course_section": False}]
    assert ids(teacher.get("/api/v1/courses", params={"enrollment_state": "completed"})) == [4]
    completed = teacher.get("/api/v1/courses", params={"state[]": "completed"})
    assert ids(completed) == [4] and completed.json()[0]["enrollments"][0]["enrollment_state"] == "completed"
    assert ids(teacher.get("/api/v1/courses", params={"state[]": ["available", "completed"]})) == [1, 2, 4]


def test_student_courses(sandbox, student):
    world = sandbox.state.world
    mine = world.course_ids_of(10)
    assert ids(student.get("/api/v1/courses")) == sorted(c for c in mine if c != 4)
    rows = student.get("/api/v1/courses", params={"include[]": ["total_students", "teachers"]}).json()
    bio = next(c for c in rows if c["id"] == 1)
    assert bio["enrollments"][0]["type"] == "student" and bio["enrollments"][0]["role"] == "StudentEnrollment"
    assert bio["total_students"] == sum(1 for u in world.course_members(1)
                                        if "StudentEnrollment" in world.enrollment_types(u, 1))
    assert [t["display_name"] for t in bio["teachers"]] == ["Maggie Okafor"]


def test_an_observer_course_names_the_observed_student(sandbox):
    with user_client(sandbox, "observer") as observer:
        course = observer.get("/api/v1/courses").json()[0]
    assert course["enrollments"][0]["type"] == "observer" and course["enrollments"][0]["associated_user_id"] == 10


def test_courses_are_paginated(teacher):
    first = teacher.get("/api/v1/courses", params={"per_page": 1})
    assert ids(first) == [1]
    nxt = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"]))["next"]
    assert ids(teacher.get(nxt)) == [2]


def test_one_course_only_if_enrolled(teacher):
    concluded = teacher.get("/api/v1/courses/4")
    assert concluded.status_code == 200 and concluded.json()["workflow_state"] == "completed"
    assert teacher.get("/api/v1/courses/3").status_code == 404  # taught by someone else
    assert teacher.get("/api/v1/courses/999").status_code == 404
    assert teacher.get("/api/v1/courses/1", params={"include[]": "term"}).json()["term"]["name"] == "Default Term"


def test_course_roster(sandbox, teacher, student):
    world = sandbox.state.world
    roster = teacher.get("/api/v1/courses/1/users", params={"per_page": 100, "enrollment_type[]": "student"})
    students = [u for u in world.course_members(1) if "StudentEnrollment" in world.enrollment_types(u, 1)]
    assert sorted(ids(roster)) == sorted(students) and "login_id" in roster.json()[0]
    assert "login_id" not in student.get("/api/v1/courses/1/users").json()[0]  # students see no logins


def test_groups(sandbox, teacher):
    groups = teacher.get("/api/v1/users/self/groups")
    assert ids(groups) == [1]
    lab = groups.json()[0]
    assert lab["name"] == "Lab Group A" and lab["context_type"] == "Course" and lab["course_id"] == 1
    assert lab["members_count"] == len(sandbox.state.world.groups[1].member_ids)
    assert teacher.get("/api/v1/groups/1").json() == lab
    outsider = next(u for u in sandbox.info.users
                    if u["role"] == "student" and u["id"] not in sandbox.state.world.groups[1].member_ids)
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {outsider['token']}"}) as c:
        assert c.get("/api/v1/users/self/groups").json() == []
        assert c.get("/api/v1/groups/1").status_code == 404
