"""A websocket client that costs its process next to nothing per frame: the relay benchmark's instrument.

The benchmark runs 1,000 connections on the same two cores as the relays they measure. With
the websockets library (a task per connection, and per frame a frame object, a UTF-8 decode,
a queue and a wake-up), the client processes used more CPU than the two relays together, so
the figures said as much about the clients' queueing for a core as about the relay.

This client is an ``asyncio.Protocol``: each chunk the kernel hands over is cut at frame
boundaries and nothing more. A text frame's payload is kept as bytes with the arrival time
of the chunk that completed it; a ping is answered (uvicorn closes a connection that does
not answer its pings); decoding and matching wait until the measured window is over.
The same client takes the direct baseline too, so both sides of a latency are timed alike.

It speaks ws:// and wss:// (the load test of benchmarks/relay_load_test.py, against a
deployed relay). RFC 6455 as far as a measuring client needs it: the HTTP/1.1 upgrade with one extra header,
unmasked server frames of any length, continuation frames, ping, close. A client's frames
(its pongs) are masked as the RFC requires, with a zero key: the mask is there to protect
proxies from crafted payloads, and a pong echoes the server's own bytes.
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
import time
from urllib.parse import urlsplit

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    """The server answered the upgrade with something other than 101."""


class Collector(asyncio.Protocol):
    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.opened = asyncio.get_running_loop().create_future()
        self.frames: list[tuple[float, bytes]] = []  # (arrival, payload) of each text message
        self._buffer = bytearray()
        self._upgraded = False
        self._partial: list[bytes] | None = None  # a text message arriving in continuation frames
        self.closed_at: float | None = None  # when the connection ended (time.time()), if it has
        self.keeping = True  # False: frames are cut apart (pings answered) but not kept

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        self.closed_at = time.time()
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))

    def data_received(self, data: bytes) -> None:
        arrival = time.time()
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:end]).split(b"\r\n", 1)[0].split(b" ", 2)
            del buffer[:end + 4]
            if len(status) < 2 or status[1] != b"101":
                self.opened.set_exception(HandshakeRefused(b" ".join(status[1:]).decode("latin-1")))
                self.transport.abort()
                return
            self._upgraded = True
            self.opened.set_result(None)
        self._cut(arrival)

    def _cut(self, arrival: float) -> None:
        buffer, position, size = self._buffer, 0, len(self._buffer)
        while size - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length, head = second & 0x7F, 2
            if length == 126:
                if size - position < 4:
                    break
                length, head = int.from_bytes(buffer[position + 2:position + 4], "big"), 4
            elif length == 127:
                if size - position < 10:
                    break
                length, head = int.from_bytes(buffer[position + 2:position + 10], "big"), 10
            end = position + head + length
            if end > size:
                break
            payload = bytes(buffer[position + head:end])
            position = end
            opcode, final = first & 0x0F, bool(first & 0x80)
            if opcode == TEXT and final:
                if self.keeping:
                    self.frames.append((arrival, payload))
            elif opcode == TEXT:
                self._partial = [payload]
            elif opcode == CONTINUATION and self._partial is not None:
                self._partial.append(payload)
                if final:
                    if self.keeping:
                        self.frames.append((arrival, b"".join(self._partial)))
                    self._partial = None
            elif opcode == PING:
                self.transport.write(bytes((0x80 | PONG, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
            elif opcode == CLOSE:
                self.transport.close()
        if position:
            del buffer[:position]


def upgrade_request(url: str, token: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "wss" else 80)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {token}\r\n\r\n")
    return host, port, request.encode()


async def connect(url: str, token: str, timeout: float = 30.0) -> Collector:
    """An open connection (its handshake answered 101), collecting from now on."""
    host, port, request = upgrade_request(url, token)
    # wss:// (a deployed relay behind TLS, the load test): the system's trusted certificates.
    secure = ssl.create_default_context() if url.startswith("wss://") else None
    _, collector = await asyncio.get_running_loop().create_connection(lambda: Collector(request), host, port,
                                                                      ssl=secure)
    try:
        await asyncio.wait_for(asyncio.shield(collector.opened), timeout)
    except BaseException:
        collector.transport.abort()
        raise
    return collector
