"""Data Services' HTTP/1.1 sender (sandbox/subscriber_http.py) against small scripted subscribers on loopback.

What the sandbox's own relay tests cannot show: a kept-alive connection reused, one the
subscriber closed while idle, a huge or garbled answer, a subscriber that hangs up. Each
server here reads the whole request (head and Content-Length body) before it answers.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from tui_inbox.sandbox.subscriber_http import PostFailed, SubscriberHTTP

OK = b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Subscriber:
    """Answers each request with ``answer(index)`` bytes; ``close_after`` hangs up after each answer."""

    def __init__(self, answer=lambda index: OK, *, close_after: bool = False) -> None:
        self.answer, self.close_after = answer, close_after
        self.connections = 0
        self.bodies: list[bytes] = []
        self._server = None

    async def __aenter__(self) -> "Subscriber":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/canvas/live-events"
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                self.bodies.append(await reader.readexactly(length))
                answer = self.answer(len(self.bodies) - 1)
                if answer is None:
                    break  # hang up without a word
                writer.write(answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def post(http: SubscriberHTTP, url: str, body: bytes = b"event") -> int:
    return await asyncio.wait_for(http.post(url, body, "application/jwt", read_limit=64 * 1024), 10)


async def test_posts_one_after_another_share_one_kept_alive_connection():
    http = SubscriberHTTP(user_agent="test")
    async with Subscriber() as subscriber:
        statuses = [await post(http, subscriber.url, f"event {i}".encode()) for i in range(5)]
    await http.aclose()
    assert statuses == [202] * 5
    assert subscriber.bodies == [f"event {i}".encode() for i in range(5)]
    assert subscriber.connections == 1


async def test_a_connection_the_subscriber_closed_while_idle_is_not_a_failed_post():
    # A keep-alive timeout on the subscriber's side: it hangs up after answering, saying nothing.
    http = SubscriberHTTP(user_agent="test")
    async with Subscriber(close_after=True) as subscriber:
        statuses = [await post(http, subscriber.url) for _ in range(3)]
    await http.aclose()
    assert statuses == [202] * 3
    assert len(subscriber.bodies) == 3  # each event once: a stale connection never carried one
    assert subscriber.connections == 3


async def test_a_huge_answer_gives_its_status_without_being_read_and_its_connection_is_dropped():
    huge = b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n" + bytes(256 * 1024)
    http = SubscriberHTTP(user_agent="test")
    async with Subscriber(lambda index: huge if index == 0 else OK) as subscriber:
        first = await post(http, subscriber.url)
        second = await post(http, subscriber.url)
    await http.aclose()
    assert (first, second) == (200, 202)
    assert subscriber.connections == 2  # the first connection still owed 50 MB: not reused


@pytest.mark.parametrize("answer", [b"HELLO\r\n\r\n", None], ids=["garbled", "hung up"])
async def test_a_garbled_answer_or_a_hang_up_is_one_word_and_not_tried_again(answer):
    http = SubscriberHTTP(user_agent="test")
    async with Subscriber(lambda index: answer) as subscriber:
        with pytest.raises(PostFailed) as failure:
            await post(http, subscriber.url)
    await http.aclose()
    assert failure.value.reason == "RemoteProtocolError"
    assert len(subscriber.bodies) == 1  # a new connection that fails is the try's failure, not retried here


async def test_nobody_listening_is_a_connect_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = SubscriberHTTP(user_agent="test")
    with pytest.raises(PostFailed) as failure:
        await post(http, f"http://127.0.0.1:{port}/canvas/live-events")
    assert failure.value.reason == "ConnectError"
