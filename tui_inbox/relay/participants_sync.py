"""Every instance forgets a conversation's participants when people are added to it, and a topic's
audience when it changed, not only the one that routed ``conversation_forwarded`` or
``discussion_topic_updated``.

Instances share the routing (one durable consumer), and each keeps its own participants
cache. Without this, the instance that did not route the forward kept the old list for up
to an hour: a person just added to a conversation missed every message in it that this
instance routed. The router that routes a forward publishes the conversation's id on a
core NATS subject; every other instance drops its entry, so its next event there asks
Canvas again. Its own echo is ignored: it has just fetched the new list itself. A topic
goes the same way on its own subject: an instance that kept a topic's facts after it was
unpublished would send its replies to students for as long as they were remembered.
"""

from __future__ import annotations

import logging
import uuid

from .routing import local_id
from .subjects import PARTICIPANTS_CHANGED, TOPIC_CHANGED

log = logging.getLogger("tui_inbox.relay.participants_sync")


async def share_forgetting(nc, router) -> None:
    """Wire ``router`` to the other instances over ``nc`` (for as long as ``nc`` is open)."""
    me = uuid.uuid4().hex

    subjects = {"conversation": PARTICIPANTS_CHANGED, "topic": TOPIC_CHANGED}
    caches = {PARTICIPANTS_CHANGED: router.participants, TOPIC_CHANGED: router.topics}

    async def heard(msg) -> None:
        sender, _, key = msg.data.decode("ascii", "replace").partition(" ")
        key_id = local_id(key)
        if sender != me and key_id is not None:
            caches[msg.subject].drop(key_id)

    async def tell(kind: str, key_id: int) -> None:
        try:
            await nc.publish(subjects[kind], f"{me} {key_id}".encode("ascii"))
        except Exception as exc:  # NATS is reconnecting: the others' entries age out (expiring_cache.py)
            log.warning("could not tell the other instances of %s %d: %s", kind, key_id, type(exc).__name__)

    for subject in caches:
        await nc.subscribe(subject, cb=heard)
    router.tell_others = tell
