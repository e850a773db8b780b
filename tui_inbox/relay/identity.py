"""Who a connecting user is: their Canvas user id, courses and groups, asked of Canvas.

Every handshake's token is checked with Canvas (``GET /users/self``): an OAuth access token
lasts an hour and may be revoked at any moment, and Canvas tells no one when, so an answer
about a token cannot be kept. What the token *proves* can: the user's courses, groups and
sections are cached for a few minutes by user id, so a reconnecting app (with the same token,
or the refreshed one) costs Canvas one request, not three. Canvas's 401 is passed on as it
came (``Refusal``), so an app can tell "Expired access token." (refresh and reconnect) from
"Invalid access token." (sign in again).

The token is used for those requests to the configured Canvas and then forgotten: it is
never kept, logged or sent anywhere else. Concurrent handshakes of one token share one round
trip, keyed by an HMAC of the token with a key made at start-up and never written down; every
request goes through one connection pool (a client per handshake would cost a TLS context,
tens of kilobytes and a new connection each).
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

from ..canvas import AuthError, CanvasClient, CanvasError, RetryPolicy
from ..canvas.origins import is_loopback
from .subjects import course_staff_subject, course_subject, group_subject, section_subject, user_subjects

DEFAULT_TTL = 300.0
# A handshake waits for these answers: one quick second try, not the app's five.
HANDSHAKE_RETRY = RetryPolicy(attempts=2, base=0.2, cap=1.0)
# Each entry is a few ids: ten thousand connected users take a few megabytes at most.
MAX_ENTRIES = 10_000
# Requests to Canvas at once: handshakes of different tokens do not wait on each other's
# (Canvas throttles per token), so this is near the number handshake_limits.py lets wait.
# Each is a file: open_files.py keeps them in its reserve.
POOL_SIZE = 64
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
        return ([user_subjects(self.user_id)] + [course_subject(c) for c in self.course_ids]
                + [course_staff_subject(c) for c in self.staff_course_ids]
                + [section_subject(s) for s in self.section_ids]
                + [group_subject(g) for g in self.group_ids])


INVALID_TOKEN = {"errors": [{"message": "Invalid access token."}]}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Canvas said 401 for this token; ``body`` is Canvas's answer, cut to its messages."""

    body: dict


def refusal_from(response: httpx.Response) -> Refusal:
    """Canvas's 401 body, keeping only its short text fields (server text passed on as text)."""
    try:
        body = response.json()
    except ValueError:
        return Refusal(INVALID_TOKEN)
    errors = body.get("errors") if isinstance(body, dict) else None
    messages = [e["message"][:200] for e in errors or () if isinstance(e, dict) and isinstance(e.get("message"), str)]
    if not messages:
        return Refusal(INVALID_TOKEN)
    kept: dict = {"errors": [{"message": m} for m in messages]}
    if isinstance(body.get("status"), str):
        kept = {"status": body["status"][:50], **kept}
    return Refusal(kept)


class Identities:
    """``resolve(token)``: the token's Identity, or a Refusal when Canvas says 401.

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
        self._cache: OrderedDict[int, tuple[float, Identity]] = OrderedDict()  # by user id
        self._asking: dict[bytes, asyncio.Future] = {}  # resolves in flight, by the token's HMAC

    def __repr__(self) -> str:
        return f"Identities(canvas_url={self.canvas_url!r}, cached={len(self._cache)})"

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).digest()

    async def resolve(self, token: str) -> Identity | Refusal:
        key = self._digest(token)
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask(token))
            asking.add_done_callback(lambda _: self._asking.pop(key, None))
        # shield: one impatient handshake (its client left) must not cancel the others' answer.
        return await asyncio.shield(asking)

    async def _ask(self, token: str) -> Identity | Refusal:
        user_id = await self._whose(token)
        if isinstance(user_id, Refusal):
            return user_id
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(user_id)
            return cached[1]
        identity = await self._ask_canvas(token, user_id)
        if isinstance(identity, Identity):
            self._cache[user_id] = (self._clock() + self.ttl, identity)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return identity

    async def _whose(self, token: str) -> int | Refusal:
        """The token's user id, from Canvas's own answer; a second try for a network fault or a 5xx."""
        url = self.canvas_url.rstrip("/") + "/api/v1/users/self"
        for attempt in range(HANDSHAKE_RETRY.attempts):
            try:
                response = await self._client().get(url, headers={"Authorization": f"Bearer {token}"},
                                                    timeout=15.0)
            except httpx.HTTPError as exc:
                failure: CanvasError = CanvasError(f"Canvas could not be reached ({type(exc).__name__})")
            else:
                if response.status_code == 401:
                    return refusal_from(response)
                if response.status_code == 200:
                    try:
                        return int(response.json()["id"])
                    except (ValueError, KeyError, TypeError):
                        raise CanvasError("Canvas's /users/self answer had no user id", status=200) from None
                failure = CanvasError(f"Canvas answered HTTP {response.status_code}", status=response.status_code)
                if response.status_code < 500:
                    raise failure
            if attempt + 1 < HANDSHAKE_RETRY.attempts:
                await asyncio.sleep(HANDSHAKE_RETRY.delay(attempt))
        raise failure

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # No cookie is ever kept: a session cookie Canvas set for one user must not ride along
            # with the next user's token.
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False,
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE),
                trust_env=not is_loopback(httpx.URL(self.canvas_url).host))
        return self._http

    async def _ask_canvas(self, token: str, user_id: int) -> Identity | Refusal:
        client = CanvasClient(self.canvas_url, token, client=self._client(), deadline=15.0,
                              retry=HANDSHAKE_RETRY)
        try:
            courses = await client.get_courses(enrollment_state="active", include=("sections",))
            groups = await client.get_groups()
        except AuthError:
            return Refusal(INVALID_TOKEN)  # revoked between the two questions
        finally:
            await client.aclose()
        return Identity(user_id, tuple(sorted({c.id for c in courses})), tuple(sorted({g.id for g in groups})),
                        staff_course_ids=tuple(sorted({c.id for c in courses if STAFF_TYPES & set(c.enrollment_types)})),
                        section_ids=tuple(sorted({s for c in courses for s in c.section_ids})))
