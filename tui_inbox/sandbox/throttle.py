"""Canvas's request throttle: a leaky bucket per client (canvas-api.md section 7).

Modelled on Canvas's RequestThrottle (app/middleware/request_throttle.rb). Each client
(the sha256 of its bearer token, else its address) has a bucket whose level leaks
``throttle_leak`` units per second. A starting request first reserves
``throttle_upfront`` (so parallel requests are expensive while they run), and is then
refused at once if the bucket is full (level >= ``throttle_hwm``). When the app has
answered, the reservation is taken back and the real cost added: the request's wall
time in seconds plus a small fixed CPU-like cost, the level clamped to
``throttle_max``. Like Canvas, the reservation is taken *before* judging, so with
hwm 100 and up-front 50 a request is refused while a level of 50 or more remains.

Every answer that was not refused carries ``X-Request-Cost`` and
``X-Rate-Limit-Remaining`` (hwm - level); a refusal is ``errors.rate_limited()``
(403 text/plain, remaining "0.0", no cost). With ``knobs.throttle`` off nothing is
counted, but the headers are still sent (full hwm remaining) so clients see what
Canvas sends.

The cost is settled when the app starts its answer, as Canvas does when its app
returns the response: time spent streaming a body afterwards is not counted.
State is only touched on the server's event loop, so no locks are needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .endpoint import bearer_token
from .state import SandboxState

# What a request costs beyond its wall time: Canvas counts CPU and DB seconds, which
# even a trivial request has some of. A refused request costs only this.
CPU_COST = 0.01


def number(value: float) -> str:
    """A float as Ruby's ``to_s`` would print it: always a decimal point, never ``1e-06``."""
    text = f"{round(value, 6) + 0.0:.6f}".rstrip("0")  # + 0.0 turns -0.0 into 0.0
    return text + "0" if text.endswith(".") else text


def client_id(scope: Scope) -> str:
    token = bearer_token(Request(scope))
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    client = scope.get("client")
    return "ip:" + (client[0] if client else "unknown")


@dataclass(slots=True)
class Bucket:
    level: float = 0.0
    touched: float = 0.0

    def leak(self, now: float, rate: float) -> None:
        self.level = max(0.0, self.level - rate * (now - self.touched))
        self.touched = now


class ThrottleMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.buckets: dict[str, Bucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets and lifespan are not counted
            await self.app(scope, receive, send)
            return
        knobs = self.state.knobs  # read per request: tests and the demo change knobs live
        started = self.state.clock.monotonic()
        if not knobs.throttle:
            await self._run(scope, receive, send, started, lambda cost: float(knobs.throttle_hwm))
            return

        cid = client_id(scope)
        bucket = self.buckets.get(cid)
        if bucket is None:
            bucket = self.buckets[cid] = Bucket(touched=started)
        upfront = knobs.throttle_upfront

        def settle(cost: float) -> float:
            """Give back the reservation, charge the real cost; the remaining quota."""
            bucket.leak(self.state.clock.monotonic(), knobs.throttle_leak)
            bucket.level = min(knobs.throttle_max, max(0.0, bucket.level - upfront + cost))
            return knobs.throttle_hwm - bucket.level

        bucket.leak(started, knobs.throttle_leak)
        bucket.level += upfront  # not clamped: the reservation is transient
        if bucket.level >= knobs.throttle_hwm:
            settle(CPU_COST)
            await errors.rate_limited()(scope, receive, send)
            return
        await self._run(scope, receive, send, started, settle)

    async def _run(self, scope: Scope, receive: Receive, send: Send, started: float, settle) -> None:
        """Run the app, settling the cost once: when its answer starts, or when it ends without one."""
        settled = False

        def finish() -> tuple[float, float]:
            nonlocal settled
            settled = True
            cost = self.state.clock.monotonic() - started + CPU_COST
            return cost, settle(cost)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and not settled:
                cost, remaining = finish()
                headers = list(message.get("headers", []))
                headers.append((b"x-request-cost", number(cost).encode()))
                headers.append((b"x-rate-limit-remaining", number(remaining).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not settled:  # the app raised or never answered: still give the reservation back
                finish()
