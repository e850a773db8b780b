"""A connection's frames waiting to be sent: what ``asyncio.Queue`` does, at a fraction of its cost per frame.

An event in a big course reaches hundreds of connections of an instance, so the fanout
hands out hundreds of frames per event. ``asyncio.Queue`` pays for features a connection
does not use (several getters, ``join``, a future per ``get``); here ``put_nowait`` is an
append, and the one writer takes everything waiting at once (``take``), so a connection
that is behind sends its backlog in one go, without a wake-up per frame.

The fanout sees the interface of a bounded ``asyncio.Queue``: ``put_nowait`` raises
``asyncio.QueueFull`` past ``maxsize``, and the frame is dropped (at most once).
"""

from __future__ import annotations

import asyncio
from collections import deque


class Mailbox:
    __slots__ = ("_frames", "_maxsize", "_waiter")

    def __init__(self, maxsize: int) -> None:
        self._frames: deque[str] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future | None = None

    def qsize(self) -> int:
        return len(self._frames)

    def put_nowait(self, frame: str) -> None:
        if len(self._frames) >= self._maxsize:
            raise asyncio.QueueFull
        self._frames.append(frame)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def wake(self) -> None:
        """End the taker's wait now, with or without frames (it has something else to do: a replay)."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def take(self) -> list[str]:
        """Every frame waiting, oldest first; waits for one if there is none (or a ``wake``, which
        may return none). One taker at a time."""
        if not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        frames = list(self._frames)
        self._frames.clear()
        return frames
