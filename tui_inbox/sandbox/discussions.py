"""Canvas Discussions: topics, threaded entries, who may see them, and the events they emit.

The API handlers and any simulated activity change discussions only through
``create_topic``, ``update_topic`` and ``post_entry``, so every change sends the live
events real Canvas sends (canvas-api.md section 8, seed 003) to exactly the people
who may see the topic: the members of its course or group (live-stream.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from .clock import iso
from .event_text import truncate
from .events import Origin, course_metadata, event_time
from .state import SandboxState
from .world import World

# Canvas's course admins for discussions (``grants_any_right?(user, :manage, :read_course_content)``).
STAFF_TYPES = {"TeacherEnrollment", "TaEnrollment", "DesignerEnrollment"}
GROUP_ROLE = "GroupMembership"  # Canvas names the membership's class when it has no role


@dataclass(slots=True, eq=False)
class DiscussionEntry:
    id: int
    topic_id: int
    user_id: int
    parent_id: int | None  # None for a top-level entry
    message: str  # HTML
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    # Per-user state lives on the row, like Canvas's DiscussionEntryParticipant.
    readers: set[int] = field(default_factory=set)
    forced: set[int] = field(default_factory=set)


@dataclass(slots=True, eq=False)
class DiscussionTopic:
    id: int
    context_type: str  # "Course" or "Group"
    context_id: int
    title: str
    message: str  # HTML
    user_id: int  # author
    created_at: datetime
    posted_at: datetime
    updated_at: datetime
    is_announcement: bool = False
    assignment_id: int | None = None  # set for graded topics
    points_possible: float | None = None
    due_at: datetime | None = None
    lock_at: datetime | None = None
    workflow_state: str = "active"  # active, unpublished, locked, deleted (post_delayed unused)
    # Students see neither the topic nor its entries before this (low_level_locked_for?).
    delayed_post_at: datetime | None = None
    # A section-specific topic (``is_section_specific``): only these sections' users, and staff.
    section_ids: tuple[int, ...] = ()
    pinned: bool = False
    last_reply_at: datetime | None = None
    entry_ids: list[int] = field(default_factory=list)  # oldest first
    readers: set[int] = field(default_factory=set)
    subscribers: set[int] = field(default_factory=set)

    @property
    def context_code(self) -> str:
        return f"{self.context_type.lower()}_{self.context_id}"

    @property
    def context_path(self) -> str:
        """``courses/1`` or ``groups/1``: the prefix of the topic's URLs."""
        return f"{self.context_type.lower()}s/{self.context_id}"

    @property
    def published(self) -> bool:
        return self.workflow_state != "unpublished"

    def locked(self, now: datetime) -> bool:
        return self.workflow_state == "locked" or (self.lock_at is not None and self.lock_at <= now)


class DiscussionStore:
    """All topics and entries; ids are global across contexts, as Canvas's tables are."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.topics: dict[int, DiscussionTopic] = {}
        self.entries: dict[int, DiscussionEntry] = {}
        self.submissions: dict[tuple[int, int], int] = {}  # (assignment, user) -> submission id
        self._topic_ids = itertools.count(1)
        self._entry_ids = itertools.count(1)
        self._submission_ids = itertools.count(501)

    # -- changing ----------------------------------------------------------
    def add_topic(self, context_type: str, context_id: int, title: str, message: str, user_id: int, *,
                  posted_at: datetime | None = None, **fields) -> DiscussionTopic:
        when = posted_at or self.now()
        topic = DiscussionTopic(next(self._topic_ids), context_type, context_id, title, message, user_id,
                                created_at=when, posted_at=when, updated_at=when, **fields)
        # The author has read their own topic and follows it, as in Canvas.
        topic.readers.add(user_id)
        topic.subscribers.add(user_id)
        self.topics[topic.id] = topic
        return topic

    def add_entry(self, topic: DiscussionTopic, user_id: int, message: str, parent_id: int | None = None,
                  created_at: datetime | None = None) -> DiscussionEntry:
        parent = self.entries.get(parent_id) if parent_id is not None else None
        if parent_id is not None and (parent is None or parent.topic_id != topic.id):
            raise KeyError(parent_id)  # a reply stays inside its topic
        when = created_at or self.now()
        entry = DiscussionEntry(next(self._entry_ids), topic.id, user_id, parent_id, message, when, when)
        entry.readers.add(user_id)  # one's own post is never unread
        self.entries[entry.id] = entry
        topic.entry_ids.append(entry.id)
        topic.subscribers.add(user_id)  # posting subscribes
        if topic.last_reply_at is None or when > topic.last_reply_at:
            topic.last_reply_at = when
        return entry

    def submission_id(self, assignment_id: int, user_id: int) -> int:
        """A student's one submission for a graded topic, made on their first post."""
        key = (assignment_id, user_id)
        if key not in self.submissions:
            self.submissions[key] = next(self._submission_ids)
        return self.submissions[key]

    # -- reading -----------------------------------------------------------
    def topics_in(self, context_type: str, context_id: int) -> list[DiscussionTopic]:
        return [t for t in self.topics.values()
                if t.context_type == context_type and t.context_id == context_id and t.workflow_state != "deleted"]

    def entries_of(self, topic: DiscussionTopic, *, active: bool = True) -> list[DiscussionEntry]:
        found = [self.entries[i] for i in topic.entry_ids]
        return [e for e in found if not e.deleted] if active else found

    def replies_of(self, entry: DiscussionEntry) -> list[DiscussionEntry]:
        """Every active descendant, newest first: Canvas's flattened_discussion_subentries."""
        topic = self.topics[entry.topic_id]
        below = {entry.id}
        found = []
        for e in self.entries_of(topic, active=False):  # oldest first, so parents come before children
            if e.parent_id in below:
                below.add(e.id)
                if not e.deleted:
                    found.append(e)
        return sorted(found, key=lambda e: (e.created_at, e.id), reverse=True)

    def unread_count(self, topic: DiscussionTopic, user_id: int) -> int:
        return sum(1 for e in self.entries_of(topic) if user_id not in e.readers)

    def mark_read(self, topic: DiscussionTopic, user_id: int, read: bool = True, *, entries: bool = False,
                  forced: bool = False) -> None:
        """``PUT read`` (topic only) or ``PUT read_all`` (topic and every entry)."""
        (topic.readers.add if read else topic.readers.discard)(user_id)
        if entries:
            for entry in self.entries_of(topic):
                self.mark_entry(entry, user_id, read, forced=forced)

    def mark_entry(self, entry: DiscussionEntry, user_id: int, read: bool = True, *, forced: bool = False) -> None:
        (entry.readers.add if read else entry.readers.discard)(user_id)
        (entry.forced.add if forced else entry.forced.discard)(user_id)


