"""One HTTP conversation with one Canvas: origin checks, the token, retries, pacing, errors.

Everything the client sends goes through ``CanvasHTTP.request``:
- the token is attached only to URLs on the configured origin; a link or redirect that
  leaves it is refused before anything is sent (downloads and the upload's second step,
  which go out without the token, may follow it);
- GET, PUT and DELETE are retried on throttling, 5xx, timeouts and dropped connections,
  with capped exponential backoff and full jitter; a POST only when it surely did not
  reach Canvas (the connection was never made, or Canvas refused it as throttled);
- the pace slows as ``X-Rate-Limit-Remaining`` falls, before Canvas starts refusing;
- a server cannot exhaust the app: every body is read streamed and capped (``max_body``,
  whatever ``Content-Length`` says or does not say), and every exchange has an overall
  ``deadline`` on top of httpx's per-read timeout, so a server dripping a byte every few
  seconds ends in an error instead of "loading" for ever;
- every failure becomes one ``CanvasError`` with a message fit for a user.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from .lazy_httpx import httpx

from .bodies import ACCEPTED_ENCODINGS, MAX_BODY, MAX_DOWNLOAD, read_capped
from .errors import (AuthError, CanvasError, ConfigurationError, DeadlineExceeded, ForeignOriginError,
                     MasqueradeRefused, NetworkError, NotFoundError, PermissionDenied, ServerError, SIGN_IN_AGAIN,
                     SignInNeeded, ThrottledError, UNREACHABLE, ValidationError)
from .origins import WEB_SCHEMES, is_loopback, origin_of, origins_apart, where
from .token_source import TokenSource, as_source
from .tokens import Token

log = logging.getLogger("tui_inbox.canvas")
# Who hears that a request is being tried again: (the attempt about to start, of how many, why).
# Set for one task and what it awaits (a send), so the composer can say "retrying (2 of 5)"
# for its own message while background loads retry silently.
retry_listener: ContextVar[Callable[[int, int, "CanvasError"], None] | None] = ContextVar("retry_listener",
                                                                                          default=None)
# Pages of one listing: 200,000 conversations at 100 a page, far past any real inbox; a server
# whose next links never end is stopped here (pagination.py).
MAX_PAGES = 2000
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Canvas answers every id as a string when asked with this media type (JavaScript loses precision past 2**53).
STRING_IDS = "application/json+canvas-string-ids"


def not_a_url(text: str) -> ConfigurationError:
    return ConfigurationError(f"The Canvas URL {text!r} is not a URL; use e.g. https://canvas.example.edu")


def checked_base_url(base_url: str) -> str:
    """The Canvas root URL as text, refused unless https (plain http only for this machine).

    Read with the standard library's ``urlsplit``, not ``httpx.URL``: a start from the cache makes
    its client before the first frame, and importing httpx there would slow that frame down
    (lazy_httpx.py). ``CanvasHTTP.base_url`` parses it with httpx at the first request."""
    text = base_url.strip().rstrip("/")
    if text.endswith("/api/v1"):
        text = text[: -len("/api/v1")]
    if not text.isprintable() or any(c.isspace() for c in text):
        raise not_a_url(base_url)
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # a port that is not a number (or out of range) raises
    except ValueError:
        raise not_a_url(base_url) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"The Canvas URL {base_url!r} must start with https://, e.g. https://canvas.example.edu")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigurationError(
            f"Refusing plain http for {host}: the token would travel unencrypted. Use https://{host}"
        )
    return text


@dataclass
class RetryPolicy:
    attempts: int = 5
    base: float = 0.25
    cap: float = 10.0
    throttle_floor: float = 1.0  # after a throttle refusal, wait at least this long

    def delay(self, attempt: int, throttled: bool = False) -> float:
        ceiling = min(self.cap, self.base * 2**attempt)
        delay = random.uniform(0, ceiling)  # full jitter, so many clients do not retry in step
        return max(delay, self.throttle_floor * (attempt + 1)) if throttled else delay


class Pacer:
    """Slows requests down as Canvas's bucket fills (``X-Rate-Limit-Remaining``) and bounds concurrency."""

    def __init__(self, concurrency: int, low_water: float = 150.0, leak_per_second: float = 10.0) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.low_water = low_water
        self.leak = leak_per_second
        self.remaining: float | None = None

    def observe(self, response: httpx.Response) -> None:
        raw = response.headers.get("X-Rate-Limit-Remaining")
        if raw is not None:
            try:
                self.remaining = float(raw)
            except ValueError:
                pass

    def pause(self) -> float:
        """How long to wait before the next request, given what the last answer said."""
        if self.remaining is None or self.remaining >= self.low_water:
            return 0.0
        return min(5.0, (self.low_water - self.remaining) / self.leak)


