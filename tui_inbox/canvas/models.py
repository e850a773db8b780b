"""Typed models of what the Canvas API returns, parsed tolerantly (see parsing.py).

Every model keeps what it was parsed from in ``raw`` only where a caller may need a
field the model does not name; the rest is plain attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .parsing import (as_bool, as_dict, as_datetime, as_float, as_id, as_int, as_list, as_str, as_text, int_list)
from .rows import LeftOut, bad_id, usable
from .sharing import Shared


@dataclass(slots=True)
class Participant:
    id: int
    name: str
    full_name: str
    avatar_url: str | None = None
    common_courses: dict[int, list[str]] = field(default_factory=dict)
    common_groups: dict[int, list[str]] = field(default_factory=dict)
    pronouns: str | None = None  # "they/them"; Canvas sends null when unset

    @classmethod
    def from_json(cls, data: Any, shared: Shared | None = None) -> "Participant":
        """``shared``: the listing's shared objects; the same person in many rows is one object.
        Raises BadRow if the id is not one (rows.py): a person read as 0 would be someone else."""
        data = as_dict(data)
        name = as_text(data.get("name"))
        pid = as_id(data.get("id"))
        if pid is None:
            raise bad_id("participant", data.get("id"))
        full_name = as_str(data.get("full_name")) or name
        avatar_url = as_str(data.get("avatar_url"))
        pronouns = as_str(data.get("pronouns"))
        courses, groups = data.get("common_courses"), data.get("common_groups")

        def make() -> "Participant":
            return cls(
                id=pid,
                name=name,
                full_name=full_name,
                avatar_url=avatar_url,
                common_courses={as_int(k, 0): [as_text(t) for t in as_list(v)] for k, v in as_dict(courses).items()},
                common_groups={as_int(k, 0): [as_text(t) for t in as_list(v)] for k, v in as_dict(groups).items()},
                pronouns=pronouns,
            )

        if shared is None or courses or groups:  # common courses are rare in listings: not worth a key
            return make()
        return shared.one(("p", pid, name, full_name, avatar_url, pronouns), make)


@dataclass(slots=True)
class Attachment:
    id: int
    display_name: str
    filename: str
    content_type: str
    url: str | None
    size: int | None

    @classmethod
    def from_json(cls, data: Any) -> "Attachment":
        data = as_dict(data)
        display = as_text(data.get("display_name")) or as_text(data.get("filename"))
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            display_name=display,
            filename=as_text(data.get("filename")) or display,
            content_type=as_text(data.get("content-type") or data.get("content_type")),
            url=as_str(data.get("url")),
            size=as_int(data.get("size")),
        )


@dataclass(slots=True)
class MediaComment:
    media_id: str
    media_type: str
    display_name: str | None
    content_type: str | None
    url: str | None

    @classmethod
    def from_json(cls, data: Any) -> "MediaComment | None":
        if not isinstance(data, dict):
            return None
        return cls(
            media_id=as_text(data.get("media_id")),
            media_type=as_text(data.get("media_type")),
            display_name=as_str(data.get("display_name")),
            content_type=as_str(data.get("content-type")),
            url=as_str(data.get("url")),
        )


@dataclass(slots=True)
class Message:
    id: int
    created_at: datetime | None
    body: str
    author_id: int | None
    generated: bool = False
    media_comment: MediaComment | None = None
    forwarded_messages: list["Message"] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    participating_user_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any, depth: int = 0, left_out: LeftOut | None = None, *,
                  shown_only: bool = False) -> "Message":
        """Raises BadRow if the id is not one; forwarded messages with bad ids are left out (in ``left_out``).
        ``shown_only``: a message that is only shown, never stored nor found by id (a batch's), may have none (0)."""
        data = as_dict(data)
        mid = as_id(data.get("id"))
        if mid is None and not shown_only:
            raise bad_id("message", data.get("id"))
        left_out = left_out if left_out is not None else LeftOut()
        # A hostile server could nest forwards without end; real threads stay shallow.
        forwarded = usable(as_list(data.get("forwarded_messages")),
                           lambda m: cls.from_json(m, depth + 1, left_out), "message", left_out) if depth < 20 else []
        return cls(
            id=mid or 0,
            created_at=as_datetime(data.get("created_at")),
            body=as_text(data.get("body")),
            author_id=as_int(data.get("author_id")),
            generated=as_bool(data.get("generated")),
            media_comment=MediaComment.from_json(data.get("media_comment")),
            forwarded_messages=forwarded,
            attachments=[Attachment.from_json(a) for a in as_list(data.get("attachments"))],
            participating_user_ids=int_list(data.get("participating_user_ids")),
        )


@dataclass(slots=True)
class Conversation:
    """A row of a listing, or a whole thread (with ``messages``).

    Parsed rows hold read-only lists and dicts (``participants``, ``properties``, ``audience``,
    ``audience_contexts``), which rows with equal values share; change a row with
    ``dataclasses.replace``, giving it new lists where they change."""

    id: int
    subject: str
    workflow_state: str
    last_message: str | None
    last_message_at: datetime | None
    last_authored_message: str | None
    last_authored_message_at: datetime | None
    message_count: int
    subscribed: bool
    private: bool
    starred: bool
    properties: list[str]
    audience: list[int]
    audience_contexts: dict
    avatar_url: str | None
    participants: list[Participant]
    visible: bool
    context_code: str | None
    context_name: str | None
    messages: list[Message] | None = None  # only from show, create and add_* answers
    cannot_reply: bool = False

    @property
    def unread(self) -> bool:
        return self.workflow_state == "unread"

    @property
    def archived(self) -> bool:
        return self.workflow_state == "archived"

    @property
    def has_attachments(self) -> bool:
        return "attachments" in self.properties

    @property
    def course_ids(self) -> list[int]:
        return [i for i in (as_int(k) for k in as_dict(self.audience_contexts.get("courses"))) if i is not None]

    def participant(self, user_id: int | None) -> Participant | None:
        return next((p for p in self.participants if p.id == user_id), None)

    @classmethod
    def from_json(cls, data: Any, shared: Shared | None = None, left_out: LeftOut | None = None) -> "Conversation":
        """``shared``: the objects shared by the rows of one listing (see sharing.py). Without it
        the conversation still gets read-only lists and dicts, so every row is alike.

        Raises BadRow if the id is not one (rows.py); messages with bad ids are left out, counted
        in ``left_out`` for the caller to say."""
        data = as_dict(data)
        cid = as_id(data.get("id"))
        if cid is None:
            raise bad_id("conversation", data.get("id"))
        shared = shared if shared is not None else Shared()
        text, when = shared.text, shared.when
        messages = data.get("messages")
        left_out = left_out if left_out is not None else LeftOut()
        return cls(
            id=cid,
            subject=text(as_text(data.get("subject"))),
            workflow_state=text(as_text(data.get("workflow_state")) or "read"),
            last_message=text(as_str(data.get("last_message"))),
            last_message_at=when(data.get("last_message_at") or data.get("start_at")),
            last_authored_message=text(as_str(data.get("last_authored_message"))),
            last_authored_message_at=when(data.get("last_authored_message_at")),
            message_count=as_int(data.get("message_count"), 0) or 0,
            subscribed=as_bool(data.get("subscribed"), True),
            private=as_bool(data.get("private")),
            starred=as_bool(data.get("starred")),
            properties=shared.texts([as_text(p) for p in as_list(data.get("properties"))]),
            audience=shared.ints(int_list(data.get("audience"))),
            audience_contexts=shared.json(as_dict(data.get("audience_contexts"))),
            avatar_url=text(as_str(data.get("avatar_url"))),
            participants=shared.items(usable(as_list(data.get("participants")), lambda p: Participant.from_json(p, shared),
                                             "participant", left_out)),
            visible=as_bool(data.get("visible"), True),
            context_code=text(as_str(data.get("context_code"))),
            context_name=text(as_str(data.get("context_name"))),
            messages=usable(messages, lambda m: Message.from_json(m, 0, left_out), "message", left_out)
            if isinstance(messages, list) else None,
            cannot_reply=as_bool(data.get("cannot_reply")),
        )


@dataclass(slots=True)
class Progress:
    id: int
    workflow_state: str
    completion: float  # 0 to 100
    message: str | None
    tag: str | None
    url: str | None
    results: Any = None

    @property
    def done(self) -> bool:
        return self.workflow_state in ("completed", "failed")

    @classmethod
    def from_json(cls, data: Any) -> "Progress":
        data = as_dict(data)
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            workflow_state=as_text(data.get("workflow_state")) or "queued",
            completion=as_float(data.get("completion")),
            message=as_str(data.get("message")),
            tag=as_str(data.get("tag")),
            url=as_str(data.get("url")),
            results=data.get("results"),
        )


