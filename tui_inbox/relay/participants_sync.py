"""Every instance forgets a conversation's participants when people are added to it, not only the one
that routed ``conversation_forwarded``.

Instances share the routing (one durable consumer), and each keeps its own participants
cache. Without this, the instance that did not route the forward kept the old list for up
to an hour: a person just added to a conversation missed every message in it that this
instance routed. The router that routes a forward publishes the conversation's id on a
core NATS subject; every other instance drops its entry, so its next event there asks
Canvas again. Its own echo is ignored: it has just fetched the new list itself.
"""

from __future__ import annotations

import logging
import uuid

from .routing import local_id
from .subjects import PARTICIPANTS_CHANGED

log = logging.getLogger("tui_inbox.relay.participants_sync")


async def share_forgetting(nc, router) -> None:
    """Wire ``router`` to the other instances over ``nc`` (for as long as ``nc`` is open)."""
    me = uuid.uuid4().hex

    async def heard(msg) -> None:
        sender, _, conversation = msg.data.decode("ascii", "replace").partition(" ")
        conversation_id = local_id(conversation)
        if sender != me and conversation_id is not None:
            router.participants.drop(conversation_id)

    async def tell(conversation_id: int) -> None:
        try:
            await nc.publish(PARTICIPANTS_CHANGED, f"{me} {conversation_id}".encode("ascii"))
        except Exception as exc:  # NATS is reconnecting: the others' entries age out (participants.py)
            log.warning("could not tell the other instances of conversation %d: %s", conversation_id,
                        type(exc).__name__)

    await nc.subscribe(PARTICIPANTS_CHANGED, cb=heard)
    router.tell_others = tell
