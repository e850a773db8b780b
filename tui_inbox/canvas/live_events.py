"""Canvas Live Events (``{"metadata": ..., "body": ...}``) as one typed model.

The seven event types of the seeds get named fields; an event with any other name is
kept with its raw metadata and body, never dropped. Ids arrive as strings, some global
(shard * 10**13 + local: metadata, topic ids) and some local (most of the body): both
are reduced to the local id the REST API uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .parsing import as_bool, as_datetime, as_dict, as_int, as_str

SHARD_FACTOR = 10**13
CONVERSATION_EVENTS = ("conversation_created", "conversation_forwarded", "conversation_message_created")
DISCUSSION_EVENTS = (
    "discussion_topic_created",
    "discussion_topic_updated",
    "discussion_entry_created",
    "discussion_entry_submitted",
)
KNOWN_EVENTS = CONVERSATION_EVENTS + DISCUSSION_EVENTS


def local_id(value: Any) -> int | None:
    number = as_int(value)
    if number is None:
        return None
    return number % SHARD_FACTOR if number >= SHARD_FACTOR else number


@dataclass(slots=True)
class LiveEvent:
    name: str
    time: datetime | None
    actor_id: int | None  # metadata.user_id, as a local id
    metadata: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    conversation_id: int | None = None
    message_id: int | None = None
    author_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    topic_id: int | None = None
    entry_id: int | None = None
    parent_entry_id: int | None = None
    text: str | None = None
    title: str | None = None
    is_announcement: bool = False
    context_type: str | None = None
    context_id: int | None = None
    assignment_id: int | None = None
    submission_id: int | None = None

    @property
    def known(self) -> bool:
        return self.name in KNOWN_EVENTS

    @property
    def is_conversation(self) -> bool:
        return self.name in CONVERSATION_EVENTS

    @property
    def is_discussion(self) -> bool:
        return self.name in DISCUSSION_EVENTS

    @property
    def context_code(self) -> str | None:
        if self.context_type and self.context_id is not None:
            return f"{self.context_type.lower()}_{self.context_id}"
        return None

    @classmethod
    def from_json(cls, data: Any) -> "LiveEvent":
        data = as_dict(data)
        meta = as_dict(data.get("metadata"))
        body = as_dict(data.get("body"))
        event = cls(
            name=as_str(meta.get("event_name")) or as_str(data.get("event_name")) or "unknown",
            time=as_datetime(meta.get("event_time")),
            actor_id=local_id(meta.get("user_id")),
            metadata=meta,
            body=body,
        )
        event.conversation_id = local_id(body.get("conversation_id"))
        event.message_id = local_id(body.get("message_id"))
        event.author_id = local_id(body.get("author_id"))
        event.created_at = as_datetime(body.get("created_at"))
        event.updated_at = as_datetime(body.get("updated_at"))
        event.topic_id = local_id(body.get("discussion_topic_id"))
        event.entry_id = local_id(body.get("discussion_entry_id"))
        event.parent_entry_id = local_id(body.get("parent_discussion_entry_id"))
        event.text = as_str(body.get("text")) or as_str(body.get("body"))
        event.title = as_str(body.get("title"))
        event.is_announcement = as_bool(body.get("is_announcement"))
        event.assignment_id = local_id(body.get("assignment_id"))
        event.submission_id = local_id(body.get("submission_id"))
        if event.author_id is None:
            event.author_id = local_id(body.get("user_id")) or event.actor_id
        # Topic events name their context in the body (local id); entry events only in the metadata (global).
        event.context_type = as_str(body.get("context_type")) or as_str(meta.get("context_type"))
        event.context_id = local_id(body.get("context_id")) if body.get("context_id") is not None else local_id(meta.get("context_id"))
        return event
