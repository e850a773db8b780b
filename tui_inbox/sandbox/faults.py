"""Added latency and injected failures, so clients meet a slow and unreliable Canvas.

Latency (``knobs.latency_ms`` > 0): every HTTP answer waits that long before its
response starts, whoever produced it (the app, the throttle's 403, or a failure
below). It is an ``asyncio.sleep``, so other requests go on meanwhile.

Failures (``knobs.fail_rate``, 0..1): that fraction of HTTP requests under ``/api/``
fails, drawn from a ``random.Random`` seeded with ``knobs.seed`` so a run can be
replayed (the draws follow the order in which requests arrive). A second draw from
the same generator picks one of two halves:

* **Before the app** (503 text/plain, ``errors.unavailable()``): answered as a load
  balancer would, without the request ever reaching Canvas. Nothing happened, so a
  retry is always safe.
* **After the app** (500, ``errors.internal_error()``, Canvas's JSON body): the app
  handled the request completely (a POST did its work) but its answer is thrown away
  and replaced. This is the case a client must design for: "did the server get my
  POST?" Retrying blindly may do the work twice; the client has to look.

The websocket and the file downloads (``/files/...``) never fail: they are not under
``/api/``, and the download is excluded explicitly too. Knobs are read on every
request, so a test or the demo may change them while the server runs.
"""

from __future__ import annotations

import asyncio
import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .state import SandboxState

# Never failed: the download is streamed bytes, not Canvas's API, and the websocket is
# not HTTP at all (it never gets here). Both are outside /api/ today; listed anyway.
EXCLUDED = ("/files/", "/live")

# Headers of the swallowed answer worth keeping on the 500: Canvas's throttle and request
# context wrap the failing app, so its real 500s carry them too.
KEPT_HEADERS = (b"x-request-cost", b"x-rate-limit-remaining", b"x-request-context-id")


class FaultsMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.rng = random.Random(state.knobs.seed)

    def _draw(self, scope: Scope) -> str | None:
        """None, "before" or "after" for this request."""
        rate = self.state.knobs.fail_rate
        path = scope.get("path", "")
        if rate <= 0 or not path.startswith("/api/") or path.startswith(EXCLUDED):
            return None  # no draw: the failure sequence only counts requests that may fail
        if self.rng.random() >= rate:
            return None
        return "before" if self.rng.random() < 0.5 else "after"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets (and lifespan) pass straight through
            await self.app(scope, receive, send)
            return
        latency = self.state.knobs.latency_ms / 1000.0

        async def delayed_send(message: Message) -> None:
            if message["type"] == "http.response.start" and latency > 0:
                await asyncio.sleep(latency)
            await send(message)

        failure = self._draw(scope)
        if failure == "before":
            await errors.unavailable()(scope, receive, delayed_send)
            return
        if failure is None:
            await self.app(scope, receive, delayed_send)
            return

        # "after": let the app do all its work, keep its answer from the client.
        kept: list[tuple[bytes, bytes]] = []

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept.extend(h for h in message.get("headers", []) if h[0].lower() in KEPT_HEADERS)

        await self.app(scope, receive, swallow)
        response = errors.internal_error()
        response.raw_headers.extend(kept)
        await response(scope, receive, delayed_send)
