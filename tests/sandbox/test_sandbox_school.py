"""``--school N``: classes of about 40 around the seeded school, and activity all over it.

What a school-wide relay is measured against (benchmarks/relay.py): people spread over many
classes, each class hearing its own discussion. The seeded school must stay as it is, since
the demo and every other test are written against it.
"""

from __future__ import annotations

import asyncio
import json

import httpx

from tui_inbox.sandbox.activity import Activity
from tui_inbox.sandbox.school import CLASS_SIZE, FIRST_COURSE_ID, FIRST_TEACHER_ID
from tui_inbox.sandbox.seed import seed_state
from tui_inbox.sandbox.server import listed_users
from tui_inbox.sandbox.state import Knobs, SandboxState
from websockets.asyncio.client import connect

WAIT = 15.0  # seconds a test waits for the sandbox at most


def seeded(**knobs) -> SandboxState:
    state = SandboxState(Knobs(**knobs))
    seed_state(state)
    return state


def test_the_seeded_school_is_unchanged_beside_the_new_classes():
    plain, school = listed_users(seeded()), listed_users(seeded(school=12))
    assert school[:len(plain)] == plain  # the same people, tokens and order, first
    assert len(school) == len(plain) + 12 + 12 * CLASS_SIZE // 2


def test_each_class_has_its_teacher_about_forty_students_and_an_open_discussion():
    state = seeded(school=12)
    world = state.world
    for index in range(12):
        course = FIRST_COURSE_ID + index
        members = world.course_members(course)
        teachers = [u for u in members if "TeacherEnrollment" in world.enrollment_types(u, course)]
        students = [u for u in members if "StudentEnrollment" in world.enrollment_types(u, course)]
        assert teachers == [FIRST_TEACHER_ID + index]
        assert CLASS_SIZE - 5 <= len(students) <= CLASS_SIZE
        topics = [t for t in state.discussions.topics_in("Course", course) if not t.is_announcement]
        assert [t.title for t in topics] == ["Questions this week"]
    students = [u for u in world.users.values() if u.id >= FIRST_TEACHER_ID and u.role == "student"]
    assert all(1 <= len(world.course_ids_of(u.id)) <= 2 for u in students)
    assert sum(len(world.course_ids_of(u.id)) == 2 for u in students) > len(students) * 0.9


def test_those_who_may_write_to_a_teacher_are_those_their_address_book_holds():
    # The activity looks only at the teacher's courses and groups; the whole school, scanned, agrees.
    for state in (seeded(), seeded(school=12), seeded(course_students=150)):
        activity = Activity(state)
        for teacher in activity.teachers:
            activity.teacher = teacher
            everyone = [u.id for u in state.world.users.values()
                        if u.role == "student" and state.world.messageable(u.id, teacher)]
            assert activity.students() == everyone


async def test_a_school_teacher_hears_their_own_classes_and_a_student_sees_theirs(make_sandbox):
    sandbox = make_sandbox(school=12, activity=0.005)
    teacher = next(u for u in sandbox.info.users if u["id"] == FIRST_TEACHER_ID + 3)
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=WAIT,
                                 headers={"Authorization": f"Bearer {teacher['token']}"}) as canvas:
        courses = (await canvas.get("/api/v1/courses")).json()
    assert [c["id"] for c in courses] == [FIRST_COURSE_ID + 3]
    async with connect(sandbox.live_url, additional_headers={"Authorization": f"Bearer {teacher['token']}"},
                       open_timeout=WAIT) as ws:
        # With 13 teachers the activity is around this one about once in 13 actions: at 200 actions
        # a second, something of this class (a discussion post, or a student writing) comes soon.
        event = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert event["metadata"]["event_name"] in {"conversation_created", "conversation_message_created",
                                               "discussion_entry_created", "discussion_entry_submitted",
                                               "discussion_topic_created", "conversation_forwarded"}
