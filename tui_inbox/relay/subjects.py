"""The names every relay instance agrees on in NATS: the stream, its consumer, the subjects.

Ingest publishes each verified event to ``INGEST_SUBJECT`` in the JetStream stream
``STREAM`` (with the event's digest as ``Nats-Msg-Id``, so a retry by Canvas inside
the duplicate window is stored once). One durable consumer, ``ROUTER``, shared by
all instances, hands each stored event to exactly one instance, which resolves who
may see it and publishes each copy to the subjects below, stored in a second stream,
``DELIVERED_STREAM`` (its history is what a reconnecting client resumes from: replay.py).
Every instance with such a user connected subscribes to them (core NATS): a copy is
heard live by the instances and kept for the resume window.
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


# Routed copies, kept for the resume window (``--resume-window``) so a client that
# reconnects with ``Last-Event-ID`` gets what it missed (replay.py).
DELIVERED_STREAM = "CANVAS_LIVE_DELIVERED"
DELIVERED_SUBJECTS = "deliver.>"
# On every routed copy: the event's id, the JetStream sequence of the event in ``STREAM``
# (the same for every copy of one event), as the frame's top-level "id" says it.
EVENT_ID_HEADER = "Canvas-Event-Id"


def user_subject(user_id: str | int) -> str:
    """The prefix of one user's own subjects (conversation events of theirs)."""
    return f"deliver.user.{int(user_id)}"


def user_subjects(user_id: str | int) -> str:
    """What a user's connection subscribes to for their own events: every conversation of theirs."""
    return f"{user_subject(user_id)}.>"


def conversation_subject(user_id: str | int, conversation_id: str | int) -> str:
    """One user's copy of one conversation's events: the conversation in the subject lets the
    history of one conversation be read by subject filter (newcomers.py)."""
    return f"{user_subject(user_id)}.conversation.{int(conversation_id)}"


def conversation_copies(conversation_id: str | int) -> str:
    """Every participant's copies of one conversation's events (a filter on ``DELIVERED_STREAM``)."""
    return f"deliver.user.*.conversation.{int(conversation_id)}"


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
