"""uvicorn's connection protocols with what a server facing the Internet needs: a header deadline,
and a count of the files its connections hold.

uvicorn waits for a request's headers for ever: a client that sends half a request, or
nothing, or one byte every few seconds, holds a file (and a protocol object) as long as it
likes, and a few thousand of them exhaust the relay (issue 24). Its ``timeout_keep_alive``
only starts after a first response. So the HTTP protocol here arms a timer when the
connection is made (and again when a kept-alive connection waits for its next request),
and closes the connection if the headers have not all arrived when it fires. Once they
have, the request is the application's: the handshake has its own deadline in stream.py,
where a late one can still be answered 503.

Refusals that need no Canvas (an address over its limit, a token refused a moment ago) are
made here too, before the websocket is set up: a flood of a thousand of them otherwise
costs the relay most of a second and delays every honest handshake behind it.

Each connection is one file: the protocols tell the ``FileBudget`` (open_files.py) when one
opens and closes, and a websocket upgrade that comes when files are short is answered 503
here, before the application (and Canvas) are asked anything. While files are short, a new
connection gets a shorter header deadline, so silent ones make room sooner.
"""

from __future__ import annotations

import asyncio
import http
import json
from typing import Callable

import h11
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from . import text_frames

from .open_files import FileBudget

# While files are short, a connection that is slow to say what it wants gets this long at most.
SHORT_OF_FILES_HEADER_SECONDS = 1.0
FILES_RETRY_AFTER = "5"
FILES_SHORT_BODY = json.dumps({
    "errors": [{"message": "This relay has no room for another connection now; try another or retry shortly."}],
    "reason": "open_files"}).encode()


def client_address(config, peer: tuple[str, int] | None, headers: list[tuple[bytes, bytes]]) -> str:
    """Who is connecting, as the application will see it: the peer, or X-Forwarded-For's client
    when the peer is a trusted proxy (uvicorn's own ProxyHeadersMiddleware and its rules)."""
    host = peer[0] if peer else "unknown"
    if _is_proxy(config, host):
        proxy = config.loaded_app
        forwarded = [value for name, value in headers if name == b"x-forwarded-for"]
        if forwarded:
            client, _ = proxy.trusted_hosts.get_trusted_client_address(b", ".join(forwarded).decode("latin1"))
            host = client or host
    return host


def _is_proxy(config, host: str) -> bool:
    proxy = config.loaded_app
    return isinstance(proxy, ProxyHeadersMiddleware) and host in proxy.trusted_hosts


