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

Each connection is one file: the protocols tell the ``FileBudget`` (open_files.py) when one
opens and closes, and a websocket upgrade that comes when files are short is answered 503
here, before the application (and Canvas) are asked anything. While files are short, a new
connection gets a shorter header deadline, so silent ones make room sooner.
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from .open_files import FileBudget

# While files are short, a connection that is slow to say what it wants gets this long at most.
SHORT_OF_FILES_HEADER_SECONDS = 1.0
FILES_RETRY_AFTER = "5"
FILES_SHORT_BODY = json.dumps({
    "errors": [{"message": "This relay has no room for another connection now; try another or retry shortly."}],
    "reason": "open_files"}).encode()


def guarded_protocols(budget: FileBudget, header_timeout: float, *, timed_out=None, refused=None
                      ) -> tuple[type[asyncio.Protocol], type[asyncio.Protocol]]:
    """The (http, ws) protocol classes for ``uvicorn.Config``. ``timed_out`` and ``refused`` are
    optional prometheus Counters labelled by stage and by reason."""

    class DeadlineH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _upgraded = False

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            budget.opened()
            seconds = min(header_timeout, SHORT_OF_FILES_HEADER_SECONDS) if budget.short else header_timeout
            self._arm(seconds)

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
                self._refuse_for_files()
                return
            self._upgraded = True
            super().handle_websocket_upgrade(event)

        def _refuse_for_files(self) -> None:
            headers = [(b"content-type", b"application/json"), (b"retry-after", FILES_RETRY_AFTER.encode()),
                       (b"connection", b"close"), (b"content-length", str(len(FILES_SHORT_BODY)).encode())]
            try:
                self.transport.write(self.conn.send(h11.Response(status_code=503, headers=headers,
                                                                 reason=b"Service Unavailable")))
                self.transport.write(self.conn.send(h11.Data(data=FILES_SHORT_BODY)))
                self.transport.write(self.conn.send(h11.EndOfMessage()))
            except h11.LocalProtocolError:
                pass
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

    return DeadlineH11Protocol, CountedWebSocketProtocol
