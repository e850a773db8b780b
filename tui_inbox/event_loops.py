"""The event loop a server thread runs on: uvloop's where it is installed, else asyncio's.

The relay hands every event to hundreds of connections: per frame, the loop's own work
(a write to a socket, waking the connection's task) is most of the cost, and uvloop does
it in C. uvicorn picks uvloop the same way (``loop="auto"``) when it owns the loop; the
relay and the sandbox run uvicorn on a loop of their own, in a thread, so they choose here.
Nothing depends on which loop it is: asyncio's is the fallback where uvloop has no wheel.
"""

from __future__ import annotations

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
