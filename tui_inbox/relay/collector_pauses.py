"""Keeping the garbage collector's pauses short while thousands of connections are open.

Each open connection is about 150 objects the collector tracks (uvicorn's protocol and
websocket state, the ASGI scope, its tasks and their futures): 10,000 connections are 1.5
million of them, and a full collection walks every one with the loop stopped. Under 100
events a second that was 1.4 s, every 6 s (``benchmarks/relay.py --connections 10000``):
every frame due meanwhile waited, and delivery's p99 went to 1.5 s.

Those objects live as long as their connection, often hours, and reference counting frees a
connection's objects when it closes; the collector looks at them only to find cycles of
garbage. So every ``freeze_seconds`` whatever is alive is moved out of its sight
(``gc.freeze``), and full collections walk only what came since: the frames and futures in
flight. A cycle among frozen objects that became garbage would not be found, so every
``unfreeze_seconds`` they are handed back (``gc.unfreeze``) and collected at once: one long
pause in a quarter of an hour rather than ten a minute, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Callable

from .logs import log_event

FREEZE_SECONDS = 10.0
UNFREEZE_SECONDS = 900.0


async def keep_collections_short(freeze_seconds: float = FREEZE_SECONDS, unfreeze_seconds: float = UNFREEZE_SECONDS,
                                 clock: Callable[[], float] = time.monotonic) -> None:
    """Run until cancelled; the process's collector is as it was once this returns."""
    collected_at = clock()
    try:
        while True:
            await asyncio.sleep(freeze_seconds)
            if clock() - collected_at >= unfreeze_seconds:
                gc.unfreeze()
                started = time.perf_counter()
                found = gc.collect()
                collected_at = clock()
                log_event("garbage_collected", logging.DEBUG, objects=found,
                          pause_ms=round((time.perf_counter() - started) * 1000))
            gc.freeze()
    finally:
        gc.unfreeze()
