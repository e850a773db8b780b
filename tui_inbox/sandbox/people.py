"""The seeded school: courses, sections, a group and about forty people, from ``--seed``.

The first teacher (``DEMO_TEACHER``) is the demo's user: every student is enrolled in
at least one of that teacher's courses, so each can write to the teacher and back.
Names come in several scripts because real rosters do.
"""

from __future__ import annotations

import hashlib
import random

from .institution import FIRST, Institution
from .world import Course, Group, Section, User, World

COURSES = [
    # id, name, code, state
    (1, "Introduction to Biology", "BIO 101", "available"),
    (2, "Organic Chemistry", "CHEM 210", "available"),
    (3, "World History", "HIST 150", "available"),
    (4, "Statistics for Scientists", "STAT 200", "completed"),  # concluded: messaging refused
]

STAFF = [
    # id, full name, short name, role, courses
    (1, "Margaret Okafor", "Maggie Okafor", "teacher", (1, 2, 4)),
    (2, "Hiroshi Tanaka", "Hiroshi", "teacher", (3,)),
    (3, "Priya Raman", "Priya", "ta", (1, 2)),
    (4, "Omar Haddad", "Omar", "ta", (3,)),
]

STUDENT_NAMES = [
    "Jane Doe", "Bob Martinez", "Alice Nguyen", "Carlos Silva", "Dana Whitfield", "Ethan Brooks",
    "Fatima Al-Sayed", "Grace Kim", "Henry Olsen", "Isabel Costa", "Jamal Wright", "Kate Novak",
    "Liam O'Connor", "Maya Patel", "Noah Fischer", "Olivia Rossi", "Pedro Alves", "Quinn Harper",
    "Rosa Jiménez", "Sam Taylor", "Tomás Herrera", "Uma Desai", "Victor Lindqvist", "Wen Li",
    "李小龙", "王芳", "ليلى حداد", "محمد الفارسي", "Zoë 🌟 Müller", "Søren Kierkegaard-Hansen",
    "Анна Петрова", "Nguyễn Thị Mai", "[bold]Bobby[/bold] Tables",
]

OBSERVER = (60, "Linda Doe", "Linda Doe", "observer")
# The account admin: enrolled nowhere, with the "act as users" permission (``as_user_id``), as a
# school's relay needs to learn who is in a conversation.
ADMIN = (90, "Rhea Castellanos", "Rhea", "admin")
# Students made up to fill a course to a chosen size (``Knobs.course_students``): ids from here on,
# clear of the seeded people, names from these lists in turn.
FILLER_FIRST_ID = 1000
FILLER_FIRST = ["Ada", "Bilal", "Chloé", "Dmitri", "Esi", "Farid", "Gita", "Hugo", "Ines", "Jun", "Kofi", "Lena"]
FILLER_LAST = ["Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fujita", "Garcia", "Holm", "Ivanova", "Jensen",
               "Kowalski", "Lund", "Moreau"]
JANE = 10
# Pronouns some people chose from the account's list (Canvas shows them after the name, as in
# "Quinn Harper (they/them)"); everyone else left them unset, as most people do.
PRONOUNS = {"Quinn Harper": "they/them", "Hiroshi Tanaka": "he/him"}


def token_for(seed: int, user_id: int, institution: Institution = FIRST) -> str:
    """A Canvas-looking token (``<shard>~<64 chars>``), stable for a seed and an institution."""
    digest = hashlib.sha256(f"tui-inbox-sandbox:{institution.salt(seed)}:{user_id}".encode()).hexdigest()
    return f"{institution.token_prefix}~{digest}"


def person(uid: int, full: str, role: str, seed: int, institution: Institution = FIRST, **fields) -> User:
    """A user whose short name, sortable name, login and token follow from the full name and id."""
    return User(uid, full, _short(full), _sortable(full), _login(full, uid, institution), role,
                token_for(seed, uid, institution), **fields)


def staff(uid: int, full: str, short: str, role: str, seed: int, institution: Institution = FIRST, **fields) -> User:
    """Someone whose short name is their own choice (staff, observers, admins), not their first name."""
    return User(uid, full, short, _sortable(full), _login(full, uid, institution), role,
                token_for(seed, uid, institution), **fields)


