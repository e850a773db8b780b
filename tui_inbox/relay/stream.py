"""The relay's ``/live``: the websocket stream of live-stream.md, unchanged, for a whole school.

The handshake's ``Authorization: Bearer <the user's Canvas token>`` (a personal token or an
OAuth access token alike) is checked with the configured Canvas (identity.py) before the
upgrade, on every handshake: a missing, bad, expired or revoked token is refused with HTTP
401 and Canvas's body, so a client never mistakes a refused stream for a quiet one, and an
app whose token expired learns it must refresh; Canvas unreachable is a 503 (the client retries, and keeps its token).
The token is read from the header only (never a query string, which proxies log), and
goes nowhere but Canvas.

Then the connection's queue is attached to the fanout with the user's subjects, and
every event queued is one text frame, its bytes exactly as the router published them.
A ``Last-Event-ID`` header asks for what was missed since that id first (replay.py), after
the attach, so nothing routed during the replay is lost between the two.
Keepalive is the server's websocket ping/pong (uvicorn's ``ws_ping_interval``).

Before Canvas is asked, ``HandshakeLimits`` (handshake_limits.py) may refuse the handshake
(too many from one address, a token Canvas refused a moment ago, too many waiting for
Canvas), and after it, a person who holds every connection allowed. Everything before the
upgrade has one deadline (``handshake_timeout``): past it, 503 and the client retries.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.responses import JSONResponse, Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from ..canvas import CanvasError
from ..serving import refuse
from .fanout import Fanout
from .handshake_limits import HandshakeLimits
from .identity import Identities, Refusal
from .mailbox import Mailbox
from .replay import Cursor, Resumer
from .text_frames import EXTENSION as TEXT_FRAMES

log = logging.getLogger("tui_inbox.relay.stream")

# Events waiting for one slow client; past this the fanout drops its events (at most once).
QUEUE_SIZE = 1000
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}

def _bearer(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def _plausible(token: str) -> bool:
    """Canvas tokens are printable ASCII; anything else cannot be one (nor be put in a header to ask)."""
    return token.isascii() and token.isprintable() and " " not in token


def _unauthenticated() -> Response:
    return JSONResponse({"status": "unauthenticated", "errors": [{"message": "user authorization required"}]},
                        status_code=401, headers=WWW_AUTHENTICATE)


def _invalid_token() -> Response:
    return JSONResponse({"errors": [{"message": "Invalid access token."}]}, status_code=401,
                        headers=WWW_AUTHENTICATE)


def _canvas_unavailable() -> Response:
    return JSONResponse({"errors": [{"message": "Canvas could not be asked who you are; try again shortly."}]},
                        status_code=503)


def _broker_unavailable() -> Response:
    return JSONResponse({"errors": [{"message": "The relay cannot deliver events right now; try again shortly."}]},
                        status_code=503)


def _last_event_id(websocket: WebSocket) -> str | None:
    value = websocket.headers.get("last-event-id")
    return value.strip()[:100] if value is not None else None


def _handshake_too_slow() -> Response:
    return JSONResponse({"errors": [{"message": "Signing you in took too long; try again shortly."}],
                         "reason": "handshake_timeout"}, status_code=503, headers={"Retry-After": "5"})


def live_route(identities: Identities, fanout: Fanout, metrics, limits: HandshakeLimits | None = None,
               handshake_timeout: float | None = None, resumer: Resumer | None = None) -> WebSocketRoute:
    """``metrics`` has a prometheus Gauge ``connections`` and a Counter ``delivered``. ``limits``
    bounds handshakes (handshake_limits.py); ``handshake_timeout``: seconds from the request to
    the upgrade (asking Canvas, subscribing on NATS), else 503 (None: no deadline). Without a
    ``resumer`` (no history to read), ``Last-Event-ID`` is ignored, as by a server that does not resume."""

    async def live(websocket: WebSocket) -> None:
        token = _bearer(websocket)
        address = websocket.client.host if websocket.client else "unknown"
        if token is None or not _plausible(token):
            if limits is not None:
                limits.without_token(address)
            await refuse(websocket, _unauthenticated() if token is None else _invalid_token())
            return
        if limits is not None:
            refusal = limits.before_canvas(address, token)
            if refusal is not None:
                await refuse(websocket, refusal)
                return
        # One deadline for everything before the upgrade: Canvas slow to answer, NATS slow to subscribe.
        deadline = None if handshake_timeout is None else asyncio.get_running_loop().time() + handshake_timeout
        try:
            async with asyncio.timeout_at(deadline):
                identity = await identities.resolve(token)
        except TimeoutError:
            log.warning("a handshake waited on Canvas past its deadline")
            await refuse(websocket, _handshake_too_slow())
            return
        except CanvasError as exc:
            log.warning("a handshake waits on Canvas, which did not answer: %s", type(exc).__name__)
            await refuse(websocket, _canvas_unavailable())
            return
        finally:
            if limits is not None:
                limits.asked()
        if isinstance(identity, Refusal):
            if limits is not None:
                limits.token_refused(token, identity.body)
            # Canvas's own words: "Expired access token." tells the app to refresh and come back.
            await refuse(websocket, JSONResponse(identity.body, status_code=401, headers=WWW_AUTHENTICATE))
            return
        if limits is not None:
            limits.authenticated(address)
            refusal = limits.connect_user(identity.user_id)
            if refusal is not None:
                await refuse(websocket, refusal)
                return
        try:
            await _stream(websocket, identity, fanout, metrics, deadline, resumer)
        finally:
            if limits is not None:
                limits.disconnect_user(identity.user_id)

    return WebSocketRoute("/live", live)


async def _stream(websocket: WebSocket, identity, fanout: Fanout, metrics, deadline: float | None,
                  resumer: Resumer | None) -> None:
    queue = Mailbox(QUEUE_SIZE)
    subjects = identity.subjects()
    # Subscribed before accepting: once the client sees the handshake complete, every
    # later event for this user is already on its way to the queue.
    try:
        async with asyncio.timeout_at(deadline):
            await fanout.attach(queue, subjects)
    except Exception as exc:  # NATS is down, reconnecting or too slow: this instance cannot deliver now
        log.warning("a connection waits on NATS, which did not answer: %s", type(exc).__name__)
        await fanout.detach(queue)
        await refuse(websocket, _broker_unavailable())
        return
    # The replay (if asked) reads the history only now: what is routed from here on is in the queue.
    cursor = resumer.open(subjects, queue, _last_event_id(websocket)) if resumer is not None else None
    metrics.connections.inc()
    try:
        await websocket.accept()
        forward = asyncio.ensure_future(_forward(websocket, queue, metrics, cursor, resumer))
        drain = asyncio.ensure_future(_drain(websocket))
        # Whichever ends first (the client left, or a send failed) ends the connection.
        _, pending = await asyncio.wait({forward, drain}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        metrics.connections.dec()
        if cursor is not None:
            resumer.close(cursor)
        await fanout.detach(queue)


async def _forward(websocket: WebSocket, queue: Mailbox, metrics, cursor: Cursor | None = None,
                   resumer: Resumer | None = None) -> None:
    """One event, one text frame, in arrival order; whatever is waiting is sent in one go. With a
    cursor, a replay due (asked by the handshake, or a gap to fill) is sent before the live frames."""
    text_frames = websocket.scope.get("extensions", {}).get(TEXT_FRAMES)
    send_text = text_frames.send if text_frames is not None else websocket.send_text
    if text_frames is not None:
        queue.direct = _writer_now(text_frames.write_now, metrics, cursor)
    try:
        while True:
            frames = await (resumer.next_frames(cursor) if cursor is not None else queue.take())
            sent = 0
            try:
                for frame in frames:
                    await send_text(frame)
                    sent += 1
            except Exception:  # the peer is gone (ClientDisconnected, closed transport)
                return
            finally:
                # Once per batch, not per frame: each inc takes the counter's lock.
                if sent:
                    metrics.delivered.inc(sent)
                    if cursor is not None:
                        cursor.sent(frames[:sent])
    finally:
        queue.direct = None


def _writer_now(write_now, metrics, cursor: Cursor | None):
    """The mailbox's ``direct``: a live frame written at once while nothing is queued before it (mailbox.py).
    Not while a replay is due or its ids are still to be dropped from live: those go the writer's way."""
    def direct(frame: str) -> bool:
        if cursor is not None and (cursor.replay_due or cursor.replayed):
            return False
        try:
            if not write_now(frame):
                return False
        except Exception:  # whatever it was, the writer's way will meet it too and end the connection
            return False
        metrics.delivered.inc()
        if cursor is not None:
            cursor.sent([frame])
        return True

    return direct


async def _drain(websocket: WebSocket) -> None:
    """Read and ignore client frames; returning means the client disconnected."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
