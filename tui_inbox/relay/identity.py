"""Who a connecting user is: their Canvas user id, courses and groups, asked of Canvas once.

A user's token is used for three requests to the configured Canvas (``/users/self``, their
active courses, their groups) and then forgotten: it is never kept, logged or sent
anywhere else. What Canvas answered is cached for a few minutes under an HMAC of the
token with a key made at start-up and never written down, so a reconnecting app costs
Canvas nothing, and a memory dump of the relay holds no token and nothing to test a
guessed token against without the key.

Handshakes come in crowds (a relay restarts and every app reconnects; one person has a
laptop and a phone): concurrent resolves of one token share one round trip to Canvas,
and every request goes through one connection pool (a client per handshake would cost
a TLS context, tens of kilobytes and a new connection each).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Callable

import httpx

from ..canvas import AuthError, CanvasClient, RetryPolicy
from ..canvas.origins import is_loopback
from .subjects import course_staff_subject, course_subject, group_subject, section_subject, user_subject

DEFAULT_TTL = 300.0
# A handshake waits for these answers: one quick second try, not the app's five.
HANDSHAKE_RETRY = RetryPolicy(attempts=2, base=0.2, cap=1.0)
# Each entry is a few ids: ten thousand connected users take a few megabytes at most.
MAX_ENTRIES = 10_000
# Enrollment types (the course JSON's ``enrollments[].type``) that see every topic of the
# course, drafts and delayed posts included (topic_audience.py).
STAFF_TYPES = frozenset({"teacher", "ta", "designer"})


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: int
    course_ids: tuple[int, ...]
    group_ids: tuple[int, ...]
    staff_course_ids: tuple[int, ...] = ()  # courses the user teaches, assists in or designs
    section_ids: tuple[int, ...] = ()  # the sections of every enrollment of theirs

    def subjects(self) -> list[str]:
        """Every delivery subject this user's connection listens on (see subjects.py)."""
        return ([user_subject(self.user_id)] + [course_subject(c) for c in self.course_ids]
                + [course_staff_subject(c) for c in self.staff_course_ids]
                + [section_subject(s) for s in self.section_ids]
                + [group_subject(g) for g in self.group_ids])


class Identities:
    """``resolve(token)``: the token's Identity, or None when Canvas says 401 (a bad token).

    Other failures (Canvas unreachable, a 5xx) raise the client's ``CanvasError``: the
    caller refuses the connection for now without calling the token bad.
    """

    def __init__(self, canvas_url: str, ttl_seconds: float = DEFAULT_TTL, *, http: httpx.AsyncClient | None = None,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self.canvas_url = canvas_url
        self.ttl = ttl_seconds
        self._http = http
        self._clock = clock
        self._max = max_entries
        self._key = secrets.token_bytes(32)
        self._cache: OrderedDict[bytes, tuple[float, Identity]] = OrderedDict()
        self._asking: dict[bytes, asyncio.Future] = {}  # resolves in flight, by the token's HMAC

    def __repr__(self) -> str:
        return f"Identities(canvas_url={self.canvas_url!r}, cached={len(self._cache)})"

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).digest()

    async def resolve(self, token: str) -> Identity | None:
        key = self._digest(token)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return cached[1]
        self._cache.pop(key, None)
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask_and_remember(key, token))
            asking.add_done_callback(lambda _: self._asking.pop(key, None))
        # shield: one impatient handshake (its client left) must not cancel the others' answer.
        return await asyncio.shield(asking)

    async def _ask_and_remember(self, key: bytes, token: str) -> Identity | None:
        identity = await self._ask_canvas(token)
        if identity is not None:
            self._cache[key] = (self._clock() + self.ttl, identity)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return identity

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # No cookie is ever kept: a session cookie Canvas set for one user must not ride along
            # with the next user's token.
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False,
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
                trust_env=not is_loopback(httpx.URL(self.canvas_url).host))
        return self._http

    async def _ask_canvas(self, token: str) -> Identity | None:
        client = CanvasClient(self.canvas_url, token, client=self._client(), deadline=15.0,
                              retry=HANDSHAKE_RETRY)
        try:
            me = await client.get_self()
            courses = await client.get_courses(enrollment_state="active", include=("sections",))
            groups = await client.get_groups()
        except AuthError:
            return None
        finally:
            await client.aclose()
        return Identity(me.id, tuple(sorted({c.id for c in courses})), tuple(sorted({g.id for g in groups})),
                        staff_course_ids=tuple(sorted({c.id for c in courses if STAFF_TYPES & set(c.enrollment_types)})),
                        section_ids=tuple(sorted({s for c in courses for s in c.section_ids})))
