"""The sandbox as Canvas Data Services: every event of the school, POSTed to a subscriber.

When ``knobs.data_services_url`` is set, each event the sandbox publishes (whatever its
audience: Data Services is account-wide) is queued here and POSTed to that URL, one
event per request, as Canvas's HTTPS delivery does (canvas-api.md section 8b). The
body is built by data_services_payload.py (signed JWT, quoted JWT or plain JSON).

Delivery follows Canvas's rules:

* A try succeeds on any 2xx. A non-2xx answer, a connection error, or no complete
  answer within ``knobs.ds_timeout_seconds`` (15 s, Canvas's limit) fails it.
* A failed event is tried again up to 3 times (4 tries) after exponential waits with
  jitter: ``ds_retry_base_seconds * 2**(n-1)``, times a random factor in [0.75, 1.25),
  before retry n. With the default base of 120 s the three waits add up to 10.5 to 17.5
  minutes, Canvas's "about 10 to 20 minutes"; tests shrink the base. The jitter keeps
  every wait longer than the one before it. Each try is signed afresh (new iat and exp):
  the event claims stay identical, which is what a receiver's digest dedupes on.
* After the fourth failure the event is dropped and counted, as Canvas drops it.
* ``ds_duplicate_rate`` of the events are delivered a second time after the first
  succeeded, as a Canvas retry does when the subscriber's answer was lost.
* ``ds_delay_ms`` holds each event that long after it happened before its first try
  (a latency, not a rate limit: the pool keeps sending the events before it).

At most ``ds_concurrency`` POSTs (8) are in flight, so a slow subscriber at 100 events
a second does not make events pile up; a retry waits on a timer, not in the pool.
Events accepted and not yet finished (queued, in flight or waiting to retry) are
bounded by ``ds_queue_limit`` (100,000); an event arriving beyond it is dropped and
counted as ``overflowed``. Canvas loses events too ("outages are not delivered until
recovery"); what a subscriber must survive is a gap, and it resynchronises over REST.

The random draws (duplicates, quoted bodies, jitter) come from a generator seeded with
``knobs.seed``, so a run's choices can be replayed. All of it runs on the sandbox's loop but
the signing (a worker thread); the POSTs go out through subscriber_http.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .data_services_payload import payload
from .jwks import KeyRing
from .subscriber_http import PostFailed, SubscriberHTTP

if TYPE_CHECKING:
    from .state import Knobs

log = logging.getLogger("tui_inbox.sandbox.data_services")

TRIES = 4  # the first and Canvas's three retries
JITTER = (0.75, 1.25)
ANSWER_READ_LIMIT = 64 * 1024  # bytes of a subscriber's answer worth reading
DROP_LOG_SECONDS = 10.0  # a subscriber down at 100 events a second: one line per 10 s, not 100 a second
USER_AGENT = "tui-inbox-sandbox (Canvas Data Services)"


@dataclass
class DeliveryStats:
    """What the sender did; read by tests and benchmarks through ``snapshot()``."""

    accepted: int = 0  # events queued for delivery
    delivered: int = 0  # POSTs answered 2xx (a deliberate second copy counts too)
    failed: int = 0  # tries that failed: non-2xx, connection error, timeout
    retried: int = 0  # tries made after a failed one
    dropped: int = 0  # events given up after the fourth failed try
    overflowed: int = 0  # events refused because ds_queue_limit were already pending
    duplicated: int = 0  # events sent a second time on purpose (ds_duplicate_rate)
    waits: deque = field(default_factory=lambda: deque(maxlen=1000))  # the latest retry waits, seconds
    last_failure: str = ""  # why the latest failed try failed: "HTTP 503", "timeout", "ConnectError"

    def snapshot(self) -> dict:
        figures = {name: getattr(self, name) for name in
                   ("accepted", "delivered", "failed", "retried", "dropped", "overflowed", "duplicated")}
        figures["waits"] = list(self.waits)
        figures["last_failure"] = self.last_failure
        return figures


@dataclass(slots=True, eq=False)
class Delivery:
    event: dict
    due: float  # loop time before which it is not sent
    twice: bool = False  # drawn for a deliberate second copy
    copy: bool = False  # this is that second copy
    tries: int = 0
    timer: asyncio.TimerHandle | None = None


class DataServices:
    """The queue, the pool of senders and the retry timers of one sandbox."""

    def __init__(self, knobs: Knobs | Callable[[], Knobs], keys: KeyRing) -> None:
        # The sandbox's knobs are read at each use, so a test (or a benchmark) that changes
        # them on a running sandbox changes Data Services too, as every other knob does.
        self._knobs = knobs if callable(knobs) else (lambda: knobs)
        self.keys = keys
        self.rng = random.Random(f"data-services-{self.knobs.seed}")
        self.stats = DeliveryStats()
        self.pending = 0  # accepted and not finished
        self._ready: asyncio.Queue[Delivery] | None = None
        self._workers: list[asyncio.Task] = []
        self._waiting: set[Delivery] = set()  # on a retry timer
        self._http: SubscriberHTTP | None = None
        self._stopped = False
        self._drop_logged_at: float | None = None

    @property
    def knobs(self) -> Knobs:
        return self._knobs()

    # -- life ----------------------------------------------------------------------------------------
    def _start(self) -> None:
        """On the server's loop, at the first event to deliver: a sandbox without a subscriber pays nothing."""
        size = max(1, int(self.knobs.ds_concurrency))
        self._ready = asyncio.Queue()
        self._http = SubscriberHTTP(user_agent=USER_AGENT, max_idle=size)
        self._workers = [asyncio.get_running_loop().create_task(self._work()) for _ in range(size)]

    async def stop(self) -> None:
        """When the server stops (app.py's lifespan): pending events are lost, as in an outage."""
        self._stopped = True
        for delivery in self._waiting:
            if delivery.timer is not None:
                delivery.timer.cancel()
        self._waiting.clear()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._ready = None

    # -- intake (EventHub's tap) ----------------------------------------------------------------------
    def offer(self, event: dict) -> None:
        """Queue one published event, if a subscriber is configured. Never blocks, never raises."""
        if not self.knobs.data_services_url or self._stopped:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a script publishing outside any server: nothing could send it
            return
        if self._ready is None:
            self._start()
        if self.pending >= self.knobs.ds_queue_limit:
            self.stats.overflowed += 1
            return
        rate = self.knobs.ds_duplicate_rate
        twice = rate > 0 and self.rng.random() < rate
        due = loop.time() + self.knobs.ds_delay_ms / 1000.0
        self.pending += 1
        self.stats.accepted += 1
        self._ready.put_nowait(Delivery(event, due, twice=twice))

    # -- delivery ------------------------------------------------------------------------------------
    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            delivery = await self._ready.get()
            hold = delivery.due - loop.time()
            if hold > 0:
                await asyncio.sleep(hold)
            if await self._try(delivery):
                self.stats.delivered += 1
                if delivery.twice and not delivery.copy:
                    # The pending slot passes on to the copy.
                    self.stats.duplicated += 1
                    self._ready.put_nowait(Delivery(delivery.event, loop.time(), copy=True))
                else:
                    self.pending -= 1
                continue
            self.stats.failed += 1
            delivery.tries += 1
            if delivery.tries >= TRIES:
                self.stats.dropped += 1
                self.pending -= 1
                self._log_drop(loop.time())
                continue
            wait = self.knobs.ds_retry_base_seconds * 2 ** (delivery.tries - 1) * self.rng.uniform(*JITTER)
            self.stats.waits.append(wait)
            self._waiting.add(delivery)
            delivery.timer = loop.call_later(wait, self._retry, delivery)

    def _log_drop(self, now: float) -> None:
        if self._drop_logged_at is not None and now - self._drop_logged_at < DROP_LOG_SECONDS:
            return
        self._drop_logged_at = now
        log.warning("data services: %d event(s) dropped after %d failed tries so far (latest failure: %s)",
                    self.stats.dropped, TRIES, self.stats.last_failure)

    def _retry(self, delivery: Delivery) -> None:
        self._waiting.discard(delivery)
        delivery.timer = None
        self.stats.retried += 1
        if self._ready is not None:
            self._ready.put_nowait(delivery)

    async def _try(self, delivery: Delivery) -> bool:
        knobs = self.knobs
        url = knobs.data_services_url
        if not url:
            self.stats.last_failure = "no subscriber URL"  # unset while the event waited
            return False
        quoted = knobs.ds_quoted_rate > 0 and self.rng.random() < knobs.ds_quoted_rate
        # Signing (RS256, about a millisecond) runs on another thread: OpenSSL lets go of the GIL
        # while it signs, so at 100 events a second the loop keeps serving the API and the stream.
        content_type, body = await asyncio.to_thread(payload, delivery.event, self.keys, sign=knobs.ds_sign,
                                                     quoted=quoted, now=time.time())
        limit = knobs.ds_timeout_seconds
        try:
            async with asyncio.timeout(limit):  # the whole answer, not each read
                # Only the status matters. A short body is read so the connection can be reused;
                # a huge one is not (the connection is dropped): memory stays bounded.
                status = await self._http.post(url, body, content_type, read_limit=ANSWER_READ_LIMIT)
        except TimeoutError:
            self.stats.last_failure = "timeout"
            return False
        except PostFailed as failure:
            self.stats.last_failure = failure.reason
            return False
        if 200 <= status < 300:
            return True
        self.stats.last_failure = f"HTTP {status}"
        return False