@dataclass(slots=True)
class Batch:
    """A bulk private message being sent (``/conversations/batches``)."""

    id: int
    workflow_state: str
    completion: float  # 0 to 1, unlike Progress
    recipient_count: int | None
    message: Message | None
    tags: list[str]
    subject: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> "Batch":
        data = as_dict(data)
        message = data.get("message")
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            workflow_state=as_text(data.get("workflow_state")),
            completion=as_float(data.get("completion")),
            recipient_count=as_int(data.get("recipient_count")),
            message=Message.from_json(message, shown_only=True) if isinstance(message, dict) else None,
            tags=[as_text(t) for t in as_list(data.get("tags"))],
            subject=as_str(data.get("subject")),
        )




@dataclass(slots=True)
class Recipient:
    """A search result: a person (``id`` a number as text) or a context such as ``course_3_students``."""

    id: str
    name: str
    full_name: str | None
    type: str  # "user" or "context"
    user_count: int | None
    context_name: str | None
    common_courses: dict[int, list[str]]
    avatar_url: str | None
    pronouns: str | None = None

    @property
    def is_context(self) -> bool:
        return self.type == "context" or not self.id.isdigit()

    @classmethod
    def from_json(cls, data: Any) -> "Recipient":
        data = as_dict(data)
        rid = as_text(data.get("id"))
        kind = as_str(data.get("type")) or ("user" if rid.isdigit() else "context")
        return cls(
            id=rid,
            name=as_text(data.get("name")),
            full_name=as_str(data.get("full_name")),
            type=kind,
            user_count=as_int(data.get("user_count")),
            context_name=as_str(data.get("context_name")),
            common_courses={as_int(k, 0): [as_text(t) for t in as_list(v)] for k, v in as_dict(data.get("common_courses")).items()},
            avatar_url=as_str(data.get("avatar_url")),
            pronouns=as_str(data.get("pronouns")),
        )