# -- who may see and do what --------------------------------------------------
def context_members(world: World, context_type: str, context_id: int) -> list[int]:
    if context_type == "Course":
        return world.course_members(context_id)
    group = world.groups.get(context_id)
    return list(group.member_ids) if group else []


def is_member(world: World, user_id: int, context_type: str, context_id: int) -> bool:
    if context_type == "Course":
        return context_id in world.course_ids_of(user_id)
    return context_id in world.group_ids_of(user_id)


def context_role(world: World, user_id: int, context_type: str, context_id: int) -> str | None:
    """The actor's role for event metadata: enrollment type, or the group membership."""
    if context_type == "Group":
        return GROUP_ROLE if is_member(world, user_id, context_type, context_id) else None
    types = world.enrollment_types(user_id, context_id)
    return types[0] if types else None


def owning_course(world: World, topic: DiscussionTopic) -> int | None:
    if topic.context_type == "Course":
        return topic.context_id
    group = world.groups.get(topic.context_id)
    return group.course_id if group else None


def is_moderator(world: World, user_id: int, topic: DiscussionTopic) -> bool:
    """Teachers, TAs and designers of the course (or of the group's course) moderate its discussions."""
    course_id = owning_course(world, topic)
    return course_id is not None and bool(STAFF_TYPES & set(world.enrollment_types(user_id, course_id)))


def can_see(world: World, user_id: int, topic: DiscussionTopic, now: datetime) -> bool:
    """Canvas's ``DiscussionTopic#visible_for?`` (app/models/discussion_topic.rb): the author; an
    account admin; the course's staff; other members only of a published topic, of one of its
    sections when it is section-specific, and not before its ``delayed_post_at`` (which
    ``low_level_locked_for?`` keeps from them, text and all)."""
    if topic.user_id == user_id:
        return True
    user = world.users.get(user_id)
    if user is not None and user.may_masquerade:
        return True  # account admins read every course of their account (:read_course_content)
    if not is_member(world, user_id, topic.context_type, topic.context_id):
        return False
    if is_moderator(world, user_id, topic):
        return True
    if topic.section_ids and not set(world.section_ids_of(user_id)) & set(topic.section_ids):
        return False
    if not topic.published:
        return False
    return topic.delayed_post_at is None or topic.delayed_post_at <= now


def can_reply(state: SandboxState, user_id: int, topic: DiscussionTopic) -> bool:
    """Canvas's :reply right: a non-observer member, course not concluded, topic not locked."""
    world = state.world
    if not can_see(world, user_id, topic, state.now()):
        return False
    if not is_member(world, user_id, topic.context_type, topic.context_id):
        return False  # an account admin reads along but does not post
    course_id = owning_course(world, topic)
    if course_id is not None and world.courses[course_id].concluded:
        return False  # concluded courses are read-only
    if topic.context_type == "Course" and set(world.enrollment_types(user_id, course_id)) <= {"ObserverEnrollment"}:
        return False  # observers read along but do not post
    return not topic.locked(state.now()) or is_moderator(world, user_id, topic)


