"""Running the relay: in a background thread (tests), or as the ``tui-inbox relay`` command.

One instance: the HTTP app (intake, health, metrics, and the /live stream once wired),
a connection to NATS, the router loop and the lag sampler, all on one event loop.
Without a NATS URL it starts a nats-server child of its own and stops it on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import uvicorn

from ..event_loops import new_event_loop
from ..serving import PromptServer, bind, call_on, serve_command, url_host
from .app import EVENTS_PATH, build_relay_app
from .broker import Broker
from .collector_pauses import keep_collections_short
from .connection_guard import guarded_protocols
from .fanout import Fanout
from .identity import Identities
from .logs import configure as configure_logs, log_event
from .metrics import RelayMetrics
from .handshake_limits import HandshakeLimits
from .nats_child import NatsChild, NatsServerError
from .newcomers import Newcomers
from .open_files import FileBudget, raise_open_files_limit
from .participants_sync import share_forgetting
from .replay import Resumer
from .routing import Router
from .settings import RelaySettings
from .stream import live_route


CLIENT_FRAME_LIMIT = 64 * 1024  # bytes of one frame from a /live client (it has nothing to say)


class RelayStartError(RuntimeError):
    """The relay could not start; the message is one line."""


@dataclass
class RelayInfo:
    events_url: str
    live_url: str
    metrics_url: str

    def as_json(self) -> dict:
        return {"events_url": self.events_url, "live_url": self.live_url, "metrics_url": self.metrics_url}


def route_of(router) -> Callable:
    """A Router (``subjects_for``) or a plain ``async (event) -> subjects`` callable, as a route."""
    return getattr(router, "subjects_for", router)


class RunningRelay:
    """A relay served from a daemon thread; ``stop()`` (or leaving ``with``) shuts it down.

    ``router_factory(settings)`` is called on the relay's loop and returns the router
    (an object with ``async subjects_for(event)`` and optionally ``async aclose()``, or a
    route callable). Without one, this instance only takes events in; another routes them.
    ``extra_routes(broker, metrics)`` returns more Starlette routes (the /live stream).
    """

    def __init__(self, settings: RelaySettings, router_factory: Callable | None = None,
                 extra_routes: Callable | None = None, handshake_limits: HandshakeLimits | None = None) -> None:
        self.settings = settings
        self.handshake_limits = handshake_limits
        self.router_factory = router_factory
        self.extra_routes = extra_routes
        self.metrics = RelayMetrics()
        if handshake_limits is not None:
            handshake_limits.counter = self.metrics.handshakes_refused
        self.nats_child: NatsChild | None = None
        self.broker: Broker | None = None
        self._sock = bind(settings.host, settings.port)
        port = self._sock.getsockname()[1]
        host = url_host(settings.host)
        self.base_url = f"http://{host}:{port}"
        self.info = RelayInfo(self.base_url + EVENTS_PATH, f"ws://{host}:{port}/live", self.base_url + "/metrics")
        self._server: PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.files: FileBudget | None = None
        # True only when the process is the relay's own (serve_forever): the collector's settings
        # are the process's, and a test's relays run in threads of the test's process.
        self.keeps_collections_short = False

    def start(self, timeout: float = 30.0) -> "RunningRelay":
        try:
            nats_urls = list(self.settings.nats_urls)
            if not nats_urls:
                store = self.settings.nats_store
                if store is not None:
                    # The stream holds what people wrote (a discussion entry's text): ours alone.
                    Path(store).mkdir(mode=0o700, parents=True, exist_ok=True)
                    os.chmod(store, 0o700)
                self.nats_child = NatsChild(store_dir=store).start()
                nats_urls = [self.nats_child.url]
        except (NatsServerError, OSError) as error:
            self._sock.close()
            raise RelayStartError(str(error)) from None
        self._thread = threading.Thread(target=self._serve, args=(nats_urls,), name="relay", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            error = self._error
            self.stop()
            raise RelayStartError(str(error) if error else "the relay did not start in time")
        return self

    def _serve(self, nats_urls: list[str]) -> None:
        self.loop = new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main(nats_urls))
        except BaseException as error:  # reported to start(); the thread ends either way
            self._error = error
        finally:
            if not self._started.is_set():
                self._error = self._error or RuntimeError("the relay stopped while starting")
                self._started.set()
            self.loop.close()

    async def _main(self, nats_urls: list[str]) -> None:
        s = self.settings
        self.broker = broker = Broker(nats_urls, publish_timeout=s.publish_timeout_seconds, ack_wait=s.ack_wait_seconds,
                                      max_deliver=s.max_deliver, route_retry_seconds=s.route_retry_seconds,
                                      fetch_wait_seconds=s.fetch_wait_seconds, metrics=self.metrics,
                                      replicas=s.replicas, creds_file=s.nats_creds, ca_file=s.nats_ca,
                                      resume_window=s.resume_window_seconds)
        await broker.connect()
        router = self.router_factory(s) if self.router_factory is not None else None
        extra = tuple(self.extra_routes(broker, self.metrics)) if self.extra_routes else ()
        app = build_relay_app(s, broker, self.metrics, extra)
        # Counted from here: the files open now are NATS's, the listening socket's and the process's own.
        self.files = FileBudget()
        asyncio.get_running_loop().set_exception_handler(self.files.accept_failed)
        limits = self.handshake_limits
        if limits is not None:
            limits.checked_at_connection = True
        http, ws = guarded_protocols(self.files, s.header_timeout_seconds,
                                     early=limits.early_refusal if limits is not None else None,
                                     over_limit=limits.over_limit if limits is not None else None,
                                     timed_out=self.metrics.connections_timed_out,
                                     refused=self.metrics.handshakes_refused)
        # No permessage-deflate: it would compress every event once per connection and keep a
        # zlib state per connection. A client sends nothing but pongs: small frames only.
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", http=http, ws=ws,
                                timeout_graceful_shutdown=2, ws_ping_interval=20, ws_ping_timeout=20,
                                ws_per_message_deflate=False, ws_max_size=CLIENT_FRAME_LIMIT,
                                forwarded_allow_ips=s.forwarded_allow_ips)
        self._server = PromptServer(config)
        self._server.install_signal_handlers = lambda: None  # the owner of the process decides
        tasks = [asyncio.create_task(self._sample_lag(broker))]
        if self.keeps_collections_short:
            tasks.append(asyncio.create_task(keep_collections_short()))
        newcomers = None
        if router is not None:
            if hasattr(router, "participants"):
                await share_forgetting(broker.nc, router)
            if hasattr(router, "welcome"):
                newcomers = Newcomers(broker, lookback_seconds=s.newcomer_lookback_seconds,
                                      recheck_seconds=s.newcomer_recheck_seconds, metrics=self.metrics)
                router.welcome = newcomers.welcome
            tasks.append(asyncio.create_task(broker.run_router(route_of(router))))
        watcher = asyncio.create_task(self._announce_started())
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            watcher.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, watcher, return_exceptions=True)
            if newcomers is not None:
                await newcomers.aclose()
            if router is not None and hasattr(router, "aclose"):
                await router.aclose()
            await broker.close()

    async def _announce_started(self) -> None:
        while not self._server.started:
            await asyncio.sleep(0.005)
        log_event("relay_started", **self.info.as_json(), routing=self.router_factory is not None)
        if self.settings.allow_unsigned:
            log_event("unsigned_events_allowed", logging.WARNING)  # anyone who can reach the URL can POST one
        self._started.set()

    async def _sample_lag(self, broker: Broker) -> None:
        while True:
            try:
                self.metrics.broker_lag.set(await broker.pending())
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker is down: /readyz says so; the last figure stays
                pass
            await asyncio.sleep(self.settings.lag_sample_seconds)

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the relay's loop and return its result (tests)."""
        return call_on(self.loop, fn, *args)

    def stop(self) -> None:
        if self._server is not None:
            self._server.exit_now()
        if self._thread is not None:
            self._thread.join(15)
        with contextlib.suppress(OSError):
            self._sock.close()
        if self.nats_child is not None:
            self.nats_child.stop()
            self.nats_child = None
        log_event("relay_stopped")

    def __enter__(self) -> "RunningRelay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def school_relay(settings: RelaySettings) -> RunningRelay:
    """One instance of the whole relay: it takes events in, routes its share of them (the
    durable consumer is shared by every instance), and streams to the users connected to it."""
    # One set of limits for the connection protocols (the cheap refusals) and the stream (the rest).
    limits = HandshakeLimits(max_pending=settings.max_pending_handshakes, per_address=settings.max_handshakes_per_address,
                             address_window=settings.address_window_seconds,
                             refused_seconds=settings.refused_token_seconds,
                             max_per_user=settings.max_connections_per_user)

    def stream(broker: Broker, metrics: RelayMetrics) -> list:
        fanout = Fanout(broker.nc, dropped_counter=metrics.dropped)
        resumer = Resumer(broker.js, settings.resume_window_seconds, timeout=broker.publish_timeout, metrics=metrics)
        broker.reconnect_listeners.append(resumer.fill_gaps)
        return [live_route(Identities(settings.canvas_url), fanout, metrics, limits,
                           handshake_timeout=settings.handshake_timeout_seconds, resumer=resumer)]

    return RunningRelay(settings, router_factory=lambda s: Router(s.canvas_url, s.admin_token), extra_routes=stream,
                        handshake_limits=limits)


def serve_forever(settings: RelaySettings) -> int:
    """The ``tui-inbox relay`` command: print the JSON line, serve until SIGINT or SIGTERM."""
    configure_logs()
    raise_open_files_limit()
    relay = school_relay(settings)
    relay.keeps_collections_short = True

    def start() -> dict:
        relay.start()
        return relay.info.as_json()

    try:
        serve_command(start, relay.stop)
    except RelayStartError as error:
        print(f"tui-inbox relay: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    return 0
