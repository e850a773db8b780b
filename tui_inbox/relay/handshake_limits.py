"""Bounds on handshakes, so that a flood of them (bogus tokens, one person's runaway devices)
does not slow everyone else's: checked in stream.py before Canvas is asked who someone is.

- **Per address**: handshakes from one address that have not authenticated (refused, or
  not answered yet) are limited to ``per_address`` per window; beyond, 429 with Retry-After. Handshakes that authenticate do not count, so a school's
  whole campus behind one NAT can reconnect after a restart (the app's backoff spreads it),
  while a script trying tokens from there is stopped after a few dozen. The address is
  uvicorn's ``client``: the peer, or X-Forwarded-For's when the peer is a trusted proxy
  (``forwarded_allow_ips``).
- **Tokens Canvas refused** are answered 401 from memory for a minute, keyed by an HMAC of
  the token with a key made at start and never written down: the token itself is not kept,
  and an app retrying a revoked token costs Canvas one request a minute, not one a try.
- **Handshakes waiting for Canvas at once** are capped; beyond, 503 with Retry-After. A
  flood from many addresses then costs a bounded number of requests in flight.
- **Connections per user** are capped after Canvas says who it is; the next is refused with
  429 and a reason naming the limit. Refused, not the oldest closed: closing the oldest lets
  a client in a reconnect loop (or anyone holding a copy of the token) push the person's
  real devices off again and again, while a refusal leaves what works working and tells
  the newcomer why. A device that vanished without closing frees its place when the
  keepalive notices (two ping intervals).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import Counter
from typing import Callable

from starlette.responses import JSONResponse, Response

from .expiring_cache import ExpiringCache

REFUSED_TOKENS_KEPT = 100_000  # digests of 32 bytes and a short body each: a few megabytes at most
ADDRESSES_KEPT = 100_000
PENDING_RETRY_AFTER = 2
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}


class HandshakeLimits:
    def __init__(self, *, max_pending: int = 256, per_address: int = 60, address_window: float = 10.0,
                 refused_seconds: float = 60.0, max_per_user: int = 8, refused_counter=None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``refused_counter``: an optional prometheus Counter labelled by reason."""
        self.max_pending = max_pending
        self.per_address = per_address
        self.address_window = address_window
        self.max_per_user = max_per_user
        self.pending = 0
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._refused_tokens: ExpiringCache[bytes, dict] = ExpiringCache(REFUSED_TOKENS_KEPT, refused_seconds, clock)
        # address -> (start of its window, handshakes in it that have not authenticated)
        self._attempts: dict[str, tuple[float, int]] = {}
        # True once connection_guard.py makes the early refusals: the stream need not make them again.
        self.checked_at_connection = False
        self._connections_of: Counter[int] = Counter()
        self.counter = refused_counter  # may be set later, once the metrics exist

    def __repr__(self) -> str:
        return f"HandshakeLimits(pending={self.pending}, users={len(self._connections_of)})"

    def _count(self, reason: str) -> None:
        if self.counter is not None:
            self.counter.labels(reason=reason).inc()

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).digest()

    # -- before Canvas ----------------------------------------------------------------------
    def early_refusal(self, address: str, token: str | None) -> Response | None:
        """The refusals that need neither Canvas nor a waiting place: the address's limit, and a token
        refused a moment ago. Else None, and the handshake counts against its address until it
        authenticates (``authenticated``). Cheap: connection_guard.py calls it before a websocket
        is even set up (``checked_at_connection``), as a flood of refusals must cost the relay
        little or it slows everyone else's handshake; otherwise ``before_canvas`` calls it."""
        now = self._clock()
        start, count = self._attempts.get(address, (now, 0))
        if now - start >= self.address_window:
            start, count = now, 0
        if count >= self.per_address:
            self._count("address")
            return self._too_many(max(1, math.ceil(start + self.address_window - now)))
        self._attempts[address] = (start, count + 1)
        if len(self._attempts) > ADDRESSES_KEPT:
            self._forget_old_addresses(now)
        if token is not None:
            body = self._refused_tokens.get(self._digest(token))
            if body is not None:
                self._count("refused_token")
                return JSONResponse(body, status_code=401, headers=WWW_AUTHENTICATE)
        return None

    def over_limit(self, address: str) -> Response | None:
        """The 429 for an address already over its limit (counted), else None; nothing else is counted.
        For a peer that is no proxy, this can be said as soon as it connects."""
        now = self._clock()
        start, count = self._attempts.get(address, (now, 0))
        if now - start >= self.address_window or count < self.per_address:
            return None
        self._count("address")
        return self._too_many(max(1, math.ceil(start + self.address_window - now)))

    def _too_many(self, retry_after: int) -> Response:
        return JSONResponse({"errors": [{"message": "Too many handshakes from your address; retry later."}],
                             "reason": "max_handshakes_per_address", "limit": self.per_address},
                            status_code=429, headers={"Retry-After": str(retry_after)})

    def before_canvas(self, address: str, token: str) -> Response | None:
        """A refusal, or None: the handshake may ask Canvas, and holds a waiting place (``asked``
        must be called once Canvas has answered, whatever it said)."""
        if not self.checked_at_connection:
            refusal = self.early_refusal(address, token)
            if refusal is not None:
                return refusal
        if self.pending >= self.max_pending:
            self._count("pending")
            return JSONResponse({"errors": [{"message": "The relay is busy checking other sign-ins; retry shortly."}],
                                 "reason": "max_pending_handshakes"},
                                status_code=503, headers={"Retry-After": str(PENDING_RETRY_AFTER)})
        self.pending += 1
        return None

    def without_token(self, address: str) -> None:
        """A handshake with no token that could be one: it counts against its address (and is refused)."""
        if not self.checked_at_connection:
            self.early_refusal(address, None)

    def asked(self) -> None:
        """Canvas answered (or the handshake gave up): the waiting place is free again."""
        self.pending -= 1

    def token_refused(self, token: str, body: dict) -> None:
        """Canvas said 401 for this token: answer it from memory for a while."""
        self._refused_tokens.put(self._digest(token), body)

    def authenticated(self, address: str) -> None:
        """Canvas knows the token: this handshake no longer counts against its address."""
        start, count = self._attempts.get(address, (0.0, 0))
        if count > 0:
            self._attempts[address] = (start, count - 1)

    def _forget_old_addresses(self, now: float) -> None:
        for address, (start, _) in list(self._attempts.items()):
            if now - start >= self.address_window:
                del self._attempts[address]
        while len(self._attempts) > ADDRESSES_KEPT:  # all recent: the oldest go
            del self._attempts[next(iter(self._attempts))]

    # -- after Canvas -----------------------------------------------------------------------
    def connect_user(self, user_id: int) -> Response | None:
        """A refusal when the user holds every connection allowed; else None, and the place is taken
        (``disconnect_user`` gives it back)."""
        if self._connections_of[user_id] >= self.max_per_user:
            self._count("user")
            return JSONResponse({"errors": [{"message": f"You have {self.max_per_user} connections to this relay "
                                                        "already (the most one person may have); close one."}],
                                 "reason": "max_connections_per_user", "limit": self.max_per_user},
                                status_code=429, headers={"Retry-After": "30"})
        self._connections_of[user_id] += 1
        return None

    def disconnect_user(self, user_id: int) -> None:
        self._connections_of[user_id] -= 1
        if self._connections_of[user_id] <= 0:
            del self._connections_of[user_id]