@dataclass(slots=True)
class User:
    id: int
    name: str
    short_name: str
    sortable_name: str
    login_id: str | None
    avatar_url: str | None

    @classmethod
    def from_json(cls, data: Any) -> "User":
        data = as_dict(data)
        name = as_text(data.get("name"))
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            name=name,
            short_name=as_str(data.get("short_name")) or name,
            sortable_name=as_str(data.get("sortable_name")) or name,
            login_id=as_str(data.get("login_id")),
            avatar_url=as_str(data.get("avatar_url")),
        )


@dataclass(slots=True)
class Course:
    id: int
    name: str
    course_code: str
    workflow_state: str
    enrollment_types: list[str]
    # The sections of the user's enrollments, when asked for with ``include[]=sections``.
    section_ids: tuple[int, ...] = ()

    @property
    def context_code(self) -> str:
        return f"course_{self.id}"

    @classmethod
    def from_json(cls, data: Any) -> "Course":
        data = as_dict(data)
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            name=as_text(data.get("name")),
            course_code=as_text(data.get("course_code")),
            workflow_state=as_text(data.get("workflow_state")) or "available",
            enrollment_types=[as_text(as_dict(e).get("type")) for e in as_list(data.get("enrollments"))],
            section_ids=_ids(as_dict(s).get("id") for s in as_list(data.get("sections"))),
        )


def _ids(values) -> tuple[int, ...]:
    """The positive ids among ``values``, sorted, each once: anything else is not an id."""
    return tuple(sorted({i for i in (as_int(v) for v in values) if i is not None and i > 0}))


