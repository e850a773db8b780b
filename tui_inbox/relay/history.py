"""Reading the routed copies back from ``DELIVERED_STREAM``: the history a client resumes from.

One read is an ephemeral pull consumer on the stream, with the subjects asked for as its
filters (several at once: nats-server 2.10 and later), from a moment on, acknowledging
nothing; it reads as many copies as the stream held when it was made (what is stored
later, the reader's live subscriptions hear) and is deleted. A copy says its event's id
and digest in its headers, so nothing is parsed to find or to skip one.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from .subjects import DELIVERED_STREAM, DIGEST_HEADER, EVENT_ID_HEADER

BATCH = 256
# An ephemeral consumer whose reader died (a relay killed mid-read) is removed by NATS after this.
ABANDONED_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Copy:
    event_id: str
    subject: str
    digest: str
    data: bytes

    @property
    def frame(self) -> str:
        return self.data.decode("utf-8")


class HistoryUnavailable(Exception):
    """The history could not be read now (NATS down or too slow)."""


async def read_copies(js, filters: list[str], since: datetime, *, timeout: float = 5.0) -> list[Copy]:
    """Every copy stored on ``filters`` from ``since`` on, in stored order; raises ``HistoryUnavailable``."""
    filters = list(dict.fromkeys(filters))
    if not filters:
        return []
    config = ConsumerConfig(filter_subjects=filters, deliver_policy=DeliverPolicy.BY_START_TIME,
                            opt_start_time=since.astimezone(timezone.utc), ack_policy=AckPolicy.NONE,
                            inactive_threshold=ABANDONED_SECONDS, mem_storage=True, num_replicas=1)
    try:
        info = await js.add_consumer(DELIVERED_STREAM, config, timeout=timeout)
    except Exception as exc:  # nats raises many kinds: down, timeout, no such stream
        raise HistoryUnavailable(type(exc).__name__) from None
    copies: list[Copy] = []
    subscription = None
    try:
        wanted = int(info.num_pending or 0)
        if wanted:
            subscription = await js.pull_subscribe_bind(consumer=info.name, stream=DELIVERED_STREAM)
        while len(copies) < wanted:
            messages = await subscription.fetch(min(BATCH, wanted - len(copies)), timeout=timeout)
            for message in messages:
                headers = message.headers or {}
                copies.append(Copy(headers.get(EVENT_ID_HEADER, ""), message.subject,
                                   headers.get(DIGEST_HEADER, ""), message.data))
    except Exception as exc:
        raise HistoryUnavailable(type(exc).__name__) from None
    finally:
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(js.delete_consumer(DELIVERED_STREAM, info.name), timeout)
    return copies


def seconds_ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)