def _raw_answer(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """An HTTP/1.1 answer that closes the connection, without an h11 state to keep."""
    lines = [b"HTTP/1.1 %d %s" % (status, _reason_phrase(status))]
    lines += [k + b": " + v for k, v in headers if k.lower() not in (b"content-length", b"connection")]
    lines += [b"connection: close", b"content-length: %d" % len(body)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _reason_phrase(status: int) -> bytes:
    try:
        return http.HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The Authorization header's bearer token, if it could be one (as stream.py reads it)."""
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin1")
            if text[:7].lower() == "bearer ":
                token = text[7:].strip()
                if token and token.isascii() and token.isprintable() and " " not in token:
                    return token
            return None
    return None


def guarded_protocols(budget: FileBudget, header_timeout: float, *, early: Callable | None = None,
                      over_limit: Callable | None = None, timed_out=None, refused=None
                      ) -> tuple[type[asyncio.Protocol], type[asyncio.Protocol]]:
    """The (http, ws) protocol classes for ``uvicorn.Config``. ``early(address, token)`` returns a
    Starlette Response refusing a websocket handshake before it is set up, or None
    (``HandshakeLimits.early_refusal``); ``over_limit(address)`` one for an address already
    over its limit (``HandshakeLimits.over_limit``), asked when a peer that is no proxy connects.
    ``timed_out`` and ``refused`` are optional prometheus Counters labelled by stage and by reason."""

    class DeadlineH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _upgraded = False
        _checked = False  # whether a peer that is no proxy was checked against its address's limit

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            budget.opened()
            seconds = min(header_timeout, SHORT_OF_FILES_HEADER_SECONDS) if budget.short else header_timeout
            self._arm(seconds)

        def data_received(self, data: bytes) -> None:
            if not self._checked:
                self._checked = True
                # An address over its limit is known before its request is parsed (a thousand parsed
                # requests cost the relay most of a second): answered at once. Read first: closing with
                # the request unread would reset the connection, and the client might never see why.
                if over_limit is not None and self.client and not _is_proxy(self.config, self.client[0]):
                    refusal = over_limit(self.client[0])
                    if refusal is not None:
                        self._disarm()
                        self.transport.write(_raw_answer(refusal.status_code, refusal.raw_headers, refusal.body))
                        self.transport.close()
                        return
            if self.transport.is_closing():
                return
            super().data_received(data)

        def connection_lost(self, exc) -> None:
            self._disarm()
            if not self._upgraded:  # an upgraded connection is the websocket protocol's to count
                budget.closed()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self._deadline is not None and self.conn.their_state is not h11.IDLE:
                self._disarm()  # the headers are in

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE and self._deadline is None:
                self._arm(header_timeout)  # a kept-alive connection: its next request has the same deadline

        def handle_websocket_upgrade(self, event: h11.Request) -> None:
            self._disarm()
            if budget.exhausted():
                if refused is not None:
                    refused.labels(reason="open_files").inc()
                self._answer(503, [(b"content-type", b"application/json"), (b"retry-after", FILES_RETRY_AFTER.encode())],
                             FILES_SHORT_BODY)
                return
            if early is not None:
                # A websocket set up and an application task run cost ten times what this does.
                refusal = early(client_address(self.config, self.client, self.headers), bearer_token(self.headers))
                if refusal is not None:
                    self._answer(refusal.status_code, refusal.raw_headers, refusal.body)
                    return
            self._upgraded = True
            super().handle_websocket_upgrade(event)

        def _answer(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
            """An HTTP answer instead of the upgrade (one write), and the connection closed."""
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"connection")]
            headers += [(b"connection", b"close"), (b"content-length", str(len(body)).encode())]
            try:
                answer = (self.conn.send(h11.Response(status_code=status, headers=headers))
                          + self.conn.send(h11.Data(data=body)) + self.conn.send(h11.EndOfMessage()))
            except h11.LocalProtocolError:
                answer = b""
            if answer:
                self.transport.write(answer)
            self.transport.close()

        def _arm(self, seconds: float) -> None:
            self._deadline = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _headers_too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if timed_out is not None:
                timed_out.labels(stage="headers").inc()
            # Nothing is answered: a client this slow is rarely reading, and a 408 would only
            # wait in its buffer. The file is what matters.
            self.transport.abort()

    class CountedWebSocketProtocol(WebSocketsSansIOProtocol):
        def connection_lost(self, exc) -> None:
            budget.closed()
            super().connection_lost(exc)

        async def run_asgi(self) -> None:
            self.scope["extensions"][text_frames.EXTENSION] = text_frames.TextFrames(
                self.send_text_frame, self.write_text_frame_now)
            await super().run_asgi()

        async def send_text_frame(self, text: str) -> None:
            """One text message, its frame built once for all the connections it goes to (text_frames.py);
            waits as uvicorn's send does while the client is not reading."""
            if not self.writable.is_set():
                await self.writable.wait()
            if not self.write_text_frame_now(text):  # writable now: so the connection is closing
                raise ClientDisconnected()

        def write_text_frame_now(self, text: str) -> bool:
            """The same, at once, or False (nothing written) if it would have to wait or the connection is closing."""
            if (not self.writable.is_set() or self.disconnected or self.close_sent
                    or self.conn.state is not State.OPEN or self.transport.is_closing()):
                return False
            self.transport.write(text_frames.text_frame(text))
            return True

    return DeadlineH11Protocol, CountedWebSocketProtocol
