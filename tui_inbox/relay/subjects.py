"""The names every relay instance agrees on in NATS: the stream, its consumer, the subjects.

Ingest publishes each verified event to ``INGEST_SUBJECT`` in the JetStream stream
``STREAM`` (with the event's digest as ``Nats-Msg-Id``, so a retry by Canvas inside
the duplicate window is stored once). One durable consumer, ``ROUTER``, shared by
all instances, hands each stored event to exactly one instance, which resolves who
may see it and publishes it (core NATS, not stored: the stream's delivery is at most
once, live-stream.md) to the subjects below. Every instance with such a user
connected subscribes to them.
"""

from __future__ import annotations

STREAM = "CANVAS_LIVE_EVENTS"
INGEST_SUBJECT = "canvas.events"
ROUTER = "router"
# Canvas retries a failed delivery up to three times over about 10 to 20 minutes
# (canvas-api.md 8b): a window of an hour keeps every retry of an event a duplicate.
DUPLICATE_WINDOW_SECONDS = 3600
# The header that carries an event's digest on delivery subjects, so that an instance
# hands an event to a connection once even if the router redelivers it.
DIGEST_HEADER = "Canvas-Event-Digest"
# "<instance> <conversation id>": people were added to the conversation; every instance drops
# its cached participants (participants_sync.py). Core NATS: a message missed while
# reconnecting only leaves an entry to age out, as before.
PARTICIPANTS_CHANGED = "relay.participants.changed"
# "<instance> <topic id>": a discussion topic changed (published, unpublished, delayed, its
# sections); every instance drops what it knew of who may see it (topic_audience.py).
TOPIC_CHANGED = "relay.topic.changed"


def user_subject(user_id: str | int) -> str:
    """The subject of one user's own events (conversation events of theirs)."""
    return f"deliver.user.{int(user_id)}"


def course_subject(course_id: str | int) -> str:
    """Discussion events of a course: every enrolled user's connection subscribes."""
    return f"deliver.course.{int(course_id)}"


def course_staff_subject(course_id: str | int) -> str:
    """Discussion events only a course's teachers, TAs and designers may see (a draft, a delayed post)."""
    return f"deliver.course.{int(course_id)}.staff"


def section_subject(section_id: str | int) -> str:
    """Discussion events of a section-specific topic: every user enrolled in the section listens."""
    return f"deliver.section.{int(section_id)}"


def group_subject(group_id: str | int) -> str:
    """Discussion events of a group: every member's connection subscribes."""
    return f"deliver.group.{int(group_id)}"
