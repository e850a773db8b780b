"""Data Services' POSTs to the subscriber: HTTP/1.1 over kept-alive connections, framed by h11.

At a school's rate (100 events a second) the sender shares the sandbox's one loop with the
API and the live stream. httpx spent about 1.5 ms of that loop per POST (most of it in its
pool's checks of every idle connection, through anyio), a third of the loop at 100 a second.
One POST to one URL needs far less: h11 (the HTTP/1.1 engine beneath httpx and uvicorn)
frames the request and reads the answer; this module keeps the connections.

A connection goes back to the pool only after a complete answer that leaves it reusable
(h11 says both sides are DONE); an answer body past ``read_limit`` closes it instead, so a
hostile subscriber cannot make the sandbox hold its body. An idle connection the subscriber
closed is noticed before reuse (its reader saw EOF); one closed in the instant between is
tried once more on a new connection, before any answer was read, as httpx does.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import h11

CHUNK = 64 * 1024


class PostFailed(Exception):
    """The POST got no complete answer; ``reason`` is the one word the stats keep."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Connection:
    __slots__ = ("reader", "writer", "h11")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class SubscriberHTTP:
    def __init__(self, *, user_agent: str, max_idle: int = 8) -> None:
        self._user_agent = user_agent.encode()
        self._max_idle = max_idle
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def post(self, url: str, body: bytes, content_type: str, *, read_limit: int) -> int:
        """POST ``body`` and return the answer's status once it is whole (or ``read_limit`` of its body
        has come). Raises PostFailed for a refused or broken connection or a malformed answer."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PostFailed("InvalidURL")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        headers = [("Host", host), ("User-Agent", self._user_agent), ("Content-Type", content_type),
                   ("Content-Length", str(len(body)))]
        request = h11.Request(method="POST", target=target, headers=headers)
        reused = self._take(key)
        if reused is not None:
            try:
                return await self._exchange(key, reused, request, body, read_limit, reused=True)
            except _StaleConnection:
                pass  # the subscriber closed it as it was taken, before any answer: once more, on a new one
        return await self._exchange(key, await self._open(key), request, body, read_limit, reused=False)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    # -- connections ---------------------------------------------------------------------------
    def _take(self, key) -> _Connection | None:
        pool = self._idle.get(key)
        while pool:
            connection = pool.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    def _give_back(self, key, connection: _Connection) -> None:
        pool = self._idle.setdefault(key, [])
        if len(pool) < self._max_idle:
            pool.append(connection)
        else:
            connection.close()

    async def _open(self, key) -> _Connection:
        scheme, host, port = key
        tls = None
        if scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            tls = self._tls
        try:
            reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=CHUNK)
        except ssl.SSLError:
            raise PostFailed("SSLError") from None
        except OSError:
            raise PostFailed("ConnectError") from None
        return _Connection(reader, writer)

    async def _exchange(self, key, connection: _Connection, request: h11.Request, body: bytes,
                        read_limit: int, *, reused: bool) -> int:
        answered = keep = False
        try:
            wire = connection.h11
            connection.writer.write(wire.send(request) + wire.send(h11.Data(data=body)) + wire.send(h11.EndOfMessage()))
            await connection.writer.drain()
            status, read = 0, 0
            while True:
                event = wire.next_event()
                if event is h11.NEED_DATA:
                    data = await connection.reader.read(CHUNK)
                    if not data and reused and not answered:
                        raise _StaleConnection
                    wire.receive_data(data)
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    status, answered = event.status_code, True
                elif isinstance(event, h11.Data):
                    read += len(event.data)
                    if read > read_limit:
                        return status  # enough of a body: the connection is not kept (memory stays bounded)
                elif isinstance(event, h11.EndOfMessage):
                    keep = wire.our_state is h11.DONE and wire.their_state is h11.DONE
                    if keep:
                        wire.start_next_cycle()
                    return status
                elif isinstance(event, h11.ConnectionClosed):
                    raise PostFailed("RemoteProtocolError")
        except h11.ProtocolError:
            raise PostFailed("RemoteProtocolError") from None
        except OSError:  # reset, broken pipe
            if reused and not answered:
                raise _StaleConnection from None
            raise PostFailed("ReadError") from None
        finally:
            if keep:
                self._give_back(key, connection)
            else:
                connection.close()


class _StaleConnection(Exception):
    """A kept-alive connection the subscriber had closed: the POST is tried once on a new one."""
