"""A cable that a test can pull: a TCP forwarder on 127.0.0.1 in front of a real server.

``cut()`` closes every open connection and refuses new ones (a client sees "connection
refused", as when the network is gone), ``restore()`` lets them through again. The server
behind it keeps its state, so a test can go offline, act, come back, and check through the
API what the server received. It runs in its own thread, beside the sandbox's.
"""

from __future__ import annotations

import asyncio
import socket
import threading


class NetworkCut:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.target_port = host, target_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self.port = self._listener.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="network-cut", daemon=True)
        self.connected = False

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "NetworkCut":
        self._thread.start()
        self._call(self._open())
        return self

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _open(self) -> None:
        if self._server is None:
            # The same port every time: a refused connection while cut, then the same address back.
            if self._listener is None:
                self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._listener.bind((self.host, self.port))
            self._listener.listen(128)
            self._listener.setblocking(False)
            self._server = await asyncio.start_server(self._pipe, sock=self._listener)
            self._listener = None
        self.connected = True

    async def _close(self) -> None:
        self.connected = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def cut(self) -> None:
        self._call(self._close())

    def restore(self) -> None:
        self._call(self._open())

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            return
        if not self.connected:  # cut while this one was being connected: it must not outlive the cut
            client_writer.transport.abort()
            server_writer.transport.abort()
            return
        self._pipes |= {client_writer, server_writer}

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.transport.abort() if not self.connected else writer.close()

        await asyncio.gather(copy(client_reader, server_writer), copy(server_reader, client_writer))
        self._pipes -= {client_writer, server_writer}

    async def _end(self) -> None:
        await self._close()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:  # the pipes' copy loops: ended here, not left pending when the loop stops
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        self._call(self._end())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> "NetworkCut":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
