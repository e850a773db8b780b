"""Polling ``GET /conversations/unread_count``: the fallback when there is no stream.

The poller only reports; ``LiveFeed`` decides the state and what to emit, so the
state has one writer whether the poller runs alone or stands in for the stream.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Protocol

from ..canvas.client import CanvasClient
from ..canvas.errors import CanvasError
from .backoff import Backoff

log = logging.getLogger("tui_inbox.live")


class PollListener(Protocol):
    def poll_ok(self, count: int, changed: bool) -> None: ...
    def poll_failed(self, message: str) -> None: ...


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
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.interval = interval
        self.backoff = backoff or Backoff()
        self._sleep = sleep

    async def run(self, listener: PollListener) -> None:
        """Poll until cancelled. The first answer is the baseline and counts as a change."""
        last: int | None = None
        failures = 0
        while True:
            try:
                count = await self.client.unread_count()
            except CanvasError as exc:  # CanvasError messages are one line, token-free, meant for users
                message = _one_line(str(exc))
            except Exception as exc:  # a bug or a surprise must not end the polling
                log.warning("unread_count poll failed unexpectedly", exc_info=True)
                message = f"Checking for new messages failed ({type(exc).__name__})."
            else:
                failures = 0
                changed, last = count != last, count
                listener.poll_ok(count, changed)
                await self._sleep(self.interval)
                continue
            listener.poll_failed(message)
            # Never faster than the normal interval; slower and slower while it keeps failing.
            await self._sleep(max(self.interval, self.backoff.delay(failures)))
            failures += 1
