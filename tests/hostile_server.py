"""A small hostile HTTP/1.1 server on 127.0.0.1, for the faults the sandbox never produces.

Each path has a scripted answer written straight to the socket: a body far bigger than it
says or with no length at all, one byte at a time, a list endpoint answering a string, a
``Link`` header to another scheme. Every request line is recorded, so a test can tell how
often the client asked. Every answer ends on its own (a bounded number of bytes), so a
client without limits fails the test instead of filling the machine.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any, Awaitable, Callable

Answer = Callable[[asyncio.StreamWriter, str], Awaitable[bool]]  # (writer, request target) -> keep the connection?
ZEROS = bytes(64 * 1024)


class HostileServer:
    def __init__(self, routes: dict[str, Answer] | None = None) -> None:
        self.routes: dict[str, Answer] = dict(routes or {})
        self.requests: list[str] = []
        self._server: asyncio.base_events.Server | None = None
        self._answering: set[asyncio.Task] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "HostileServer":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._answering:  # a drip still dripping, a flood still flooding
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._answering.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                self.requests.append(f"{method} {target}")
                answer = self.routes.get(target.split("?", 1)[0], not_found)
                if not await answer(writer, target):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass  # the client hung up: what a client with limits does
        finally:
            writer.close()
            self._answering.discard(task)


def head(status: str = "200 OK", **headers: Any) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def not_found(writer: asyncio.StreamWriter, target: str) -> bool:
    writer.write(head("404 Not Found", Content_Type="application/json", Content_Length=2) + b"{}")
    await writer.drain()
    return True


def json_answer(body: Any, **headers: Any) -> Answer:
    """An honest answer with this JSON body (``headers`` may hold a format field ``{port}``)."""
    async def answer(writer: asyncio.StreamWriter, target: str) -> bool:
        data = json.dumps(body).encode()
        writer.write(head(Content_Type="application/json", Content_Length=len(data), **headers) + data)
        await writer.drain()
        return True
    return answer


def redirect_to(location: str) -> Answer:
    async def answer(writer: asyncio.StreamWriter, target: str) -> bool:
        writer.write(head("302 Found", Location=location, Content_Length=0))
        await writer.drain()
        return True
    return answer


def flood(total: int, *, declared: int | None = None, chunked: bool = False, status: str = "200 OK",
          **headers: Any) -> Answer:
    """``total`` zero bytes as fast as the socket takes them, saying ``Content-Length: declared``
    (or nothing, or chunked), then the connection closes."""
    async def answer(writer: asyncio.StreamWriter, target: str) -> bool:
        fields: dict[str, Any] = {"Content_Type": "application/octet-stream", **headers}
        if chunked:
            fields["Transfer_Encoding"] = "chunked"
        elif declared is not None:
            fields["Content_Length"] = declared
        else:
            fields["Connection"] = "close"  # the body runs until the server hangs up
        writer.write(head(status, **fields))
        sent = 0
        while sent < total:
            piece = ZEROS[: min(len(ZEROS), total - sent)]
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            sent += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return False
    return answer


def gzip_bomb(expanded: int) -> Answer:
    """A small, honest ``Content-Length`` of gzip that inflates to ``expanded`` bytes."""
    packed = gzip.compress(bytes(expanded), compresslevel=9)

    async def answer(writer: asyncio.StreamWriter, target: str) -> bool:
        writer.write(head(Content_Type="application/json", Content_Encoding="gzip", Content_Length=len(packed)) + packed)
        await writer.drain()
        return True
    return answer


def drip(body: bytes, every: float) -> Answer:
    """An honest ``Content-Length``, then one byte every ``every`` seconds: never stalled long
    enough for a per-read timeout, never finished in useful time."""
    async def answer(writer: asyncio.StreamWriter, target: str) -> bool:
        writer.write(head(Content_Type="application/json", Content_Length=len(body)))
        for i in range(len(body)):
            writer.write(body[i:i + 1])
            await writer.drain()
            await asyncio.sleep(every)  # the server's pace, not the test waiting for something
        return True
    return answer
