"""People and places of the sandbox: users, courses, sections, groups, enrollments.

This is the part of Canvas that decides who may message whom (the "address book")
and what a context code such as ``course_3_students`` expands to.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

ENROLLMENT_TYPES = {
    "teacher": "TeacherEnrollment",
    "ta": "TaEnrollment",
    "student": "StudentEnrollment",
    "observer": "ObserverEnrollment",
}
# The synthetic suffixes Canvas accepts after a course code, and the enrollment they pick.
SUFFIX_TYPES = {
    "teachers": "TeacherEnrollment",
    "tas": "TaEnrollment",
    "students": "StudentEnrollment",
    "observers": "ObserverEnrollment",
}
SUFFIX_LABELS = {"teachers": "Teachers", "tas": "TAs", "students": "Students", "observers": "Observers"}
# Roles that may message a whole course or its students (Canvas's send_messages_all).
SEND_ALL_TYPES = {"TeacherEnrollment", "TaEnrollment"}

CONTEXT_RE = re.compile(r"\A(course|section|group|discussion_topic)_(\d+)(_([a-z]+))?\Z")
USER_ID_RE = re.compile(r"\A\d+\Z")


@dataclass(slots=True)
class User:
    id: int
    name: str  # full name
    short_name: str
    sortable_name: str
    login: str
    role: str  # teacher, ta, student, observer, admin: the role the sandbox lists it under
    token: str
    time_zone: str = "America/Denver"
    observee_ids: tuple[int, ...] = ()
    pronouns: str | None = None  # as the user chose from the account's list ("they/them"); None when unset

    @property
    def uuid(self) -> str:
        """Canvas's 40-character user uuid (CanvasSlug), stable for the user's id and login."""
        return hashlib.sha1(f"sandbox-user:{self.id}:{self.login}".encode()).hexdigest()

    @property
    def may_masquerade(self) -> bool:
        """An account admin may act as any user (Canvas's "act as users" permission)."""
        return self.role == "admin"

    def avatar_url(self, base_url: str) -> str:
        return f"{base_url}/images/thumbnails/{self.id}/avatar-50.png"


@dataclass(slots=True)
class Course:
    id: int
    name: str
    course_code: str
    workflow_state: str = "available"  # "completed" means concluded
    sis_course_id: str | None = None

    @property
    def concluded(self) -> bool:
        return self.workflow_state == "completed"


@dataclass(slots=True)
class Section:
    id: int
    course_id: int
    name: str


@dataclass(slots=True)
class Group:
    id: int
    name: str
    course_id: int | None
    member_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Enrollment:
    user_id: int
    course_id: int
    section_id: int
    type: str  # StudentEnrollment, TeacherEnrollment, ...


class World:
    """Registry of people and contexts, with the lookups Canvas's address book makes."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.by_token: dict[str, User] = {}
        self.courses: dict[int, Course] = {}
        self.sections: dict[int, Section] = {}
        self.groups: dict[int, Group] = {}
        self.enrollments: list[Enrollment] = []
        self._types: dict[tuple[int, int], list[str]] = {}  # (user, course) -> types
        self._course_members: dict[int, list[int]] = {}
        self._user_courses: dict[int, list[int]] = {}
        self._user_groups: dict[int, list[int]] = {}
        # (observer, course) -> the students that observer enrollment is linked to
        self._observing: dict[tuple[int, int], set[int]] = {}

    # -- building -------------------------------------------------------
    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.by_token[user.token] = user
        return user

    def add_course(self, course: Course) -> Course:
        self.courses[course.id] = course
        return course

    def add_section(self, section: Section) -> Section:
        self.sections[section.id] = section
        return section

    def add_group(self, group: Group) -> Group:
        self.groups[group.id] = group
        for uid in group.member_ids:
            self._user_groups.setdefault(uid, []).append(group.id)
        return group

    def enroll(self, user_id: int, course_id: int, role: str, section_id: int | None = None,
               observee_id: int | None = None) -> None:
        """Enroll a user; an observer enrollment names the student it observes (``observee_id``)."""
        etype = ENROLLMENT_TYPES[role]
        if observee_id is not None:
            self._observing.setdefault((user_id, course_id), set()).add(observee_id)
        if section_id is None:
            section_id = next(s.id for s in self.sections.values() if s.course_id == course_id)
        self.enrollments.append(Enrollment(user_id, course_id, section_id, etype))
        types = self._types.setdefault((user_id, course_id), [])
        if etype not in types:
            types.append(etype)
        members = self._course_members.setdefault(course_id, [])
        if user_id not in members:
            members.append(user_id)
            self._user_courses.setdefault(user_id, []).append(course_id)

    # -- lookups ---------------------------------------------------------
    def enrollment_types(self, user_id: int, course_id: int) -> list[str]:
        return list(self._types.get((user_id, course_id), ()))

    def course_ids_of(self, user_id: int) -> list[int]:
        return list(self._user_courses.get(user_id, ()))

    def group_ids_of(self, user_id: int) -> list[int]:
        return list(self._user_groups.get(user_id, ()))

    def course_members(self, course_id: int) -> list[int]:
        return list(self._course_members.get(course_id, ()))

    def section_members(self, section_id: int) -> list[int]:
        return [e.user_id for e in self.enrollments if e.section_id == section_id]

    def section_ids_of(self, user_id: int) -> list[int]:
        return sorted({e.section_id for e in self.enrollments if e.user_id == user_id})

    def observes(self, observer_id: int, student_id: int, course_id: int) -> bool:
        return student_id in self._observing.get((observer_id, course_id), ())

    def sees_in_course(self, viewer: int, target: int, course_id: int) -> bool:
        """Whether viewer finds target among the course's people (Canvas's messageable calculator).

        Someone who is only an observer in the course has restricted visibility: the
        course's teachers and TAs, and the students that enrollment observes. Students
        do not see other students' observers, only their own.
        """
        mine = set(self._types.get((viewer, course_id), ()))
        theirs = set(self._types.get((target, course_id), ()))
        if not mine or not theirs:
            return False
        if mine == {"ObserverEnrollment"}:
            return bool(theirs & SEND_ALL_TYPES) or (
                "StudentEnrollment" in theirs and self.observes(viewer, target, course_id))
        if theirs == {"ObserverEnrollment"} and not mine & SEND_ALL_TYPES:
            return self.observes(target, viewer, course_id)
        return True

    def common_courses(self, a: int, b: int) -> dict[str, list[str]]:
        """Courses where a finds b, with b's enrollment types there (Canvas's common_courses)."""
        return {
            str(cid): self.enrollment_types(b, cid)
            for cid in self._user_courses.get(b, ())
            if self.sees_in_course(a, b, cid)
        }

    def common_groups(self, a: int, b: int) -> dict[str, list[str]]:
        mine = set(self._user_groups.get(a, ()))
        return {str(gid): ["Member"] for gid in self._user_groups.get(b, ()) if gid in mine}

    def can_send_all(self, user_id: int, course_id: int) -> bool:
        return any(t in SEND_ALL_TYPES for t in self.enrollment_types(user_id, course_id))

    def messageable(self, sender_id: int, target_id: int) -> bool:
        """Whether target is in sender's address book: seen in a live shared course, or a shared group."""
        if sender_id == target_id:
            return True
        if target_id not in self.users:
            return False
        for cid in self._user_courses.get(sender_id, ()):
            if not self.courses[cid].concluded and self.sees_in_course(sender_id, target_id, cid):
                return True
        return bool(set(self._user_groups.get(sender_id, ())) & set(self._user_groups.get(target_id, ())))

    def context_name(self, code: str | None) -> str | None:
        kind, cid = split_context(code)
        if kind == "course" and cid in self.courses:
            return self.courses[cid].name
        if kind == "group" and cid in self.groups:
            return self.groups[cid].name
        return None

    def context_exists_for(self, user_id: int, code: str) -> bool:
        kind, cid = split_context(code)
        if kind == "course":
            return cid in self.courses and cid in self._user_courses.get(user_id, ())
        if kind == "group":
            return cid in self.groups and cid in self._user_groups.get(user_id, ())
        return False

    def expand_context(self, sender_id: int, code: str) -> tuple[list[int], str | None]:
        """Users a context recipient such as ``course_3_students`` stands for.

        Returns (user ids, error) where error is Canvas's "restricted by role" when the
        sender may not message a whole course. Unknown contexts expand to nobody, and a
        course or section only to the members the sender sees there.
        """
        m = CONTEXT_RE.match(code)
        if not m:
            return [], None
        kind, cid, suffix = m.group(1), int(m.group(2)), m.group(4)
        if kind == "course":
            if cid not in self.courses or cid not in self._user_courses.get(sender_id, ()):
                return [], None
            members = [u for u in self.course_members(cid) if u == sender_id or self.sees_in_course(sender_id, u, cid)]
            if suffix is None or suffix in ("students", "observers"):
                if not self.can_send_all(sender_id, cid):
                    return [], "restricted by role"
            if suffix is None:
                return members, None
            wanted = SUFFIX_TYPES.get(suffix)
            if wanted is None:
                return [], None
            return [u for u in members if wanted in self.enrollment_types(u, cid)], None
        if kind == "section":
            section = self.sections.get(cid)
            if section is None or section.course_id not in self._user_courses.get(sender_id, ()):
                return [], None
            return [u for u in self.section_members(cid)
                    if u == sender_id or self.sees_in_course(sender_id, u, section.course_id)], None
        if kind == "group":
            group = self.groups.get(cid)
            if group is None or sender_id not in group.member_ids and not (
                group.course_id and self.can_send_all(sender_id, group.course_id)
            ):
                return [], None
            return list(group.member_ids), None
        return [], None


def split_context(code: str | None) -> tuple[str | None, int | None]:
    """``course_3`` -> ("course", 3); anything else -> (None, None)."""
    if not code:
        return None, None
    m = CONTEXT_RE.match(code)
    if not m or m.group(4):
        return None, None
    return m.group(1), int(m.group(2))
