"""The relay's ``/live`` alone, served by uvicorn on 127.0.0.1 from a thread: a Starlette app with
just ``live_route``, its Fanout on a real NATS and its Identities asking a real (sandbox) Canvas.

The relay's app proper (ingest, /metrics) is another module's; this is the least that
serves the stream, so the stream is tested over real websockets and real NATS.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time

import nats
import uvicorn
from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.applications import Starlette

from tui_inbox.relay.fanout import Fanout
from tui_inbox.relay.identity import Identities
from tui_inbox.relay.stream import live_route
from tui_inbox.serving import PromptServer


class StreamMetrics:
    """The two metrics the stream keeps, on a registry of its own (several relays run in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge("relay_connections", "open /live connections", registry=self.registry)
        self.delivered = Counter("relay_delivered", "frames sent to connections", registry=self.registry)

    def value(self, name: str) -> float:
        return self.registry.get_sample_value(name) or 0.0


class RunningLive:
    def __init__(self, canvas_url: str, nats_url: str, *, ttl_seconds: float = 300.0) -> None:
        self.metrics = StreamMetrics()
        self.identities = Identities(canvas_url, ttl_seconds)
        self.fanout: Fanout | None = None
        self._nats_url = nats_url
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.url = f"ws://127.0.0.1:{self._sock.getsockname()[1]}/live"
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

        @contextlib.asynccontextmanager
        async def lifespan(app):
            nc = await nats.connect(self._nats_url)
            self.fanout = Fanout(nc)
            app.router.routes.append(live_route(self.identities, self.fanout, self.metrics))
            yield
            try:
                await nc.close()
            except OSError:  # a test stopped the broker: the connection is already gone
                pass

        config = uvicorn.Config(Starlette(lifespan=lifespan), log_level="warning", access_log=False, lifespan="on",
                                ws="websockets-sansio", ws_ping_interval=20, ws_ping_timeout=20,
                                timeout_graceful_shutdown=2)
        self._server = PromptServer(config)
        self._server.install_signal_handlers = lambda: None

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the server's loop and return its result."""
        async def run():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def __enter__(self) -> "RunningLive":
        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self._server.serve(sockets=[self._sock]))
            self.loop.close()

        self._thread = threading.Thread(target=serve, name="relay-live", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the relay's /live did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc) -> None:
        self._server.exit_now()
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()
