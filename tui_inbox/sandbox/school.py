"""A whole school beside the seeded one (``--school N``): N more courses, each with its teacher,
its students and an open discussion, for what a school-wide service sees.

The seeded school is about forty people around one teacher: right for the demo and the
tests, but a relay serving it with 1,000 connections would be serving 26 devices per
person, every event of BIO 101 to most of them. A school's relay serves people spread over
many classes: a class of about 40 hears its own discussion, a conversation reaches its few
participants. Each course here is such a class; every student takes two of them, so
classmates overlap as they do, and the simulated activity (activity.py) moves around the
whole school instead of around the demo teacher.

Deterministic from the seed; ids clear of the seeded people and of ``--course-students``'
fillers; nothing of the seeded school changes, so the demo and the tests see the same data.
"""

from __future__ import annotations

import random

from .people import FILLER_FIRST, FILLER_LAST, person
from .world import Course, Section

CLASS_SIZE = 40  # students per course
COURSES_PER_STUDENT = 2
FIRST_COURSE_ID = 100
FIRST_TEACHER_ID = 20_000
FIRST_STUDENT_ID = 30_000
SUBJECTS = ["Algebra", "Biology", "Chemistry", "Drama", "Economics", "French", "Geography", "History", "Informatics",
            "Japanese", "Literature", "Music", "Physics", "Philosophy", "Statistics", "Spanish"]
TOPIC = ("Questions this week", "<p>Ask here about anything from this week's classes.</p>")


def _name(index: int, salt: int) -> str:
    first = FILLER_FIRST[(index + salt) % len(FILLER_FIRST)]
    last = FILLER_LAST[(index // len(FILLER_FIRST) + salt) % len(FILLER_LAST)]
    return f"{first} {last} {index + 1}"


def fill_school(state, courses: int) -> list[int]:
    """Add ``courses`` classes with their people and discussions; returns the new teachers' ids
    (the people the simulated students write to)."""
    world, seed, school = state.world, state.knobs.seed, state.institution
    rng = random.Random(f"school:{school.salt(seed)}")
    teachers = []
    course_ids = []
    for index in range(courses):
        cid = FIRST_COURSE_ID + index
        subject = SUBJECTS[index % len(SUBJECTS)]
        code = f"{subject[:4].upper()} {100 + index}"
        world.add_course(Course(cid, f"{subject} {index // len(SUBJECTS) + 1}", code, "available",
                                sis_course_id=f"2026-{code.replace(' ', '')}"))
        world.add_section(Section(cid * 10 + 1, cid, f"{code} Section 1"))
        uid = FIRST_TEACHER_ID + index
        full = _name(index, 5)
        world.add_user(person(uid, full, "teacher", seed, school))
        world.enroll(uid, cid, "teacher")
        teachers.append(uid)
        course_ids.append(cid)
    # Seats: each student takes COURSES_PER_STUDENT different courses, every course fills to CLASS_SIZE.
    seats = [cid for cid in course_ids for _ in range(CLASS_SIZE)]
    rng.shuffle(seats)
    students = len(seats) // COURSES_PER_STUDENT
    for index in range(students):
        uid = FIRST_STUDENT_ID + index
        full = _name(index, 0)
        world.add_user(person(uid, full, "student", seed, school))
        taken = set()
        for cid in seats[index * COURSES_PER_STUDENT:(index + 1) * COURSES_PER_STUDENT]:
            if cid not in taken:  # two seats in one course: one enrollment, one course fewer
                world.enroll(uid, cid, "student", section_id=cid * 10 + 1)
                taken.add(cid)
    if state.discussions is not None:
        title, message = TOPIC
        for cid, teacher in zip(course_ids, teachers):
            state.discussions.add_topic("Course", cid, title, message, teacher, posted_at=state.clock.start)
    return teachers
