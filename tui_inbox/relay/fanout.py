"""The connections of this instance, and the NATS subjects they need.

Each websocket connection has a queue and a list of delivery subjects (its user's own,
its courses', its groups'). A subject is subscribed on NATS while at least one local
connection needs it and unsubscribed when the last one leaves, so an instance hears
only what its own users may see, however big the school.

A connection gets an event once, however many of its subjects it came on: a teacher
hears a section-specific topic on the staff subject and on their own section's, and
the router may publish an event twice (it crashed after publishing, before its ack).
A bounded memory of the connections each recent event was handed to drops the second
copy. Per connection, not per digest: one conversation event goes to the subject of
each participant, and two of them may be connected here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from .nats_flush import flush_written
from .subjects import DIGEST_HEADER

log = logging.getLogger("tui_inbox.relay.fanout")

RECENT_DIGESTS = 10_000
FLUSH_TIMEOUT = 5.0  # a handshake waits this long at most for NATS to confirm the subscriptions


class BrokerDown(Exception):
    """NATS is not connected (it is down, or the client is reconnecting): nothing could be delivered."""


class Fanout:
    def __init__(self, nc, *, recent: int = RECENT_DIGESTS, dropped_counter=None) -> None:
        """``dropped_counter``: a prometheus Counter told of each frame a full queue did not take."""
        self.nc = nc
        self._queues: dict[str, set[asyncio.Queue]] = {}
        self._subscriptions: dict[str, object] = {}
        self._subjects_of: dict[asyncio.Queue, list[str]] = {}
        self._handed: OrderedDict[str, set[asyncio.Queue]] = OrderedDict()  # digest -> connections given it
        self._recent_max = recent
        self._lock = asyncio.Lock()  # subscribe and unsubscribe one at a time: no subject subscribed twice
        self.dropped = 0  # events a full queue (a client not reading) did not take
        self._dropped_counter = dropped_counter

    @property
    def subjects(self) -> list[str]:
        """The subjects this instance listens on now."""
        return sorted(self._subscriptions)

    async def attach(self, connection_queue: asyncio.Queue, subjects: list[str]) -> None:
        """Deliver the subjects' events to the queue; once this returns, NATS knows of every subscription."""
        if not self.nc.is_connected:
            # A subscription made now would wait in the client's buffer, and the user would get
            # a stream that stays silent: better to refuse, so the app polls and retries.
            raise BrokerDown("NATS is not connected")
        async with self._lock:
            wanted = list(dict.fromkeys(subjects))
            self._subjects_of[connection_queue] = wanted
            new = False
            for subject in wanted:
                self._queues.setdefault(subject, set()).add(connection_queue)
                if subject not in self._subscriptions:
                    self._subscriptions[subject] = await self.nc.subscribe(subject, cb=self._deliverer(subject))
                    new = True
            # The server has the subscriptions before the client is told it is connected. A subject
            # already held was confirmed by the attach that made it (under this lock): a crowd of
            # one course's students costs one round trip to NATS, not one each.
            if new:
                await flush_written(self.nc, FLUSH_TIMEOUT)

    async def detach(self, connection_queue: asyncio.Queue) -> None:
        async with self._lock:
            for subject in self._subjects_of.pop(connection_queue, ()):
                queues = self._queues.get(subject)
                if queues is None:
                    continue
                queues.discard(connection_queue)
                if not queues:
                    del self._queues[subject]
                    subscription = self._subscriptions.pop(subject, None)
                    if subscription is not None:
                        try:
                            await subscription.unsubscribe()
                        except Exception as exc:  # the connection to NATS is gone: nothing to undo there
                            log.info("unsubscribing %s failed: %s", subject, type(exc).__name__)

    def _handed_to(self, digest: str | None) -> set[asyncio.Queue] | None:
        """The connections this event was already handed to (None: it has no digest to know it by)."""
        if not digest:
            return None
        handed = self._handed.get(digest)
        if handed is None:
            handed = self._handed[digest] = set()
            while len(self._handed) > self._recent_max:
                self._handed.popitem(last=False)
        else:
            self._handed.move_to_end(digest)
        return handed

    def _deliverer(self, subject: str):
        # A user's own subject is a wildcard (every conversation of theirs): a message names the
        # subject it was published on, not the subscription it matched, so each one says its own.
        async def deliver(msg) -> None:
            await self._deliver(msg, subject)

        return deliver

    async def _deliver(self, msg, subject: str) -> None:
        handed = self._handed_to((msg.headers or {}).get(DIGEST_HEADER))
        try:
            frame = msg.data.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("an event on %s is not UTF-8: dropped", msg.subject)
            return
        for queue in tuple(self._queues.get(subject, ())):
            if handed is not None:
                if queue in handed:
                    continue
                handed.add(queue)
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                # A client that stopped reading loses events rather than growing the relay's memory:
                # delivery is at most once, and the app resynchronises over REST (live-stream.md).
                self.dropped += 1
                if self._dropped_counter is not None:
                    self._dropped_counter.inc()