def audience(state: SandboxState, topic: DiscussionTopic) -> list[int]:
    """Who receives a topic's events: the members who can see it (``can_see``)."""
    world, now = state.world, state.now()
    return [u for u in context_members(world, topic.context_type, topic.context_id) if can_see(world, u, topic, now)]


# -- events (bodies exactly as seed 003: string ids, nils dropped as compact_live_events does) --
def _ms(dt: datetime | None) -> str | None:
    return event_time(dt.astimezone(timezone.utc)) if dt is not None else None


def _metadata(state: SandboxState, origin: Origin, name: str, topic: DiscussionTopic) -> dict:
    world = state.world
    role = context_role(world, origin.user.id, topic.context_type, topic.context_id)
    meta = course_metadata(origin, name, state.now(), topic.context_type, topic.context_id, role)
    # The seed's referrer is the topic page; the SIS id is the course's own (groups have none).
    meta["referrer"] = f"http://{origin.hostname}/{topic.context_path}/discussion_topics/{topic.id}"
    course = world.courses.get(topic.context_id) if topic.context_type == "Course" else None
    if course is not None and course.sis_course_id:
        meta["context_sis_source_id"] = course.sis_course_id
    else:
        meta.pop("context_sis_source_id", None)
    return meta


def topic_event(state: SandboxState, origin: Origin, name: str, topic: DiscussionTopic) -> dict:
    body = {
        "assignment_id": str(topic.assignment_id) if topic.assignment_id is not None else None,
        "body": truncate(topic.message),
        "context_id": str(topic.context_id),  # local, while discussion_topic_id is global (seed 003)
        "context_type": topic.context_type,
        "discussion_topic_id": state.institution.global_id(topic.id),
        "is_announcement": topic.is_announcement,
        "lock_at": _ms(topic.lock_at),
        "title": truncate(topic.title),
        "updated_at": _ms(topic.updated_at),
        "workflow_state": topic.workflow_state,
    }
    return {"metadata": _metadata(state, origin, name, topic), "body": {k: v for k, v in body.items() if v is not None}}


def entry_event(state: SandboxState, origin: Origin, name: str, topic: DiscussionTopic, entry: DiscussionEntry,
                **graded: int) -> dict:
    body = {
        "created_at": iso(entry.created_at),
        "discussion_entry_id": str(entry.id),
        "discussion_topic_id": str(topic.id),  # local here: the course is in the metadata
        "text": truncate(entry.message),
        "user_id": str(entry.user_id),
    }
    if entry.parent_id is not None:
        body["parent_discussion_entry_id"] = str(entry.parent_id)
    body.update({k: str(v) for k, v in graded.items()})  # assignment_id, submission_id
    return {"metadata": _metadata(state, origin, name, topic), "body": dict(sorted(body.items()))}


# -- operations ---------------------------------------------------------------
def create_topic(state: SandboxState, origin: Origin, context_type: str, context_id: int, title: str,
                 message: str, **fields) -> DiscussionTopic:
    """A new topic or announcement by ``origin.user``; emits ``discussion_topic_created``."""
    topic = state.discussions.add_topic(context_type, context_id, title, message, origin.user.id, **fields)
    state.hub.publish(topic_event(state, origin, "discussion_topic_created", topic), audience(state, topic))
    return topic


def update_topic(state: SandboxState, origin: Origin, topic: DiscussionTopic, **changes) -> DiscussionTopic:
    """Change topic fields; Canvas emits ``discussion_topic_updated`` on any update."""
    for name, value in changes.items():
        if not hasattr(topic, name) or name in ("id", "entry_ids", "readers", "subscribers"):
            raise AttributeError(name)
        setattr(topic, name, value)
    topic.updated_at = state.now()
    # To those who may see it now: publishing a draft reaches the students; an unpublished
    # topic's new title and text reach its staff only (the event carries both).
    state.hub.publish(topic_event(state, origin, "discussion_topic_updated", topic), audience(state, topic))
    return topic


def post_entry(state: SandboxState, origin: Origin, topic: DiscussionTopic, author_id: int, message: str,
               parent_id: int | None = None) -> DiscussionEntry:
    """A top-level entry or a reply; emits ``discussion_entry_created`` and, when a student
    answers a graded topic, ``discussion_entry_submitted`` (only students have submissions)."""
    store: DiscussionStore = state.discussions
    entry = store.add_entry(topic, author_id, message, parent_id)
    people = audience(state, topic)
    state.hub.publish(entry_event(state, origin, "discussion_entry_created", topic, entry), people)
    course_id = owning_course(state.world, topic)
    if topic.assignment_id is not None and course_id is not None and \
            "StudentEnrollment" in state.world.enrollment_types(author_id, course_id):
        submission = store.submission_id(topic.assignment_id, author_id)
        event = entry_event(state, origin, "discussion_entry_submitted", topic, entry,
                            assignment_id=topic.assignment_id, submission_id=submission)
        state.hub.publish(event, people)
    return entry
