"""The live-event websocket (live-stream.md): connect, read events, reconnect.

Where the token may go is decided once, before anything is sent (``checked_live_url``):
to the Canvas host itself, or to a URL the user configured as trusted, and never over
plain ``ws://`` except to this machine. A URL that fails the check is refused with a
``ConfigurationError``; we never connect without the token instead, because the stream
refuses token-less handshakes anyway and a silent fallback would hide the mistake.

A reconnect sends the last event's id as ``Last-Event-ID`` (resume.py), so the server
replays what was missed; each id is handled once, and the listener is told to resync over
REST only when events may still be missing (``LiveStream._read``).

``LiveStream.run`` never returns and never raises (except when cancelled): every
failure becomes a one-line reason given to the listener, then a backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from ..canvas.lazy_httpx import httpx

from ..canvas.errors import CanvasError, ConfigurationError, SignInNeeded
from ..canvas.http import CanvasHTTP, Token, is_loopback
from ..canvas.token_source import FixedToken, TokenSource
from ..canvas.live_events import LiveEvent
from .backoff import Backoff
from .resume import ResumePoint, usable_id

log = logging.getLogger("tui_inbox.live")

AUTH_REFUSED = (
    "The live stream refused the Canvas token; live updates are off until it is accepted "
    "(check the token in the config)."
)
_HTTP_SCHEME = {"ws": "http", "wss": "https"}


class _NoHandshakeDebug(logging.LoggerAdapter):
    """websockets logs every handshake header at DEBUG, Authorization included.

    It checks ``isEnabledFor(DEBUG)`` once per connection; saying no here keeps the
    token out of the logs even when the app runs with DEBUG logging everywhere.
    """

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_wire_log = _NoHandshakeDebug(logging.getLogger("tui_inbox.live.wire"), {})


def checked_live_url(live_url: str, http: CanvasHTTP, *, trusted: bool = False) -> str:
    """The live URL, if the token may be sent there; otherwise a ConfigurationError saying why.

    May: ``wss://`` (or ``ws://`` to this machine) AND either the Canvas host and port
    (ws<->http, wss<->https) or ``trusted`` (the user put it in their own config).
    """
    text = live_url.strip()
    try:
        url = httpx.URL(text)
    except Exception:
        raise ConfigurationError("The live stream URL is not a URL; use e.g. wss://canvas.example.edu/live") from None
    if url.scheme not in _HTTP_SCHEME or not url.host:
        raise ConfigurationError("The live stream URL must start with wss://, e.g. wss://canvas.example.edu/live")
    where = _where(url)
    if url.scheme == "ws" and not is_loopback(url.host):
        raise ConfigurationError(
            f"Refusing plain ws:// for the live stream at {where}: the token would travel unencrypted. Use wss://."
        )
    if not trusted and not http.same_origin(url.copy_with(scheme=_HTTP_SCHEME[url.scheme])):
        raise ConfigurationError(
            f"Refusing to send the Canvas token to the live stream at {where}: it is not the Canvas host "
            f"{_where(http.base_url)}. Mark the live URL as trusted in the config if you run that relay."
        )
    return str(url)


def _where(url: httpx.URL) -> str:
    """host:port only: never a path or query, which could carry something secret."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port else host


RESYNC = "resync"  # what read_frame returns for a {"resync": true} frame


def read_frame(frame: Any) -> tuple[LiveEvent, str | None] | str | None:
    """One frame as ``(event, its id or None)``, ``RESYNC``, or None for anything else.

    The peer may be a relay we do not control: nothing in a frame may raise out of here
    (deeply nested JSON raises RecursionError, absurd ids ValueError inside the parser), and an
    id that could not be sent back in a header is no id (resume.usable_id).
    """
    if not isinstance(frame, str):  # the contract has text frames only
        return None
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    named = (isinstance(metadata, dict) and isinstance(metadata.get("event_name"), str)) or isinstance(
        data.get("event_name"), str)
    if not named:  # an object, but not an event: a resync, or nothing to tell the app
        return RESYNC if data.get("resync") is True else None
    try:
        return LiveEvent.from_json(data), usable_id(data.get("id"))
    except Exception:
        log.debug("dropped a live event frame that could not be read", exc_info=True)
        return None


def parse_frame(frame: Any) -> LiveEvent | None:
    """One frame as a LiveEvent, or None for anything that is not an event object."""
    item = read_frame(frame)
    return item[0] if isinstance(item, tuple) else None


class StreamListener(Protocol):
    def stream_up(self) -> None: ...
    def stream_resync(self) -> None: ...  # events may have been missed: fetch over REST
    def stream_event(self, event: LiveEvent) -> None: ...
    def stream_down(self, reason: str, auth: bool) -> None: ...


@dataclass
class StreamSettings:
    """Timings and limits; tests shrink them, the defaults are the contract's."""

    backoff: Backoff = field(default_factory=Backoff)  # 1 s growing to 60 s, full jitter
    stable_after: float = 30.0  # a connection up this long resets the backoff
    auth_retry: float = 600.0  # after a 401/403: wait between half this and this
    open_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0  # so no pong for two intervals means reconnect
    close_timeout: float = 2.0  # do not hold shutdown hostage to a dead peer
    max_size: int = 2**20  # a larger frame closes the connection (1009) and we reconnect
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep


