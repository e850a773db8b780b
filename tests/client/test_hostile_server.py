"""A hostile or broken server cannot exhaust the app: real sockets on 127.0.0.1 (tests/hostile_server.py).

Bodies are capped however they are framed, every exchange has a deadline, downloads have
their own limits and leave no partial file, a list endpoint that answers something else is
an error (not rows), and a next-page link to another scheme or port is refused with both
origins named so they read differently. None of these is retried: the same request would
get the same answer, later.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import zlib

import pytest

from tests.hostile_server import HostileServer, drip, flood, gzip_bomb, head, json_answer, redirect_to
from tui_inbox.canvas import (CanvasClient, DeadlineExceeded, ForeignOriginError, ResponseTooLarge, RetryPolicy,
                              ServerError)

FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, throttle_floor=0.001)
MB = 1024 * 1024
UNREAD = "/api/v1/conversations/unread_count"
CONVERSATIONS = "/api/v1/conversations"


def client_of(server: HostileServer, **limits) -> CanvasClient:
    return CanvasClient(server.base_url, "a-token", retry=FAST, **limits)


def conversation(i: int) -> dict:
    return {"id": i, "subject": f"s{i}", "workflow_state": "read", "last_message_at": "2024-01-01T00:00:00Z",
            "message_count": 1, "participants": [{"id": 1, "name": "Me"}]}


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "a-token" not in text
    return text


# -- API bodies ----------------------------------------------------------------------------------------
async def test_a_huge_content_length_is_refused_before_the_body_is_read():
    async with HostileServer({UNREAD: flood(64 * MB, declared=5_000_000_000)}) as server:
        async with client_of(server) as client:
            started = time.monotonic()
            with pytest.raises(ResponseTooLarge) as caught:
                await client.unread_count()
            took = time.monotonic() - started
        assert server.requests == [f"GET {UNREAD}"]  # not retried: the same request gets the same answer
    message = one_line(caught.value)
    assert f"127.0.0.1:{server.port}" in message and "32 MB" in message
    assert took < 2.0  # refused on the header, not after reading what it promised


@pytest.mark.parametrize("framing", ["chunked", "until-close", "gzip-bomb"])
async def test_the_cap_holds_however_the_body_is_framed(framing):
    # No Content-Length at all, or one that tells the truth about far fewer bytes than arrive
    # (8 kB of gzip that inflate to 8 MB): counted as they arrive, decoded.
    answer = {"chunked": flood(8 * MB, chunked=True), "until-close": flood(8 * MB),
              "gzip-bomb": gzip_bomb(8 * MB)}[framing]
    async with HostileServer({UNREAD: answer}) as server:
        async with client_of(server, max_body=1 * MB) as client:
            with pytest.raises(ResponseTooLarge) as caught:
                await client.unread_count()
        assert len(server.requests) == 1
    assert "1 MB" in one_line(caught.value)


async def test_an_answer_under_the_cap_is_read_as_usual():
    async with HostileServer({UNREAD: json_answer({"unread_count": 7, "padding": "x" * 900_000})}) as server:
        async with client_of(server, max_body=1 * MB) as client:
            assert await client.unread_count() == 7


async def test_a_huge_error_body_is_capped_too():
    async with HostileServer({UNREAD: flood(8 * MB, chunked=True, status="500 Internal Server Error")}) as server:
        async with client_of(server, max_body=1 * MB) as client:
            with pytest.raises(ResponseTooLarge):
                await client.unread_count()
        assert len(server.requests) == 1


def encoded(body: bytes, coding: str):
    async def answer(writer, target):
        writer.write(head(Content_Type="application/json", Content_Encoding=coding, Content_Length=len(body)) + body)
        await writer.drain()
        return True
    return answer


async def test_compressed_answers_are_decoded_and_an_encoding_not_asked_for_is_refused():
    data = json.dumps({"unread_count": 42}).encode()
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    routes = {"/gzip": encoded(gzip.compress(data), "gzip"), "/deflate": encoded(zlib.compress(data), "deflate"),
              "/raw-deflate": encoded(raw_deflate.compress(data) + raw_deflate.flush(), "deflate"),
              "/damaged": encoded(gzip.compress(data)[:-12] + b"garbage!", "gzip"), "/br": encoded(data, "br")}
    async with HostileServer(routes) as server:
        async with client_of(server) as client:
            for path in ("/gzip", "/deflate", "/raw-deflate"):
                assert await client.http.json("GET", path) == {"unread_count": 42}, path
            with pytest.raises(ServerError, match="damaged gzip"):
                await client.http.json("GET", "/damaged")
            with pytest.raises(ServerError, match="encoded as 'br', which was not asked for"):
                await client.http.json("GET", "/br")
        assert all("accept-encoding" not in r for r in server.requests)


# -- the deadline --------------------------------------------------------------------------------------
async def test_a_dripping_server_ends_in_one_error_at_the_deadline_not_loading_for_ever():
    body = b'{"unread_count": 3}' + b" " * 200  # a byte every 50 ms: ten seconds for the whole answer
    async with HostileServer({UNREAD: drip(body, every=0.05)}) as server:
        async with client_of(server, deadline=1.0) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded) as caught:
                await client.unread_count()
            took = time.monotonic() - started
        assert server.requests == [f"GET {UNREAD}"]  # not retried: four more seconds for the same error
    message = one_line(caught.value)
    assert f"127.0.0.1:{server.port}" in message and "within 1 s" in message
    assert 0.9 < took < 3.0


async def test_a_deadline_on_a_post_leaves_the_delivery_check_to_decide():
    # The request left: like a dropped connection, it may have arrived, so it is never resent blindly.
    path = "/api/v1/conversations/5/add_message"
    async with HostileServer({path: drip(b"{}" + b" " * 200, every=0.05)}) as server:
        async with client_of(server, deadline=0.5) as client:
            with pytest.raises(DeadlineExceeded) as caught:
                await client.add_message(5, "hello")
        assert server.requests == [f"POST {path}"]
    assert caught.value.sent is True


# -- downloads -----------------------------------------------------------------------------------------
async def test_a_download_bigger_than_its_limit_leaves_nothing_behind(tmp_path):
    routes = {"/files/1/download": flood(5 * MB, chunked=True, Content_Disposition='attachment; filename="big.bin"'),
              "/files/2/download": flood(64 * MB, declared=5_000_000_000)}
    async with HostileServer(routes) as server:
        async with client_of(server, max_download=1 * MB) as client:
            with pytest.raises(ResponseTooLarge) as streamed:
                await client.download(f"{server.base_url}/files/1/download", tmp_path)
            with pytest.raises(ResponseTooLarge) as declared:
                await client.download(f"{server.base_url}/files/2/download", tmp_path)
        assert len(server.requests) == 2
    assert "more than 1 MB for the file big.bin" in one_line(streamed.value)
    assert f"127.0.0.1:{server.port}" in one_line(declared.value)
    assert list(tmp_path.iterdir()) == []


async def test_a_dripping_download_ends_at_its_own_deadline_leaving_nothing(tmp_path):
    async with HostileServer({"/files/1/download": drip(b"x" * 200, every=0.05)}) as server:
        async with client_of(server, download_deadline=1.0) as client:
            with pytest.raises(DeadlineExceeded) as caught:
                await client.download(f"{server.base_url}/files/1/download", tmp_path)
    assert "within 1 s" in one_line(caught.value) and "nothing was saved" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


async def test_a_download_redirected_to_a_file_url_is_refused(tmp_path):
    async with HostileServer({"/files/1/download": redirect_to("file:///etc/passwd")}) as server:
        async with client_of(server) as client:
            with pytest.raises(ForeignOriginError) as caught:
                await client.download(f"{server.base_url}/files/1/download", tmp_path)
    assert "file://" in one_line(caught.value) and list(tmp_path.iterdir()) == []


# -- lists that are not lists ------------------------------------------------------------------------
NOT_LISTS = {"a string": "me me me me me me me!", "an object": {"conversations": [conversation(1)]}}


@pytest.mark.parametrize("kind", list(NOT_LISTS))
async def test_a_list_endpoint_answering_something_else_is_an_error_not_rows(kind):
    async with HostileServer({CONVERSATIONS: json_answer(NOT_LISTS[kind]),
                              "/api/v1/search/recipients": json_answer(NOT_LISTS[kind]),
                              "/api/v1/courses": json_answer(NOT_LISTS[kind])}) as server:
        async with client_of(server) as client:
            calls = {
                "page": client.get_conversations_page(),
                "load": client.load_conversations(),
                "iterate": _all(client.get_conversations()),
                "recipients": client.search_recipients("x"),
                "courses": client.get_courses(),
            }
            for name, call in calls.items():
                with pytest.raises(ServerError) as caught:
                    rows = await call
                    raise AssertionError(f"{name} gave rows: {rows}")
                message = one_line(caught.value)
                assert f"{kind} where a list was expected" in message and f"127.0.0.1:{server.port}" in message


async def _all(iterator) -> list:
    return [item async for item in iterator]


# -- links that leave ----------------------------------------------------------------------------------
async def test_a_next_link_to_another_scheme_is_refused_naming_scheme_host_and_port():
    link = '<ftp://127.0.0.1:{port}/api/v1/conversations?page=2>; rel="next"'
    async with HostileServer() as server:
        server.routes[CONVERSATIONS] = json_answer([conversation(1)], Link=link.format(port=server.port))
        async with client_of(server) as client:
            with pytest.raises(ForeignOriginError) as caught:
                await client.load_conversations()
        assert server.requests == [f"GET {CONVERSATIONS}?per_page=100"]
    message = one_line(caught.value)
    assert f"ftp://127.0.0.1:{server.port}" in message and f"http://127.0.0.1:{server.port}" in message


async def test_a_next_link_to_another_port_names_both_ports_and_is_never_followed():
    async with HostileServer() as other, HostileServer() as server:
        other.routes[CONVERSATIONS] = json_answer([conversation(2)])
        server.routes[CONVERSATIONS] = json_answer(
            [conversation(1)], Link=f'<http://127.0.0.1:{other.port}/api/v1/conversations?page=2>; rel="next"')
        async with client_of(server) as client:
            got = []
            with pytest.raises(ForeignOriginError) as caught:
                async for item in client.get_conversations():
                    got.append(item.id)
        assert got == [1] and other.requests == []
    message = one_line(caught.value)
    # Not "points to 127.0.0.1, not 127.0.0.1":
    assert f"points to 127.0.0.1:{other.port}, not 127.0.0.1:{server.port}" in message


# -- "offline" is for a Canvas that cannot be reached ---------------------------------------------
async def test_a_poll_answered_with_5_gb_says_what_is_wrong_with_the_server_not_offline():
    from tests.waiting import async_wait_until
    from tui_inbox.live import Backoff, FeedState, LiveFeed

    async with HostileServer({UNREAD: flood(64 * MB, declared=5_000_000_000)}) as server:
        async with client_of(server) as client:
            feed = LiveFeed(client, None, poll_seconds=0.05, poll_backoff=Backoff(base=0.05, cap=0.05))
            async with feed:
                await async_wait_until(lambda: feed.state.error is not None)
                status = feed.state.current
    assert status.state is FeedState.FAILING and status.state.value == "not updating"
    assert f"127.0.0.1:{server.port} sent more than 32 MB" in status.error


# -- pagination that never ends ----------------------------------------------------------------------
def paged(link_for):
    """Ten conversations a page; the ``Link`` header ``link_for(page)`` gives (None: no more)."""
    from urllib.parse import parse_qs, urlsplit

    async def answer(writer, target: str) -> bool:
        page = int(parse_qs(urlsplit(target).query).get("page", ["1"])[0])
        link = link_for(page)
        body = json.dumps([conversation(page * 100 + i) for i in range(1, 11)]).encode()
        headers = {"Link": link} if link else {}
        writer.write(head(Content_Type="application/json", Content_Length=len(body), **headers) + body)
        await writer.drain()
        return True
    return answer


def next_to(page: int) -> str:
    return f'</api/v1/conversations?page={page}&per_page=10>; rel="next"'


async def listing_calls(client) -> dict:
    return {"iterate": _all(client.get_conversations()), "load": client.load_conversations()}


async def test_a_next_link_back_to_an_earlier_page_ends_the_listing_with_one_line():
    # Page 3 says the next page is page 1 again: fetched for ever (3,700 requests in 120 s) before.
    loop = paged(lambda page: next_to(page + 1 if page < 3 else 1))
    async with HostileServer({CONVERSATIONS: loop}) as server:
        async with client_of(server) as client:
            for name, call in (await listing_calls(client)).items():
                server.requests.clear()
                started = time.monotonic()
                with pytest.raises(ServerError) as caught:
                    await asyncio.wait_for(call, 10)  # never finished before
                assert time.monotonic() - started < 5.0, name
                assert len(server.requests) <= 4, (name, server.requests)  # pages 1, 2, 3, and at most 1 again
                message = one_line(caught.value)
                assert "leads back to a page already read" in message and f"127.0.0.1:{server.port}" in message


async def test_a_listing_past_the_page_limit_ends_with_one_line():
    # Every page names a next one, each new: only the page limit ends it.
    endless = paged(lambda page: next_to(page + 1))
    async with HostileServer({CONVERSATIONS: endless}) as server:
        async with client_of(server, max_pages=50) as client:
            for name, call in (await listing_calls(client)).items():
                server.requests.clear()
                with pytest.raises(ServerError) as caught:
                    await call
                assert len(server.requests) == 50, name
                assert "more than 50 pages" in one_line(caught.value)


async def test_a_last_page_past_the_limit_is_refused_before_the_pages_are_asked_for():
    # The fast path fetches pages 2..last at once: a "last" of 5,000 would be 5,000 requests in flight.
    far = paged(lambda page: next_to(page + 1) + ', </api/v1/conversations?page=5000&per_page=10>; rel="last"')
    async with HostileServer({CONVERSATIONS: far}) as server:
        async with client_of(server, max_pages=50) as client:
            with pytest.raises(ServerError) as caught:
                await client.load_conversations()
        assert len(server.requests) == 1
    assert "more than 50 pages" in one_line(caught.value)


# -- ids that are not ids ------------------------------------------------------------------------------
BAD_IDS = [2**70, "abc", None, True, 0, -4, 2**63, "12x"]


def bad_rows() -> list:
    rows = [conversation(1)]
    for bad in BAD_IDS:
        rows.append({**conversation(99), "id": bad})
    return rows + [conversation(2)]


async def test_rows_with_an_id_out_of_range_or_not_a_number_are_left_out_with_one_line_never_read_as_0():
    async with HostileServer({CONVERSATIONS: json_answer(bad_rows())}) as server:
        async with client_of(server) as client:
            said: list[str] = []
            client.on_skipped(said.append)
            for call in (client.load_conversations(), client.get_conversations_page(), _all(client.get_conversations())):
                said.clear()
                rows = await call
                assert [row.id for row in rows] == [1, 2]
                assert len(said) == 1
                line = said[0]
                assert "\n" not in line
                assert line.startswith(f"Left out {len(BAD_IDS)} conversations") and f"127.0.0.1:{server.port}" in line


async def test_a_thread_with_a_message_id_out_of_range_keeps_its_other_messages():
    thread = {**conversation(5), "messages": [{"id": 2**70, "body": "huge", "author_id": 1},
                                             {"id": 7, "body": "fine", "author_id": 1}]}
    async with HostileServer({"/api/v1/conversations/5": json_answer(thread)}) as server:
        async with client_of(server) as client:
            said: list[str] = []
            client.on_skipped(said.append)
            got = await client.get_conversation(5)
    assert [m.body for m in got.messages] == ["fine"] and len(said) == 1 and "1 message" in said[0]


async def test_a_single_conversation_answered_with_a_bad_id_is_an_error():
    async with HostileServer({"/api/v1/conversations/5": json_answer({**conversation(5), "id": "abc"})}) as server:
        async with client_of(server) as client:
            with pytest.raises(ServerError) as caught:
                await client.get_conversation(5)
    assert "'abc'" in one_line(caught.value)


@pytest.mark.parametrize("ids", [[{"id": 1}, {"id": 2}], [[1], [2]], [1, {"id": 2}]])
async def test_an_id_list_holding_objects_is_an_error_not_an_empty_inbox(ids):
    async with HostileServer({CONVERSATIONS: json_answer({"conversations": [], "conversation_ids": ids})}) as server:
        async with client_of(server) as client:
            with pytest.raises(ServerError) as caught:
                await client.conversation_ids()
    assert "where a conversation id was expected" in one_line(caught.value)


async def test_a_listing_of_things_that_are_not_conversations_is_an_error_not_rows():
    async with HostileServer({CONVERSATIONS: json_answer([1, 2, 3])}) as server:
        async with client_of(server) as client:
            with pytest.raises(ServerError) as caught:
                await client.load_conversations()
    assert "a number where a conversation was expected" in one_line(caught.value)


async def test_a_participant_with_a_bad_id_is_left_out_of_its_conversation_not_read_as_0():
    row = {**conversation(3), "participants": [{"id": 1, "name": "Me"}, {"id": True, "name": "Nobody"},
                                               {"id": "7", "name": "Jane"}]}
    async with HostileServer({CONVERSATIONS: json_answer([row])}) as server:
        async with client_of(server) as client:
            said: list[str] = []
            client.on_skipped(said.append)
            [got] = await client.load_conversations()
    assert [(p.id, p.name) for p in got.participants] == [(1, "Me"), (7, "Jane")]
    assert len(said) == 1 and said[0].startswith("Left out 1 participant that") and "(true)" in said[0]
