"""The relay's HTTP face: Canvas POSTs events in, operators read health and metrics.

``POST /canvas/live-events`` answers 202 once an event is durably in the broker, 200
for one already stored (a Canvas retry: it must stop retrying), 503 while the broker is
down (so that Canvas retries later), 400/401/413 for what Canvas did not send. Never a
500: whatever the body, the answer is one of those with a one-line JSON reason.

``GET /healthz`` answers 200 while the process serves requests (liveness: a supervisor that
restarts on its failure must not restart every instance while NATS is away); the broker's
state is in its body. ``GET /readyz`` is 200 only while the broker is connected and the
stream writable (readiness.py), for a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .broker import BrokerUnavailable
from .digest import event_digest
from .discovery import discovery_route
from .event_age import event_age_seconds
from .jwks import JwksCache
from .logs import log_event
from .metrics import CONTENT_TYPE
from .readiness import Readiness
from .verify import Rejected, Verifier

EVENTS_PATH = "/canvas/live-events"


class TooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, read as it streams in and abandoned past ``limit`` bytes (memory stays bounded)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def build_relay_app(settings, broker, metrics, extra_routes=(), *, jwks: JwksCache | None = None) -> Starlette:
    jwks = jwks or JwksCache(settings.jwks_url, refetch_seconds=settings.jwks_refetch_seconds,
                             timeout_seconds=settings.jwks_timeout_seconds, max_bytes=settings.jwks_max_bytes)
    verifier = Verifier(jwks, issuer=settings.issuer, leeway_seconds=settings.leeway_seconds,
                        allow_unsigned=settings.allow_unsigned)

    def refuse(status: int, reason: str, message: str) -> JSONResponse:
        metrics.rejected.labels(reason=reason).inc()
        log_event("event_rejected", logging.WARNING, status=status, reason=reason)
        return JSONResponse({"error": message, "reason": reason}, status_code=status)

    async def live_events(request: Request) -> Response:
        started = time.perf_counter()
        try:
            return await take_event(request)
        finally:
            metrics.ingest_seconds.observe(time.perf_counter() - started)

    async def take_event(request: Request) -> Response:
        metrics.received.inc()
        try:
            raw = await read_capped(request, settings.max_body_bytes)
        except TooLarge:
            return refuse(413, "too_large", f"the body is over {settings.max_body_bytes} bytes")
        except ClientDisconnect:
            return refuse(400, "incomplete", "the body did not arrive")
        try:
            event = await verifier.verify(raw)
        except Rejected as rejection:
            return refuse(rejection.status, rejection.reason, rejection.message)
        except (ValueError, RecursionError):
            # JSON nested beyond what the parser takes, and the like: still the sender's mistake.
            return refuse(400, "malformed", "the body cannot be read")
        age = event_age_seconds(event, time.time())
        if age is not None:
            metrics.event_age_seconds.observe(age)
        digest = event_digest(event)
        name = event["metadata"]["event_name"]
        try:
            stored = await broker.publish_event(event, digest)
        except BrokerUnavailable:
            metrics.rejected.labels(reason="broker_unavailable").inc()
            log_event("event_deferred", logging.WARNING, status=503, reason="broker_unavailable",
                      event_name=name, digest=digest)
            return JSONResponse({"error": "the broker is unavailable; retry later", "reason": "broker_unavailable"},
                                status_code=503, headers={"Retry-After": "30"})
        if not stored:
            metrics.duplicates.inc()
            log_event("event_duplicate", event_name=name, digest=digest)
            return JSONResponse({"status": "duplicate", "digest": digest}, status_code=200)
        log_event("event_stored", event_name=name, digest=digest)
        return JSONResponse({"status": "stored", "digest": digest}, status_code=202)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive", "broker": "connected" if broker.connected else "disconnected"})

    async def readyz(request: Request) -> Response:
        reason = readiness.reason
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)

    async def metrics_page(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    readiness = Readiness(broker, interval=settings.ready_check_seconds, timeout=settings.ready_timeout_seconds,
                          gauge=metrics.ready)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        checking = asyncio.create_task(readiness.run())
        try:
            yield
        finally:
            checking.cancel()
            await asyncio.gather(checking, return_exceptions=True)
            await jwks.aclose()

    routes = [
        Route(EVENTS_PATH, live_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        discovery_route(settings.canvas_url, settings.client_id),
        *extra_routes,
    ]
    return Starlette(routes=routes, lifespan=lifespan)
