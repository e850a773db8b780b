"""A connection's frames waiting to be sent: what ``asyncio.Queue`` does, at a fraction of its cost per frame.

An event in a big course reaches hundreds of connections of an instance, so the fanout
hands out hundreds of frames per event. ``asyncio.Queue`` pays for features a connection
does not use (several getters, ``join``, a future per ``get``); here ``put_nowait`` is an
append, and the one writer takes everything waiting at once (``take``), so a connection
that is behind sends its backlog in one go, without a wake-up per frame.

The fanout sees the interface of a bounded ``asyncio.Queue``: ``put_nowait`` raises
``asyncio.QueueFull`` past ``maxsize``, and the frame is dropped (at most once).

Most of the time a connection has sent all it had and its writer waits: then a frame is
handed to ``direct`` (stream.py), which writes it at once if it can, and the writer is not
woken at all (a wake-up per frame was most of a delivery's cost after the socket's). Only
while the writer waits in ``take``, so nothing is ahead of the frame: the order holds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Callable


class Mailbox:
    __slots__ = ("_frames", "_maxsize", "_waiter", "direct")

    def __init__(self, maxsize: int) -> None:
        self._frames: deque[str] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future | None = None
        # Sends one frame at once and says True, or says False (it is queued as usual).
        self.direct: Callable[[str], bool] | None = None

    def qsize(self) -> int:
        return len(self._frames)

    def put_nowait(self, frame: str) -> None:
        if self._waiter is not None and self.direct is not None and self.direct(frame):
            return
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
