"""Polling ``GET /conversations/unread_count``: the fallback when there is no stream.

The poller only reports; ``LiveFeed`` decides the state and what to emit, so the
state has one writer whether the poller runs alone or stands in for the stream.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Protocol

from ..canvas.client import CanvasClient
from ..canvas.errors import CanvasError, NetworkError
from .backoff import Backoff

log = logging.getLogger("tui_inbox.live")


class PollListener(Protocol):
    def poll_ok(self, count: int, changed: bool) -> None: ...
    def poll_failed(self, message: str, unreachable: bool) -> None: ...


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UnreadPoller:
    def __init__(
        self,
        client: CanvasClient,
        *,
        interval: float = 30.0,
        backoff: Backoff | None = None,
        reach_seconds: float = 3.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        """``reach_seconds``: the longest wait between polls while Canvas cannot be reached at all."""
        self.client = client
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.reach_seconds = reach_seconds
        self._sleep = sleep
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Poll now, not at the end of the wait (another request got an answer after a failure, or
        met none: either way the poll should tell, now)."""
        self._woken.set()

    async def _rest(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if woken."""
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        woken = asyncio.ensure_future(self._woken.wait())
        try:
            await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            woken.cancel()

    async def run(self, listener: PollListener) -> None:
        """Poll until cancelled. The first answer is the baseline and counts as a change."""
        last: int | None = None
        failures = 0
        while True:
            # Cleared before asking, not after: an answer to another request while this poll is
            # on its way still counts, and the wait after a failure is then skipped.
            self._woken.clear()
            unreachable = False
            try:
                count = await self.client.unread_count()
            except CanvasError as exc:  # CanvasError messages are one line, token-free, meant for users
                message = _one_line(str(exc))
                unreachable = isinstance(exc, NetworkError) and not exc.sent
            except Exception as exc:  # a bug or a surprise must not end the polling
                log.warning("unread_count poll failed unexpectedly", exc_info=True)
                message = f"Checking for new messages failed ({type(exc).__name__})."
            else:
                failures = 0
                changed, last = count != last, count
                listener.poll_ok(count, changed)
                await self._rest(self.interval)
                continue
            listener.poll_failed(message, unreachable)
            # Never faster than the normal interval; slower and slower while it keeps failing.
            delay = max(self.interval, self.backoff.delay(failures))
            if unreachable:
                # No connection was made: asking again costs Canvas nothing, and "offline" should
                # end within seconds of the network's return, not a minute later.
                delay = min(delay, self.reach_seconds)
            await self._rest(delay)
            failures += 1
