"""A flush that confirms what was written before it, which nats-py's alone does not.

nats-py (2.16) keeps SUB and PUB commands in a buffer that its flusher task writes to the
socket, but ``flush()`` writes its PING to the socket at once: the PING can leave before a
SUB made just before it, and its PONG come back before NATS has the subscription. An event
published in between is then lost (core NATS delivers to the subscriptions it has). The
same bug was fixed in nats.py2 in 2017 ("Flusher fixes"); it is still in the asyncio client.

NATS handles one connection's commands in order. By the time the first PONG is back, the
flusher has written the buffer (it was woken before the PING was sent, and runs before the
loop reads the answer), so a second PING leaves after every command made before the call:
its PONG confirms them all.
"""

from __future__ import annotations


async def flush_written(nc, timeout: float) -> None:
    """Return once NATS has every command sent on ``nc`` before this call. Raises what ``flush`` raises."""
    await nc.flush(timeout=timeout)
    await nc.flush(timeout=timeout)
