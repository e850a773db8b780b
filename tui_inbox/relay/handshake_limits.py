"""Bounds on handshakes, so that a flood of them (bogus tokens, one person's runaway devices)
does not slow everyone else's: checked in stream.py before Canvas is asked who someone is.

- **Per address**: handshakes from one address that have not authenticated (waiting for
  Canvas now, or refused within the window) are limited to ``per_address`` per window;
  beyond, 429 with Retry-After. Handshakes that authenticate do not count, so a school's
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
        self._waiting_by_address: Counter[str] = Counter()
        # address -> (start of its window, refusals in it)
        self._refused_by_address: dict[str, tuple[float, int]] = {}
        self._connections_of: Counter[int] = Counter()
        self._counter = refused_counter

    def __repr__(self) -> str:
        return f"HandshakeLimits(pending={self.pending}, users={len(self._connections_of)})"

    def _count(self, reason: str) -> None:
        if self._counter is not None:
            self._counter.labels(reason=reason).inc()

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).digest()

    # -- before Canvas ----------------------------------------------------------------------
    def before_canvas(self, address: str, token: str | None) -> Response | None:
        """A refusal, or None: the handshake may ask Canvas, and holds a pending place (``asked``
        must be called once Canvas has answered, whatever it said). ``token`` None: no token
        was sent (the caller refuses it; it counts against the address)."""
        retry_after = self._address_retry_after(address)
        if retry_after is not None:
            self._count("address")
            return JSONResponse({"errors": [{"message": "Too many handshakes from your address; retry later."}],
                                 "reason": "max_handshakes_per_address", "limit": self.per_address},
                                status_code=429, headers={"Retry-After": str(retry_after)})
        if token is None:
            self.refused(address)
            return None
        body = self._refused_tokens.get(self._digest(token))
        if body is not None:
            self._count("refused_token")
            self.refused(address)
            return JSONResponse(body, status_code=401, headers=WWW_AUTHENTICATE)
        if self.pending >= self.max_pending:
            self._count("pending")
            return JSONResponse({"errors": [{"message": "The relay is busy checking other sign-ins; retry shortly."}],
                                 "reason": "max_pending_handshakes"},
                                status_code=503, headers={"Retry-After": str(PENDING_RETRY_AFTER)})
        self.pending += 1
        self._waiting_by_address[address] += 1
        return None

    def asked(self, address: str) -> None:
        """Canvas answered (or the handshake gave up): the pending place is free again."""
        self.pending -= 1
        self._waiting_by_address[address] -= 1
        if self._waiting_by_address[address] <= 0:
            del self._waiting_by_address[address]

    def token_refused(self, address: str, token: str, body: dict) -> None:
        """Canvas said 401 for this token: answer it from memory for a while, and count it against the address."""
        self._refused_tokens.put(self._digest(token), body)
        self.refused(address)

    def refused(self, address: str) -> None:
        now = self._clock()
        start, count = self._refused_by_address.get(address, (now, 0))
        if now - start >= self.address_window:
            start, count = now, 0
        self._refused_by_address[address] = (start, count + 1)
        if len(self._refused_by_address) > ADDRESSES_KEPT:
            self._forget_old_addresses(now)

    def _forget_old_addresses(self, now: float) -> None:
        for address, (start, _) in list(self._refused_by_address.items()):
            if now - start >= self.address_window:
                del self._refused_by_address[address]
        while len(self._refused_by_address) > ADDRESSES_KEPT:  # all recent: the oldest go
            del self._refused_by_address[next(iter(self._refused_by_address))]

    def _address_retry_after(self, address: str) -> int | None:
        now = self._clock()
        start, refused = self._refused_by_address.get(address, (now, 0))
        if now - start >= self.address_window:
            start, refused = now, 0
        if refused + self._waiting_by_address.get(address, 0) < self.per_address:
            return None
        return max(1, math.ceil(start + self.address_window - now))

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