class LiveStream:
    def __init__(self, url: str, token: Token | TokenSource, settings: StreamSettings | None = None) -> None:
        self.url = url  # already checked by checked_live_url
        # Asked at each handshake: a renewed sign-in reconnects with the new token.
        self._tokens = FixedToken(token.reveal()) if isinstance(token, Token) else token
        self.settings = settings or StreamSettings()
        parsed = httpx.URL(url)
        self._where = _where(parsed)
        # websockets follows HTTP(S)_PROXY by default. For this machine that is never right:
        # the proxy cannot reach our loopback, and a ws:// handshake would show it the token.
        self._proxy = None if is_loopback(parsed.host) else True
        self.resume = ResumePoint()  # kept across reconnects: what the next handshake resumes from

    def __repr__(self) -> str:
        return f"LiveStream(url={self.url!r}, token=***)"

    async def run(self, listener: StreamListener) -> None:
        # Imported here, once the stream starts: websockets is a tenth of a second of imports
        # that a start from the cache would otherwise pay before its first frame.
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        failures = 0
        s = self.settings
        renewed: Token | None = None  # the token a renewal just brought: refused too, it is not renewed again
        while True:
            opened_at: float | None = None
            token = self._tokens.current()
            headers = {"Authorization": f"Bearer {token.reveal()}"}
            resuming = self.resume.last_id
            if resuming is not None:
                headers["Last-Event-ID"] = resuming
            try:
                async with connect(
                    self.url,
                    additional_headers=headers,
                    open_timeout=s.open_timeout,
                    ping_interval=s.ping_interval,
                    ping_timeout=s.ping_timeout,
                    close_timeout=s.close_timeout,
                    max_size=s.max_size,
                    logger=_wire_log,
                    proxy=self._proxy,
                ) as ws:
                    opened_at = time.monotonic()
                    listener.stream_up()
                    await self._read(ws, listener, resuming is not None)
                reason = f"The live stream at {self._where} closed the connection; reconnecting."
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    if exc.response.status_code == 401 and self._tokens.renewable and token is not renewed:
                        # An expired sign-in: renew it (once, shared with the API's requests), reconnect now.
                        try:
                            renewed = await self._tokens.refresh(token)
                            continue
                        except SignInNeeded as refused:
                            listener.stream_down(str(refused), True)
                            await s.sleep(random.uniform(0.5, 1.0) * s.auth_retry)
                            continue
                        except CanvasError as error:  # Canvas could not be asked: as any connection problem
                            reason = str(error)
                            log.info("%s", reason)
                            listener.stream_down(reason, False)
                            await s.sleep(s.backoff.delay(failures))
                            failures += 1
                            continue
                    # A refused token will not fix itself in a second: report it, then wait long.
                    log.warning("live stream at %s refused the token (HTTP %s)", self._where,
                                exc.response.status_code)
                    listener.stream_down(AUTH_REFUSED, True)
                    await s.sleep(random.uniform(0.5, 1.0) * s.auth_retry)  # jitter, yet never soon
                    continue
                reason = f"The live stream at {self._where} answered HTTP {exc.response.status_code}; retrying."
            except Exception as exc:  # anything else is a connection problem; never let it kill the feed
                reason = self._why(exc)
            if opened_at is not None and time.monotonic() - opened_at >= s.stable_after:
                failures = 0
            log.info("%s", reason)
            listener.stream_down(reason, False)
            await s.sleep(s.backoff.delay(failures))
            failures += 1

    async def _read(self, ws, listener: StreamListener, resuming: bool) -> None:
        """Hand each event to the listener once, and ask for a resync when events may be missing.

        A first connect (nothing to resume from) resyncs at once. A resumed one resyncs only when
        the server says so (``{"resync": true}``) or shows it does not resume: its first event
        carries no id, so it replayed nothing and the gap is unknown.
        """
        if not resuming:
            listener.stream_resync()
        undecided = resuming  # until the first frame shows whether the server resumed
        async for frame in ws:
            item = read_frame(frame)
            if item is None:
                continue
            if item == RESYNC:
                undecided = False
                listener.stream_resync()
                continue
            event, event_id = item
            if undecided and event_id is None:
                listener.stream_resync()
            undecided = False
            if event_id is not None and not self.resume.first_time(event_id):
                continue  # a replayed event this client already handled
            listener.stream_event(event)

    def _why(self, exc: Exception) -> str:
        """One line for the user. Built from the exception's type, never its text or the headers."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

        where = self._where
        if isinstance(exc, ConnectionClosed):
            if exc.sent is not None and exc.sent.code == 1009:  # we closed it: the frame was over max_size
                return f"The live stream at {where} sent a frame that was too large; reconnecting."
            return f"The connection to the live stream at {where} was lost; reconnecting."
        if isinstance(exc, TimeoutError):  # before OSError: TimeoutError is one
            return f"The live stream at {where} did not answer in time; retrying."
        if isinstance(exc, ConnectionRefusedError):
            return f"The live stream at {where} refused the connection; retrying."
        if isinstance(exc, socket.gaierror):
            return f"The live stream host {where} is unknown; retrying."
        if isinstance(exc, ssl.SSLError):
            return f"The TLS connection to the live stream at {where} failed (certificate?); retrying."
        if isinstance(exc, OSError):
            return f"Cannot reach the live stream at {where}; retrying."
        if isinstance(exc, (InvalidHandshake, InvalidURI)):
            return f"The live stream at {where} did not answer as a websocket ({type(exc).__name__}); retrying."
        log.warning("unexpected live stream failure", exc_info=True)
        return f"The live stream at {where} failed ({type(exc).__name__}); retrying."
