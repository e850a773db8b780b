"""A link to NATS that is slow for subscriptions: a TCP forwarder on 127.0.0.1 that passes a
client's bytes on at once, except that from the first ``SUB`` of a read it holds them back for
``hold`` seconds (what follows waits behind them: the bytes stay in order, as on one TCP stream).

It reproduces, every time, what a busy machine does now and then: NATS answers a PING before it
has read a SUB that the client made first but wrote later (relay/nats_flush.py).
"""

from __future__ import annotations

import asyncio
import contextlib


class SlowSubscribeLink:
    def __init__(self, target_port: int, hold: float) -> None:
        self.target_port, self.hold = target_port, hold
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "SlowSubscribeLink":
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _pipe(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for task in (self._client_to_server(client_reader, server_writer),
                     self._copy(server_reader, client_writer)):
            running = asyncio.ensure_future(task)
            self._tasks.add(running)

    async def _client_to_server(self, reader, writer) -> None:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue = asyncio.Queue()

        async def send_in_order() -> None:
            while True:
                due, data = await pieces.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(send_in_order())
        try:
            while data := await reader.read(65536):
                at = data.find(b"SUB ")
                if at < 0:
                    pieces.put_nowait((loop.time(), data))
                else:
                    pieces.put_nowait((loop.time(), data[:at]))
                    pieces.put_nowait((loop.time() + self.hold, data[at:]))
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    async def _copy(self, reader, writer) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