def is_throttled(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and "rate limit exceeded" in response.text.lower()


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: hostile nesting, deeper than json can follow
        return None


def _pairs(body: Any) -> list[tuple[str, str]]:
    """(attribute, message) pairs from any of Canvas's error shapes."""
    if isinstance(body, list):
        return [(str(e.get("attribute", "")), str(e.get("message", ""))) for e in body if isinstance(e, dict)]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict):
            out = []
            for field, items in errors.items():
                for item in items if isinstance(items, list) else [items]:
                    message = item.get("message") if isinstance(item, dict) else item
                    out.append((str(field), str(message)))
            return out
        if isinstance(errors, list):
            return [("", str(e.get("message", ""))) for e in errors if isinstance(e, dict)]
        if "message" in body:
            return [("", str(body["message"]))]
    return []


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from(response: httpx.Response) -> CanvasError:
    """The CanvasError for a refusal, with a message that says what to do."""
    status = response.status_code
    body = _json_or_none(response)
    pairs = _pairs(body)
    said = _one_line("; ".join(f"{a}: {m}" if a and m else (a or m) for a, m in pairs))
    if is_throttled(response):
        return ThrottledError("Canvas is rate-limiting requests; slowing down and trying again.", status=status)
    if status == 401:
        if isinstance(body, dict) and body.get("errors") == "Invalid as_user_id":
            # Canvas's answer to a masquerade it refuses, also when the user does not exist.
            return MasqueradeRefused("Canvas refused to act as that user: the user does not exist, or this token "
                                    "may not act as users (an admin's \"act as users\" permission).", status=401)
        if isinstance(body, dict) and body.get("status") == "unauthorized":
            return PermissionDenied("Canvas says you are not allowed to do that.", status=401)
        if isinstance(body, dict) and body.get("status") == "unauthenticated":
            return AuthError("Canvas wants a token: set [canvas] token, token_command or CANVAS_TOKEN.", status=401)
        if isinstance(body, list):
            return PermissionDenied(f"Canvas refused: {said or 'not allowed'}.", status=401)
        reason = said or "invalid access token"
        return AuthError(
            f"Canvas refused the access token ({reason.rstrip('.')}): make a new one under "
            "Account > Settings > New Access Token and update the config, or sign in with your browser "
            "instead (`tui-inbox login`; a school that turns personal tokens off allows only that).",
            status=401,
        )
    if status == 403:
        return PermissionDenied(f"Canvas says you are not allowed to do that{': ' + said if said else ''}.", status=403)
    if status == 404:
        return NotFoundError("Not found on Canvas: it was deleted, or you are not part of it.", status=404)
    if status in (400, 422):
        field = next((a for a, _ in pairs if a), None)
        return ValidationError(f"Canvas refused the request: {said or 'invalid input'}.", field=field, errors=pairs,
                               status=status)
    if status >= 500:
        return ServerError(f"Canvas had a server error (HTTP {status}); try again in a moment.", status=status)
    return CanvasError(f"Canvas answered HTTP {status}{': ' + said if said else ''}.", status=status)


@functools.cache
def tls_context(trust_env: bool):
    """httpx's own TLS context (certifi's certificates, or SSL_CERT_FILE / SSL_CERT_DIR where the
    environment is trusted), made once per process: each client made its own, loading the
    certificate store again (20 ms of CPU), and a process that opens several accounts, or a
    test suite, makes many."""
    return httpx.create_ssl_context(trust_env=trust_env)