@dataclass(slots=True)
class Group:
    id: int
    name: str
    course_id: int | None

    @property
    def context_code(self) -> str:
        return f"group_{self.id}"

    @classmethod
    def from_json(cls, data: Any) -> "Group":
        data = as_dict(data)
        course_id = as_int(data.get("course_id"))
        if course_id is None and as_str(data.get("context_type")) == "Course":
            course_id = as_int(data.get("context_id"))
        return cls(id=as_int(data.get("id"), 0) or 0, name=as_text(data.get("name")), course_id=course_id)


@dataclass(slots=True)
class DiscussionTopic:
    id: int
    title: str
    message: str
    author_name: str | None
    posted_at: datetime | None
    last_reply_at: datetime | None
    is_announcement: bool
    assignment_id: int | None
    html_url: str | None
    context_code: str | None
    locked: bool
    # Who may see it (DiscussionTopic#visible_for?): a draft, a post delayed to a later time
    # and a section-specific topic are not for every member of the course.
    published: bool = True
    delayed_post_at: datetime | None = None
    section_ids: tuple[int, ...] = ()
    author_id: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> "DiscussionTopic":
        data = as_dict(data)
        author = as_dict(data.get("author"))
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            title=as_text(data.get("title")),
            message=as_text(data.get("message")),
            author_name=as_str(author.get("display_name")) or as_str(data.get("user_name")),
            posted_at=as_datetime(data.get("posted_at")),
            last_reply_at=as_datetime(data.get("last_reply_at")),
            is_announcement=as_bool(data.get("is_announcement")) or as_str(data.get("subtype")) == "announcement",
            assignment_id=as_int(data.get("assignment_id")),
            html_url=as_str(data.get("html_url")),
            context_code=as_str(data.get("context_code")),
            locked=as_bool(data.get("locked")),
            published=as_bool(data.get("published"), True),
            delayed_post_at=as_datetime(data.get("delayed_post_at")),
            section_ids=_ids(as_dict(s).get("id") for s in as_list(data.get("sections"))),
            author_id=as_int(author.get("id")) if author else as_int(data.get("user_id")),
        )


@dataclass(slots=True)
class DiscussionEntry:
    id: int
    user_id: int | None
    user_name: str | None
    parent_id: int | None
    message: str
    created_at: datetime | None
    deleted: bool = False
    replies: list["DiscussionEntry"] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any, depth: int = 0) -> "DiscussionEntry":
        data = as_dict(data)
        nested = as_list(data.get("replies")) or as_list(data.get("recent_replies"))
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            user_id=as_int(data.get("user_id")),
            user_name=as_str(data.get("user_name")),
            parent_id=as_int(data.get("parent_id")),
            message=as_text(data.get("message")),
            created_at=as_datetime(data.get("created_at")),
            deleted=as_bool(data.get("deleted")),
            replies=[cls.from_json(r, depth + 1) for r in nested] if depth < 50 else [],
        )


@dataclass(slots=True)
class DiscussionView:
    """``GET .../discussion_topics/:id/view``: the whole threaded discussion."""

    participants: dict[int, str]
    entries: list[DiscussionEntry]
    unread_entries: list[int]

    @classmethod
    def from_json(cls, data: Any) -> "DiscussionView":
        data = as_dict(data)
        people = {}
        for person in as_list(data.get("participants")):
            person = as_dict(person)
            pid = as_int(person.get("id"))
            if pid is not None:
                people[pid] = as_text(person.get("display_name"))
        return cls(
            participants=people,
            entries=[DiscussionEntry.from_json(e) for e in as_list(data.get("view"))],
            unread_entries=int_list(data.get("unread_entries")),
        )

    def find(self, entry_id: int) -> DiscussionEntry | None:
        stack = list(self.entries)
        while stack:
            entry = stack.pop()
            if entry.id == entry_id:
                return entry
            stack.extend(entry.replies)
        return None


@dataclass(slots=True)
class FileInfo:
    id: int
    display_name: str
    content_type: str
    size: int | None
    url: str | None

    @classmethod
    def from_json(cls, data: Any) -> "FileInfo":
        data = as_dict(data)
        return cls(
            id=as_int(data.get("id"), 0) or 0,
            display_name=as_text(data.get("display_name")) or as_text(data.get("filename")),
            content_type=as_text(data.get("content-type") or data.get("content_type")),
            size=as_int(data.get("size")),
            url=as_str(data.get("url")),
        )
