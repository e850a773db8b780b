"""Canvas Live Events in the seeds' format, and the hub that hands them to connections.

Each event is ``{"metadata": {...}, "body": {...}}`` with string ids: global ids
(shard * 10**13 + local, on the shard of the origin's institution) in the metadata,
local ids in the body, as real Canvas sends them. The hub delivers an event only to the
users named as its audience; deciding that audience is the caller's job (who may see
what, live-stream.md).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .clock import iso
from .event_history import EventHistory
from .institution import FIRST, Institution
from .world import User

ROOT_ACCOUNT_ID = "1"  # local at every institution: each Canvas's root account is its first
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def global_id(local_id: int | str, institution: Institution = FIRST) -> str:
    return institution.global_id(local_id)


def event_time(dt: datetime) -> str:
    """Event times carry milliseconds, like the seeds' ``2020-03-24T16:55:59.973Z``."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class Origin:
    """Who caused a change and through which request: the metadata of its events."""

    user: User
    hostname: str = "127.0.0.1"
    http_method: str = "POST"
    url: str = ""
    client_ip: str = "127.0.0.1"
    user_agent: str = USER_AGENT
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    institution: Institution = FIRST  # whose shard the global ids are on
    # The admin who made the request acting as ``user`` (``as_user_id``), else None.
    real_user: User | None = None

    def metadata(self, event_name: str, when: datetime, **extra: str | None) -> dict:
        school = self.institution
        meta = {
            "root_account_uuid": school.root_account_uuid,
            "root_account_id": school.global_id(ROOT_ACCOUNT_ID),
            "root_account_lti_guid": f"{school.root_account_uuid}.{self.hostname}",
            "user_account_id": school.global_id(ROOT_ACCOUNT_ID),
            "user_agent": self.user_agent,
            "user_id": school.global_id(self.user.id),
            "user_login": self.user.login,
            "user_sis_id": f"SIS-{self.user.id:05d}",
            "time_zone": self.user.time_zone,
        }
        if self.real_user is not None:
            # setup_live_events_context: user_id (and login, SIS id) are whom the admin acts
            # as; real_user_id is the admin, so a subscriber can tell who really acted.
            meta["real_user_id"] = school.global_id(self.real_user.id)
        meta |= {
            "request_id": self.request_id,
            "session_id": self.session_id,
            "hostname": self.hostname,
            "http_method": self.http_method,
            "client_ip": self.client_ip,
            "url": self.url,
            "referrer": f"http://{self.hostname}/conversations",
            "producer": "canvas",
            "event_name": event_name,
            "event_time": event_time(when),
        }
        meta.update({k: v for k, v in extra.items()})
        return meta


def conversation_created(origin: Origin, when: datetime, conversation_id: int, updated_at: datetime) -> dict:
    return {
        "metadata": origin.metadata("conversation_created", when),
        "body": {"conversation_id": str(conversation_id), "updated_at": iso(updated_at)},
    }


def conversation_forwarded(origin: Origin, when: datetime, conversation_id: int, updated_at: datetime) -> dict:
    """Canvas's name for "participants were added" (canvas-api.md section 8)."""
    return {
        "metadata": origin.metadata("conversation_forwarded", when),
        "body": {"conversation_id": str(conversation_id), "updated_at": iso(updated_at)},
    }


def conversation_message_created(
    origin: Origin, when: datetime, conversation_id: int, message_id: int, author_id: int, created_at: datetime
) -> dict:
    return {
        "metadata": origin.metadata("conversation_message_created", when),
        "body": {
            "author_id": str(author_id),
            "conversation_id": str(conversation_id),
            "created_at": iso(created_at),
            "message_id": str(message_id),
        },
    }


def course_metadata(origin: Origin, event_name: str, when: datetime, context_type: str, context_id: int,
                    role: str | None) -> dict:
    """Discussion events also name the course (global id) and the actor's role there."""
    return origin.metadata(
        event_name,
        when,
        context_account_id=origin.institution.global_id(1),
        context_id=origin.institution.global_id(context_id),
        context_role=role,
        context_sis_source_id=f"SIS-{context_type.upper()}-{context_id}",
        context_type=context_type,
    )


class EventHub:
    """Per-user queues of events for the open websocket connections, and the recent history a
    reconnecting connection resumes from (event_history.py)."""

    def __init__(self, history: EventHistory | None = None) -> None:
        # Each queue says whether it takes ``(id, event)`` pairs (a /live connection) or bare events.
        self._queues: dict[int, dict[asyncio.Queue, bool]] = {}
        self.history = history or EventHistory(time.monotonic)
        self.published = 0
        # Called with every published event whoever its audience (Data Services is account-wide).
        self.taps: list[Callable[[dict], None]] = []

    def subscribe(self, user_id: int, *, with_ids: bool = False) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self._queues.setdefault(user_id, {})[queue] = with_ids
        return queue

    def resume(self, user_id: int, last_id: str) -> tuple[list[tuple[str, dict]] | None, asyncio.Queue]:
        """What ``user_id`` missed after ``last_id`` (None: the history cannot say), and a queue of
        ``(id, event)`` pairs for what comes next. One step on the loop, so nothing published falls
        between the two, and nothing is in both."""
        return self.history.since(last_id, user_id), self.subscribe(user_id, with_ids=True)

    def unsubscribe(self, user_id: int, queue: asyncio.Queue) -> None:
        queues = self._queues.get(user_id)
        if queues is not None:
            queues.pop(queue, None)
            if not queues:
                del self._queues[user_id]

    def listeners(self, user_id: int) -> int:
        return len(self._queues.get(user_id, ()))

    def publish(self, event: dict, audience: set[int] | list[int] | tuple[int, ...]) -> None:
        """Queue the event for every connection of each user in the audience, and no one else."""
        self.published += 1
        people = frozenset(audience)
        event_id = self.history.add(event, people)
        for tap in self.taps:
            tap(event)  # Canvas's own event, without the stream's id
        for uid in people:
            for queue, with_ids in self._queues.get(uid, {}).items():
                try:
                    queue.put_nowait((event_id, event) if with_ids else event)
                except asyncio.QueueFull:
                    # A connection that stopped reading loses events: delivery is at most once.
                    pass