class CanvasHTTP:
    def __init__(
        self,
        base_url: str,
        token: str | TokenSource,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        deadline: float = 60.0,
        max_body: int = MAX_BODY,
        download_deadline: float = 1800.0,
        max_download: int = MAX_DOWNLOAD,
        max_pages: int = MAX_PAGES,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        user_agent: str = "tui-inbox/0.1",
        string_ids: bool = False,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """``timeout`` bounds each read and connect; ``deadline`` one whole exchange (headers and body, redirects
        included, waits in the pacer not); ``max_body`` an API answer. A download has its own, larger bounds.

        ``client`` shares one connection pool among many CanvasHTTPs (a relay asks Canvas with a
        different token per user): its owner closes it, and this one's headers go on each request."""
        self.base_text = checked_base_url(base_url)
        self._base_url: httpx.URL | None = None
        self.deadline = deadline
        self.max_body = max_body
        self.download_deadline = download_deadline
        self.max_download = max_download
        self.max_pages = max_pages
        self.tokens = as_source(token)  # asked at each request: a signed-in token is renewed there
        self.retry = retry or RetryPolicy()
        self.pacer = Pacer(concurrency)
        self.concurrency = concurrency
        self._sleep = sleep
        # Only what bodies.py decodes in bounded pieces (httpx would inflate a whole chunk at once).
        self._base_headers = {"User-Agent": user_agent, "Accept": STRING_IDS if string_ids else "application/json",
                              "Accept-Encoding": ACCEPTED_ENCODINGS}
        self._owns_client = client is None
        self._client = client
        self._client_settings = (transport, timeout)
        # Told whenever a request succeeds: the live feed and the cache learn from it that Canvas
        # is reachable again without waiting for the next poll (see on_answer).
        self._answer_listeners: list[Callable[[], None]] = []

    @property
    def base_url(self) -> httpx.URL:
        """The root URL parsed by httpx, at the first use (see checked_base_url)."""
        if self._base_url is None:
            try:
                self._base_url = httpx.URL(self.base_text)
            except Exception:
                raise not_a_url(self.base_text) from None
        return self._base_url

    @property
    def host(self) -> str:
        """The Canvas host, without parsing the URL with httpx: what the title bar shows."""
        return urlsplit(self.base_text).hostname or ""

    @property
    def origin(self) -> tuple[str, str, int]:
        return origin_of(self.base_url)

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made at the first request: making it loads the TLS certificates
        (a fifth of a second on a busy machine), which a start from the cache would otherwise
        pay before its first frame, for a request it sends only after."""
        if self._client is None:
            transport, timeout = self._client_settings
            trust_env = not is_loopback(self.base_url.host)
            self._client = httpx.AsyncClient(
                transport=transport,
                verify=tls_context(trust_env),
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                follow_redirects=False,
                headers=self._base_headers,
                limits=httpx.Limits(max_connections=max(self.concurrency * 2, 10),
                                    max_keepalive_connections=self.concurrency * 2),
                # A proxy from the environment must never see a loopback (plain http) request and its token.
                trust_env=trust_env,
            )
        return self._client

    def __repr__(self) -> str:
        return f"CanvasHTTP(base_url={self.base_text!r}, token=***)"

    @property
    def token(self) -> Token:
        """The current token, still wrapped (its repr hides it)."""
        return self.tokens.current()

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    def on_answer(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` each time a request succeeds (Canvas is reached, and answers as it
        should: a refusal or a broken answer is no sign that the outage is over, and catching up on
        it would only meet the same); returns the function that stops it. Called on the event
        loop, so it must not block."""
        self._answer_listeners.append(listener)

        def stop() -> None:
            if listener in self._answer_listeners:
                self._answer_listeners.remove(listener)

        return stop

    def _answered(self) -> None:
        for listener in list(self._answer_listeners):
            try:
                listener()
            except Exception:  # whoever listens must not turn an answer into a failed request
                log.exception("a listener to Canvas's answers failed")

    async def backoff(self, attempt: int, throttled: bool = False) -> None:
        """Wait as the retry policy says before attempt ``attempt + 1``."""
        await self._sleep(self.retry.delay(attempt, throttled))

    # -- URLs ------------------------------------------------------------------------
    def url(self, path_or_url: str | httpx.URL) -> httpx.URL:
        url = httpx.URL(str(path_or_url))
        if url.is_relative_url and not url.scheme:  # httpx calls file:///x "relative" (it has no host)
            path = str(path_or_url)
            if not path.startswith("/"):
                path = "/api/v1/" + path
            url = self.base_url.join(path)
        return url

    def same_origin(self, url: httpx.URL) -> bool:
        return origin_of(url) == self.origin

    def _headers(self, url: httpx.URL, token: Token | None) -> dict[str, str]:
        headers = {} if self._owns_client else dict(self._base_headers)
        if token is not None and self.same_origin(url):
            headers["Authorization"] = f"Bearer {token.reveal()}"
        return headers

    # -- requests --------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path_or_url: str | httpx.URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        files: Any = None,
        auth: bool = True,
        retry: bool | None = None,
        follow_foreign: bool = False,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request (with retries) and return a 2xx answer, or raise a CanvasError.

        ``retry`` None means: retry if the method is idempotent. ``follow_foreign`` lets a
        redirect leave the Canvas origin (without the token): for downloads and uploads.

        A signed-in token that Canvas refuses (it expired) is renewed once (token_source.py) and
        the request sent once more: a 401 means Canvas did nothing, so even a POST may go again.
        """
        arguments = (method, path_or_url, params, data, json, files, auth, retry, follow_foreign, stream)
        stale = self.tokens.current() if auth else None
        try:
            return await self._request(*arguments, stale)
        except AuthError as refused:
            if stale is None or not self.tokens.renewable or isinstance(refused, SignInNeeded):
                raise
        fresh = await self.tokens.refresh(stale)  # SignInNeeded if Canvas will not renew it
        try:
            return await self._request(*arguments, fresh)
        except AuthError:
            raise SignInNeeded(f"Canvas refused the sign-in even after renewing it: {SIGN_IN_AGAIN}.") from None

    async def _request(self, method, path_or_url, params, data, json, files, auth, retry, follow_foreign, stream,
                       token: Token | None) -> httpx.Response:
        method = method.upper()
        url = self.url(path_or_url)
        data = form_fields(data)
        if url.scheme not in WEB_SCHEMES:
            raise ForeignOriginError(f"Refusing to fetch {url.scheme or 'a'}: URL {str(url)[:80]!r}: only http(s) is "
                                     "followed.")
        if auth and not self.same_origin(url):
            there, home = origins_apart(url, self.base_url)
            raise ForeignOriginError(f"Refusing to send the Canvas token to {there}: it is not {home}.")
        may_retry = method in IDEMPOTENT if retry is None else retry
        attempts = self.retry.attempts
        last_error: CanvasError | None = None
        for attempt in range(attempts):
            try:
                response = await self._send_following(method, url, params, data, json, files, token,
                                                      follow_foreign, stream)
            except DeadlineExceeded:
                # Not retried: a server that used the whole deadline would use it again, and five
                # attempts would keep the user waiting five times as long for the same error.
                # (ResponseTooLarge is not caught at all: the same request gets the same answer.)
                raise
            except NetworkError as exc:
                last_error = exc
                if exc.sent and not may_retry:
                    raise
            else:
                if response.is_success:
                    self._answered()
                    return response
                error = error_from(response)  # its body was read (capped) in _send_following
                last_error = error
                if isinstance(error, ThrottledError):
                    pass  # Canvas refused before acting: safe to send again, even a POST
                elif isinstance(error, ServerError) and may_retry:
                    pass
                else:
                    raise error
            if attempt + 1 < attempts:
                log.info("retrying %s %s after: %s", method, url.path, last_error)
                listener = retry_listener.get()
                if listener is not None:
                    listener(attempt + 2, attempts, last_error)
                await self.backoff(attempt, throttled=isinstance(last_error, ThrottledError))
        assert last_error is not None
        raise last_error

    async def _send_following(self, method, url, params, data, json_body, files, token, follow_foreign, stream):
        loop = asyncio.get_running_loop()
        budget = self.deadline  # for this attempt, spent only while talking to a server
        for _ in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(
                method, url, params=params, data=data, json=json_body, files=files, headers=self._headers(url, token)
            )
            try:
                async with self.pacer.slots:
                    # Decided once a slot is free, from the latest answer: when many requests
                    # start together, each sees what the ones before it were told.
                    pause = self.pacer.pause()
                    if pause:
                        await self._sleep(pause)
                    started = loop.time()
                    try:
                        async with asyncio.timeout(budget) as scope:
                            response = await self._exchange(request, stream)
                    except TimeoutError:
                        if not scope.expired():
                            raise
                        raise DeadlineExceeded(
                            f"{where(url)} did not finish answering within {self.deadline:g} s: gave up; "
                            "the server or the connection is too slow right now.") from None
                    budget -= loop.time() - started
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                reason = network_reason(exc)  # kept apart: `tui-inbox init` names host and port with it
                raise NetworkError(f"{UNREACHABLE} at {url.host}: {reason}. "
                                   "Check the URL and your connection.", sent=False, reason=reason) from None
            except httpx.TransportError as exc:
                raise NetworkError(f"The connection to {url.host} failed mid-request ({network_reason(exc)}).",
                                   sent=True) from None
            self.pacer.observe(response)
            log.debug("%s %s -> %s", method, url.path, response.status_code)
            if not _follows(response):
                return response
            target = url.join(response.headers["location"])
            if target.scheme not in WEB_SCHEMES or (not self.same_origin(target) and not follow_foreign):
                there, home = origins_apart(target, self.base_url)
                raise ForeignOriginError(f"Canvas redirected to {there}, which is not {home}: refused.")
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, data, json_body, files = "GET", None, None, None
            url, params = target, None
        raise ServerError("Canvas redirected too many times.")

    async def _exchange(self, request: httpx.Request, stream: bool) -> httpx.Response:
        """Send, and read the body unless the caller streams a success or it is a redirect to follow."""
        # Never let httpx read an unbounded body, nor follow a redirect itself (a shared client might).
        response = await self._http.send(request, stream=True, follow_redirects=False)
        try:
            if _follows(response):
                await response.aclose()  # its body is never used
            elif not (stream and response.is_success):
                await read_capped(response, self.max_body)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def json(self, method: str, path_or_url: str | httpx.URL, **kwargs: Any) -> Any:
        response = await self.request(method, path_or_url, **kwargs)
        return parse_json(response)

    async def json_list(self, method: str, path_or_url: str | httpx.URL, **kwargs: Any) -> list:
        """An endpoint that answers a list: anything else (a string, an object) is an error, not rows."""
        response = await self.request(method, path_or_url, **kwargs)
        return expect_list(parse_json(response), response)


def _follows(response: httpx.Response) -> bool:
    return response.status_code in REDIRECTS and "location" in response.headers


def expect_list(body: Any, response: httpx.Response) -> list:
    if isinstance(body, list):
        return body
    kind = {str: "a string", dict: "an object", type(None): "nothing"}.get(type(body), type(body).__name__)
    raise ServerError(f"Canvas sent {kind} where a list was expected ({where(response.url)}{response.url.path}); "
                      "a proxy or a broken server may be in the way.", status=response.status_code)


def form_fields(data: Any) -> Any:
    """Canvas's repeated fields (``recipients[]``) as the dict of lists httpx encodes."""
    if not isinstance(data, list):
        return data
    fields: dict[str, Any] = {}
    for key, value in data:
        if key in fields:
            if not isinstance(fields[key], list):
                fields[key] = [fields[key]]
            fields[key].append(value)
        else:
            fields[key] = [value] if key.endswith("[]") else value
    return fields


def parse_json(response: httpx.Response) -> Any:
    text = response.text
    if not text.strip():
        return None
    # Canvas prefixes JSON with while(1); for session-authenticated requests; tolerate it anyway.
    if text.startswith("while(1);"):
        text = text[len("while(1);"):]
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting, deeper than json can follow
        raise ServerError(
            f"Canvas sent a reply that is not valid JSON (HTTP {response.status_code} from {response.url.host}); "
            "a proxy or an outage may be in the way.",
            status=response.status_code,
        ) from None


# An https handshake answered in plain http (the sandbox, a local dev server, a wrong port): OpenSSL
# reads the "HTTP/1.1" of the answer as a TLS record and says "wrong version number".
NOT_HTTPS = "the server there does not speak https"


def network_reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "wrong_version_number" in lowered or "wrong version number" in lowered:
        return NOT_HTTPS
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "unknown host"
    if "reset" in lowered:
        return "connection reset"
    return _one_line(text, 80)
