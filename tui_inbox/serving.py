"""Plumbing shared by our two servers, the sandbox and the relay: neither may import the other.

A listening socket made the same way for both, and a websocket handshake refused with an
HTTP answer (401, 503) instead of an upgrade, without uvicorn logging an error for it.
Nothing here knows Canvas: the sandbox and the client stay two independent readings of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import signal
import socket
import sys
import threading
from typing import Callable

import uvicorn
from starlette.responses import Response
from starlette.websockets import WebSocket

# uvicorn's websockets-sansio protocol sends a denial response correctly, then logs
# "ASGI callable returned without completing handshake." at ERROR for each one (uvicorn
# PR #3138, open): a client retrying with a stale token would flood the server's log. The
# app runs inside uvicorn's per-connection task, so a context variable set here is still
# set when uvicorn logs; the filter drops that one message for connections refused here,
# and nothing once uvicorn is fixed.
_refused: contextvars.ContextVar[bool] = contextvars.ContextVar("handshake_refused", default=False)
SPURIOUS = "ASGI callable returned without completing handshake."


class _RefusedHandshakeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_refused.get() and record.msg == SPURIOUS)


logging.getLogger("uvicorn.error").addFilter(_RefusedHandshakeFilter())


async def refuse(websocket: WebSocket, response: Response) -> None:
    """Answer the handshake with an HTTP error instead of upgrading."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        _refused.set(True)
        await websocket.send_denial_response(response)
    else:
        # A server without the ASGI denial-response extension can only reject with 403.
        await websocket.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket for uvicorn (``serve(sockets=[...])``): bound before the server starts,
    so the URL can be printed (and a port of 0 resolved) before anything is served."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a response written in two parts waits
    # for the client's delayed ACK, about 40 ms per request on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def call_on(loop: asyncio.AbstractEventLoop, fn, *args, timeout: float = 10.0):
    """Run ``fn(*args)`` on a server's loop (its state is only touched there), from another
    thread (a test's), and return its result, awaited if it is a coroutine."""
    async def run():
        result = fn(*args)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)


def serve_command(start: Callable[[], dict], stop_server: Callable[[], None]) -> None:
    """The shape of the ``sandbox`` and ``relay`` commands: start, print one JSON line, serve until
    SIGINT or SIGTERM, stop. The signals are taken before ``start``, so one that comes while the
    server starts still ends in ``stop_server`` (a relay's own nats-server is not left behind).
    ``start`` may raise: nothing was printed, and the caller says why."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    line = start()
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stop_server()



class PromptServer(uvicorn.Server):
    """A uvicorn server that ``exit_now()`` (from any thread) ends at once. uvicorn looks at
    ``should_exit`` every 0.1 s, so each stop cost a tenth of a second doing nothing, and a test
    suite stops hundreds of sandboxes and relays."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:  # uvicorn's own, waiting on an event rather than a sleep
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self._wake.wait(), 0.1)
            except TimeoutError:
                pass
            should_exit = await self.on_tick(counter)

    def exit_now(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop is closed: the server has exited already
                pass

    async def shutdown(self, sockets=None) -> None:
        """uvicorn's own, polling every 5 ms where it sleeps 0.1 s: it slept a tenth of a second
        even with no connection left to finish, on every stop."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
                    await asyncio.sleep(0.005)
                for server in self.servers:
                    await server.wait_closed()
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()