def _short(full: str) -> str:
    return full.split()[0] if " " in full and full.isascii() else full


def _sortable(full: str) -> str:
    parts = full.split()
    return f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else full


def _login(full: str, user_id: int, institution: Institution = FIRST) -> str:
    ascii_name = "".join(ch for ch in full.lower() if ch.isascii() and (ch.isalnum() or ch == " "))
    slug = ".".join(ascii_name.split()) or f"user{user_id}"
    return f"{slug}@{institution.login_domain}"


def _observed(world: World, students: list[int]) -> list[tuple[int, int]]:
    """The observer's enrollments, (course, linked student): Jane in BIO 101, and in HIST 150
    the first other student who takes both. That student shares BIO 101 with the observer
    without being observed there, so there the two do not see each other, as in Canvas."""
    links = [(1, JANE)]
    second = next((u for u in students if u != JANE and {1, 3} <= set(world.course_ids_of(u))), None)
    if second is not None:
        links.append((3, second))
    return links


def seed_people(world: World, seed: int) -> int:
    """Fill the world; returns the demo teacher's id."""
    rng = random.Random(seed)
    for cid, name, code, state in COURSES:
        world.add_course(Course(cid, name, code, state, sis_course_id=f"2026-{code.replace(' ', '')}"))
        world.add_section(Section(cid * 10 + 1, cid, f"{code} Section 1"))
        world.add_section(Section(cid * 10 + 2, cid, f"{code} Section 2"))

    for uid, full, short, role, courses in STAFF:
        world.add_user(User(uid, full, short, _sortable(full), _login(full, uid), role, token_for(seed, uid)))
        for cid in courses:
            world.enroll(uid, cid, role)

    students = []
    for offset, full in enumerate(STUDENT_NAMES):
        uid = 10 + offset
        user = person(uid, full, "student", seed,
                      time_zone=rng.choice(["America/Denver", "America/New_York", "Europe/Berlin", "Asia/Tokyo"]))
        world.add_user(user)
        students.append(uid)
        # Everyone takes one of the demo teacher's courses; many take a second course too.
        first = 1 if offset % 2 == 0 else 2
        world.enroll(uid, first, "student", section_id=first * 10 + 1 + (offset % 4 == 3))
        if rng.random() < 0.5:
            world.enroll(uid, 3, "student")
        if offset < 6:
            world.enroll(uid, 4, "student")

    oid, full, short, role = OBSERVER
    observed = _observed(world, students)
    world.add_user(User(oid, full, short, _sortable(full), _login(full, oid), role, token_for(seed, oid),
                        observee_ids=tuple(dict.fromkeys(student for _, student in observed))))
    for cid, student in observed:
        world.enroll(oid, cid, "observer", observee_id=student)

    aid, full, short, role = ADMIN
    world.add_user(User(aid, full, short, _sortable(full), _login(full, aid), role, token_for(seed, aid)))

    for user in world.users.values():
        user.pronouns = PRONOUNS.get(user.name)

    lab = [1, 3] + [uid for uid in students if 1 in world.course_ids_of(uid)][:5]
    world.add_group(Group(1, "Lab Group A", 1, member_ids=lab))
    return 1


def fill_course(world: World, course_id: int, students: int, seed: int, institution: Institution = FIRST) -> list[int]:
    """Enroll made-up students until the course has ``students`` of them (a large course for bulk
    sends: over 100 members Canvas wants ``bulk_message``). Returns the ids added."""
    have = sum(1 for uid in world.course_members(course_id) if "StudentEnrollment" in world.enrollment_types(uid, course_id))
    added = []
    for index in range(max(0, students - have)):
        uid = FILLER_FIRST_ID + index
        full = f"{FILLER_FIRST[index % len(FILLER_FIRST)]} {FILLER_LAST[(index // len(FILLER_FIRST)) % len(FILLER_LAST)]}"
        if index >= len(FILLER_FIRST) * len(FILLER_LAST):
            full += f" {index // (len(FILLER_FIRST) * len(FILLER_LAST)) + 1}"
        world.add_user(person(uid, full, "student", seed, institution))
        world.enroll(uid, course_id, "student", section_id=course_id * 10 + 1 + index % 2)
        added.append(uid)
    return added
