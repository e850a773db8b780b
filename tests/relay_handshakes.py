"""Handshakes with a relay's /live as the connection tests make them: a real client, or raw bytes.

``handshake`` opens a websocket with the websockets library and says how it went: the
connection (101), or the status, headers and body of the HTTP answer that refused it.
``raw_handshake`` writes the upgrade request itself and reads only the status line: a
thousand of them cost the test process next to nothing (a flood's client must not be what
slows the legitimate one). ``relay_log`` reads a relay process's JSON log lines.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from websockets.exceptions import InvalidStatus


@dataclass
class Answer:
    status: int
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    ws: object | None = None  # the open connection, for a 101
    seconds: float = 0.0  # from the connect to the answer


async def handshake(live_url: str, token: str | None, *, forwarded_for: str | None = None,
                    timeout: float = 30.0) -> Answer:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    started = time.perf_counter()
    try:
        ws = await websockets.connect(live_url, additional_headers=headers, open_timeout=timeout)
    except InvalidStatus as refused:
        response = refused.response
        try:
            body = json.loads(response.body or b"null")
        except ValueError:
            body = None
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.raw_items()}, body,
                      seconds=time.perf_counter() - started)
    return Answer(101, ws=ws, seconds=time.perf_counter() - started)


def upgrade_request(live_url: str, token: str, forwarded_for: str | None = None) -> tuple[str, int, bytes]:
    parts = urlsplit(live_url)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             f"Authorization: Bearer {token}"]
    if forwarded_for:
        lines.append(f"X-Forwarded-For: {forwarded_for}")
    return parts.hostname, parts.port, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def raw_handshake(live_url: str, token: str, forwarded_for: str | None = None, timeout: float = 60.0,
                        written: list | None = None, source: str | None = None) -> int:
    """The status of the answer to an upgrade request (0: the connection ended without one).
    ``written`` gets a 1 once the request is sent; ``source``: the address to connect from."""
    host, port, request = upgrade_request(live_url, token, forwarded_for)
    local = (source, 0) if source else None
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, local_addr=local), timeout)
    try:
        writer.write(request)
        if written is not None:
            written.append(1)
        line = await asyncio.wait_for(reader.readline(), timeout)
        parts = line.split(b" ", 2)
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    except (OSError, asyncio.IncompleteReadError):
        return 0
    finally:
        writer.transport.abort()


def relay_log(process, event: str) -> list[dict]:
    """The relay process's JSON log lines for ``event``, in order."""
    lines = []
    for text in process.stderr().splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("event") == event:
            lines.append(line)
    return lines
