"""Work the core leaves running (the rest of a mailbox, Activity's fill, a cache's catch-up), by
what it is: a newer load of the same view replaces the older, and the end waits for all of it."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Hashable


class Background:
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Future] = {}

    def run(self, key: Hashable, work: Awaitable) -> asyncio.Future:
        task = self._tasks[key] = asyncio.ensure_future(work)
        return task

    def restart(self, key: Hashable, work: Awaitable) -> asyncio.Future:
        """Run ``work`` in place of what runs under ``key`` (cancelled: its answer is stale)."""
        previous = self._tasks.pop(key, None)
        if previous:
            previous.cancel()
        return self.run(key, work)

    async def wait(self) -> None:
        """Wait for everything running, and what it starts meanwhile (tests and benchmarks use this)."""
        while self._tasks:
            key, task = next(iter(self._tasks.items()))
            try:
                await task
            except asyncio.CancelledError:
                pass
            if self._tasks.get(key) is task:
                del self._tasks[key]

    async def aclose(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
