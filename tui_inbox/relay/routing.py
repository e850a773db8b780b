"""Who may see an event: the delivery subjects it is published to (live-stream.md, "Who receives what").

- ``conversation_*``: Canvas names the conversation and the actor, never the participants.
  The relay's admin token fetches the conversation *as the actor* (``as_user_id``, which
  needs the "act as users" permission) with ``auto_mark_as_read=0`` (reading it would
  mark it read for them), and the event goes to each participant's copy of the
  conversation (``deliver.user.<id>.conversation.<id>``). The participants are remembered,
  and forgotten on ``conversation_forwarded`` (people were added: those after the event
  receive it, the added ones too). Canvas does not order its events: a message routed
  with the list before the forward was heard of missed the people it added, so the
  newcomers (not in the list remembered, or everyone when none was) are handed to
  ``welcome`` (newcomers.py), which gives them what they missed of the last minute.
- ``discussion_*``: who may see the topic, as Canvas decides it (topic_audience.py): the
  course's or group's subject, its sections' and the staff's, or the staff's alone. The
  topic's facts are asked of Canvas once and forgotten on ``discussion_topic_updated``.
  Ids in events may be global (shard * 10**13 + local): reduced to the local ones the
  API (and so the subjects) use.
- anything else: nobody.

A conversation Canvas will not show the actor (deleted, or the actor removed) has no
audience: logged with its ids, never with any text. Any other failure (Canvas down, the
admin token refused) raises, so the broker tries the event again later.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

import httpx

from ..canvas import CanvasClient, MasqueradeRefused, NotFoundError
from .expiring_cache import ParticipantCache
from .subjects import conversation_subject
from .topic_audience import TopicCache, fetch_topic_facts, new_topic_cache

log = logging.getLogger("tui_inbox.relay.routing")

GLOBAL_ID_BASE = 10**13
FORWARDED = "conversation_forwarded"
TOPIC_UPDATED = "discussion_topic_updated"


def local_id(value: object) -> int | None:
    """A local id from a local or global one (shard * 10**13 + local), as Canvas's own clients reduce it."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        return None
    return int(text) % GLOBAL_ID_BASE


class Router:
    def __init__(self, canvas_url: str, admin_token: str, *, http: httpx.AsyncClient | None = None,
                 participants: ParticipantCache | None = None, topics: TopicCache | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._canvas = CanvasClient(canvas_url, admin_token, client=http)
        self.participants = participants if participants is not None else ParticipantCache()
        self.topics = topics if topics is not None else new_topic_cache()
        self._clock = clock
        # Called with ("conversation" or "topic", id) when what is cached of it changed, so
        # that the other instances forget it too (participants_sync.py); None: this instance is alone.
        self.tell_others = None
        # Called with (conversation id, user ids, the forward's event_time) for the people a forward
        # added (newcomers.py); None: nobody looks back for them.
        self.welcome = None

    def __repr__(self) -> str:
        return f"Router(canvas_url={self._canvas.base_url!r}, admin_token=***)"

    async def aclose(self) -> None:
        await self._canvas.aclose()

    async def subjects_for(self, event: dict) -> list[str]:
        metadata = event.get("metadata") if isinstance(event, dict) else None
        body = event.get("body") if isinstance(event, dict) else None
        if not isinstance(metadata, dict) or not isinstance(body, dict):
            return []
        name = str(metadata.get("event_name") or "")
        if name.startswith("conversation_"):
            conversation_id = local_id(body.get("conversation_id"))  # local already; reduced in case it is not
            return [conversation_subject(u, conversation_id)
                    for u in await self._conversation_audience(name, metadata, body)]
        if name.startswith("discussion_"):
            return await self._discussion_subjects(name, metadata, body)
        return []

    async def _conversation_audience(self, name: str, metadata: dict, body: dict) -> tuple[int, ...]:
        conversation_id = local_id(body.get("conversation_id"))  # local already; reduced in case it is not
        actor = local_id(metadata.get("user_id"))
        if conversation_id is None or actor is None:
            log.warning("%s without a conversation or actor id: not delivered", name)
            return ()
        before = None
        if name == FORWARDED:
            before = self.participants.get(conversation_id)
            self.participants.drop(conversation_id)  # someone was added: ask again
            if self.tell_others is not None:
                await self.tell_others("conversation", conversation_id)
        known = self.participants.get(conversation_id)
        if known is not None:
            return known
        try:
            conversation = await self._canvas.get_conversation(conversation_id, as_user_id=actor,
                                                               auto_mark_as_read=False)
        except (NotFoundError, MasqueradeRefused) as exc:
            log.warning("%s of conversation %d: Canvas will not show it to its actor %d (HTTP %s): not delivered",
                        name, conversation_id, actor, exc.status)
            return ()
        participants = tuple(sorted({p.id for p in conversation.participants if p.id}))
        self.participants.put(conversation_id, participants)
        if name == FORWARDED and self.welcome is not None:
            # Not remembered here (another instance routed the conversation): everyone is looked at;
            # those who got each event already are given nothing.
            newcomers = tuple(u for u in participants if before is None or u not in before)
            if newcomers:
                await self.welcome(conversation_id, newcomers, metadata.get("event_time"))
        return participants

    async def _discussion_subjects(self, name: str, metadata: dict, body: dict) -> list[str]:
        context_type = metadata.get("context_type") or body.get("context_type")
        context_id = local_id(metadata.get("context_id") or body.get("context_id"))
        topic_id = local_id(body.get("discussion_topic_id"))  # global in topic events, local in entry events
        if context_id is None or topic_id is None:
            log.warning("%s without a context or topic id: not delivered", name)
            return []
        if context_type not in ("Course", "Group"):
            log.warning("%s in a context of type %r: not delivered", name, str(context_type)[:20])
            return []
        if name == TOPIC_UPDATED:
            self.topics.drop(topic_id)  # published, unpublished, delayed or re-sectioned: ask again
            if self.tell_others is not None:
                await self.tell_others("topic", topic_id)
        facts = self.topics.get(topic_id)
        if facts is None:
            facts = await fetch_topic_facts(self._canvas, context_type, context_id, topic_id, self._clock())
            if facts is None:
                return []
            self.topics.put(topic_id, facts)
        return facts.subjects(self._clock())
