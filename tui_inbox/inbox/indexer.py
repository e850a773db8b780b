"""The background indexer: fetches the threads the search index lacks, newest first.

It lists the account's conversations in every scope the app shows (inbox, sent, archived),
newest first, keeps the newest ``limit`` of them (1,000 by default; None: all), and fetches
each one the index does not hold as it is now (not indexed, or its last_message_at moved)
with ``auto_mark_as_read=0``: indexing must never mark anything read. What is indexed is in
the database, so a restart carries on where the last run stopped. It holds one thread at a
time, and its long work (parsing the answer, writing the index) runs in threads: on the event
loop it only waits, however long a conversation is.

It goes one request at a time and paces itself on ``X-Rate-Limit-Remaining`` (the client's
pacer keeps the last value): above ``slow_from`` it runs flat out, between that and
``floor`` it waits more as the value falls, and below ``floor`` it waits for the bucket to
leak back above it. Canvas refuses once the bucket is full; the floor (200 of Canvas's
600) keeps a margin for the user's own requests, so indexing never makes the app throttled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Awaitable, Callable

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation

if TYPE_CHECKING:  # the index is opened and handed in after the first frame (launch.open_search_index)
    from ..store.search_index import SearchIndex

log = logging.getLogger("tui_inbox.indexer")
DEFAULT_LIMIT = 1000
PAGE = 100
SCOPES = ("inbox", "sent", "archived")
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class IndexProgress:
    done: int  # conversations of the target the index holds as they are now
    total: int  # the target: the newest ``limit`` conversations (or all)
    fetched: int  # threads fetched by this run

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def line(self) -> str:
        return f"Indexing {self.done:,} of {self.total:,}"


class Indexer:
    def __init__(self, client: CanvasClient, index: SearchIndex, *, limit: int | None = DEFAULT_LIMIT,
                 floor: float = 200.0, slow_from: float = 300.0, leak_per_second: float = 10.0,
                 on_progress: Callable[[IndexProgress], None] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.client = client
        self.index = index
        self.limit = limit
        self.floor = floor
        self.slow_from = max(slow_from, floor)
        self.leak = leak_per_second
        self.on_progress = on_progress
        self._sleep = sleep
        self.progress = IndexProgress(0, 0, 0)
        self.waited = 0.0  # seconds spent letting the rate-limit bucket leak (benchmarks and tests read it)

    async def targets(self) -> list[Conversation]:
        """The newest ``limit`` conversations of every scope."""
        found: dict[int, Conversation] = {}
        for scope in SCOPES:
            taken = 0
            async for row in self.client.get_conversations(scope, per_page=PAGE):
                if taken % PAGE == 0:
                    await self.pace()  # once per page: a page is one request
                found.setdefault(row.id, row)
                taken += 1
                if self.limit is not None and taken >= self.limit:
                    break
        rows = sorted(found.values(), key=lambda row: row.last_message_at or EARLIEST, reverse=True)
        return rows[: self.limit] if self.limit is not None else rows

    async def run(self) -> IndexProgress:
        targets = await self.targets()
        # Archiving (here or on another device) leaves last_message_at alone: what is current is
        # not fetched again, but its mailbox follows the row.
        self.index.restate(targets)
        waiting = [row for row in targets if not self.index.is_current(row.id, row.last_message_at)]
        done = len(targets) - len(waiting)
        fetched = 0
        self._report(IndexProgress(done, len(targets), fetched))
        for row in waiting:
            await self.pace()
            try:
                thread = await self.client.get_conversation(row.id, auto_mark_as_read=False)
            except CanvasError as error:
                # Gone since the list (deleted elsewhere) or refused: the next run tries again.
                log.info("could not index conversation %s: %s", row.id, error)
                continue
            # Off the event loop: 20,000 messages take the index 2.5 s to write, and the app's keys
            # must not wait for them (the answer was parsed in a thread too, by the client).
            await asyncio.to_thread(self.index.put, thread)
            fetched += 1
            done += 1
            self._report(IndexProgress(done, len(targets), fetched))
        return self.progress

    def _report(self, progress: IndexProgress) -> None:
        self.progress = progress
        if self.on_progress is not None:
            self.on_progress(progress)

    def pause(self) -> float:
        """Seconds to wait before the next request, from the last ``X-Rate-Limit-Remaining``."""
        remaining = self.client.http.pacer.remaining
        if remaining is None or remaining >= self.slow_from:
            return 0.0
        if remaining < self.floor:
            return (self.floor - remaining) / self.leak  # until the bucket has leaked back to the floor
        # Falling toward the floor: a little more wait per request the closer it gets.
        return (self.slow_from - remaining) / (self.slow_from - self.floor) / self.leak

    async def pace(self) -> None:
        wait = self.pause()
        if wait > 0:
            self.waited += wait
            await self._sleep(wait)
