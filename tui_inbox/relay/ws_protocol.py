"""uvicorn's websocket protocol, with the writes of one turn of the event loop sent as one.

A relay instance that falls behind (a burst of events, a busy machine) has several
frames waiting for most connections. uvicorn writes each frame with its own
``transport.write``, and on loopback or a LAN each write is a ``send`` system call that
also pushes the segment through the network stack: measured under benchmarks/relay.py,
that call was the largest single cost of a delivery. Here every write a connection makes
during one turn of the loop after its first goes into a list, and the list is sent with
one ``write`` in the next turn. A connection with one frame to send writes it at once, as
before; one that is behind sends the rest of what it has in one go, so the relay catches
up faster the further behind it is, instead of falling further behind.

Frames keep their order (every write of the connection, handshake, pings and close
included, goes through the same list), and the list is bounded: a connection's writer
drains its queue (``stream.QUEUE_SIZE`` frames at most) and then waits, which ends the
turn. uvicorn's flow control still works: the real transport pauses the protocol when
its own buffer is full, and ``send`` waits for it as before.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class CoalescingTransport:
    """Writes made in one turn of the loop, sent with one ``write`` of the transport beneath."""

    __slots__ = ("_transport", "_loop", "_pending", "_scheduled")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._scheduled:
            self._pending.append(data)
            return
        # The first write of a turn goes out at once: a connection that is not behind (one
        # frame per event) waits for nothing. Those after it in the same turn are the backlog.
        self._transport.write(data)
        self._scheduled = True
        self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()  # a close frame written just before must still go out, after the frames before it
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str):
        # Everything else (is_closing, get_extra_info, pause_reading...) is the real transport's.
        return getattr(self._transport, name)


class CoalescingWebSocketsProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol on a ``CoalescingTransport`` (``uvicorn.Config(ws=...)``)."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]
