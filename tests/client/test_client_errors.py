"""How the client fails: every error shape Canvas (the sandbox) answers, retries, throttling,
refused origins, and the token kept out of everything a user or a log could see.

The sandbox produces what real Canvas produces; ``httpx.MockTransport`` is used only for
what it cannot (a foreign ``next`` link, a foreign redirect, a proxy's HTML, a bare 429,
a connection dropped mid-request, pacing headers on demand). Retries run on a tiny
RetryPolicy or an injected ``sleep`` that records what it was asked to wait.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from tests.waiting import async_wait_until
from tui_inbox.canvas import (AuthError, CanvasClient, CanvasError, ConfigurationError, ForeignOriginError,
                              NetworkError, NotFoundError, RetryPolicy, ServerError, ThrottledError, ValidationError)


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


TEACHER, JANE = 1, 10
CANVAS = "https://canvas.example.edu"
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, throttle_floor=0.001)
SECRET = "7~Zq9SECRETtokenValue0123456789abcdefABCDEF"


def token_of(sandbox, user_id: int = TEACHER) -> str:
    return sandbox.state.world.users[user_id].token


class Counting(httpx.AsyncBaseTransport):
    """The real transport to the sandbox, counting what went out and what came back."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Sleeps:
    """An injectable ``sleep`` that records each wait and returns at once (or runs a hook)."""

    def __init__(self, hook=None) -> None:
        self.asked: list[float] = []
        self.hook = hook

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if self.hook is not None:
            await self.hook()
        await asyncio.sleep(0)


def mock_client(handler, *, sleep=None, retry=FAST, token=SECRET, base=CANVAS) -> CanvasClient:
    return CanvasClient(base, token, transport=httpx.MockTransport(handler), retry=retry, sleep=sleep or Sleeps())


def conversation(i: int) -> dict:
    return {"id": i, "subject": f"s{i}", "workflow_state": "read", "last_message_at": "2024-01-01T00:00:00Z",
            "message_count": 1, "participants": [{"id": 1, "name": "Me"}]}


def message_json(i: int, body: str) -> dict:
    return {"id": i, "created_at": "2024-01-01T00:00:00Z", "body": body, "author_id": 1, "generated": False,
            "media_comment": None, "forwarded_messages": [], "attachments": []}


# -- the sandbox's error shapes ---------------------------------------------------------------------
async def test_bad_token_is_an_auth_error_that_names_the_fix_not_the_token(sandbox):
    async with CanvasClient(sandbox.base_url, SECRET, retry=FAST) as client:
        with pytest.raises(AuthError) as caught:
            await client.get_self()
    error = caught.value
    assert error.status == 401
    assert "Invalid access token" in str(error) and "New Access Token" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error) and SECRET not in repr(error.args)
    assert "\n" not in str(error)


async def test_not_found(sandbox):
    async with CanvasClient(sandbox.base_url, token_of(sandbox), retry=FAST) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get_conversation(987654)
        assert caught.value.status == 404 and "Not found" in str(caught.value)
        with pytest.raises(NotFoundError):
            await client.get_discussion_topic("course_1", 987654)


async def test_create_errors_name_the_field(sandbox):
    async with CanvasClient(sandbox.base_url, token_of(sandbox), retry=FAST) as client:
        with pytest.raises(ValidationError) as blank:
            await client.create_conversation([JANE], "   ")
        assert blank.value.field == "body" and blank.value.errors == [("body", "blank")]
        assert blank.value.status == 400 and "body: blank" in str(blank.value)

        with pytest.raises(ValidationError) as nobody:
            await client.create_conversation([], "hello")
        assert nobody.value.field == "recipients"

        with pytest.raises(ValidationError) as empty_reply:  # add_message's own attribute
            await client.add_message((await client.load_conversations())[0].id, "")
        assert empty_reply.value.field == "empty_message"

        with pytest.raises(ValidationError) as long_subject:  # the {"errors": {field: [...]}} shape
            await client.create_conversation([JANE], "hi", subject="x" * 256)
        assert long_subject.value.field == "subject"


async def test_batch_update_message_shape(sandbox):
    async with CanvasClient(sandbox.base_url, token_of(sandbox), retry=FAST) as client:
        with pytest.raises(ValidationError) as caught:
            await client.http.json("PUT", "/api/v1/conversations", data=[("event", "star")])
        assert caught.value.field is None and caught.value.status == 400
        assert "conversation_ids not specified" in str(caught.value)
        with pytest.raises(ValidationError, match="invalid event"):
            await client.http.json("PUT", "/api/v1/conversations", data=[("conversation_ids[]", "1"), ("event", "zap")])
        # The client's own checks stop these before they leave.
        with pytest.raises(ValueError):
            await client.batch_update_request([], "star")
        with pytest.raises(ValueError):
            await client.batch_update_request([1], "zap")
        with pytest.raises(ValueError):
            await client.batch_update_request(list(range(1, 502)), "star")


# -- throttling by the sandbox -------------------------------------------------------------------------
class Holders:
    """Requests of one user held in flight (their JSON body unfinished) until ``release()``.

    Each keeps Canvas's up-front reservation in the user's bucket while it is held. One
    refused on arrival (because others were in flight at that instant) is started again.
    """

    PATH = "/api/v1/conversations/mark_all_as_read"  # reads its JSON body, so it can be held open

    def __init__(self, raw: httpx.AsyncClient, count: int) -> None:
        self.raw = raw
        self.count = count
        self.released = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def _body(self, started: asyncio.Event):
        yield b"{"
        started.set()  # the headers and the first byte are out
        await self.released.wait()
        yield b"}"

    async def holding(self) -> bool:
        """(Re)start held requests, then: is the user refused while they are in flight?"""
        self.tasks = [t for t in self.tasks if not t.done()]
        starts = []
        while len(self.tasks) < self.count:
            started = asyncio.Event()
            starts.append(started)
            self.tasks.append(asyncio.create_task(self.raw.post(
                self.PATH, content=self._body(started), headers={"Content-Type": "application/json"})))
        for started in starts:
            await started.wait()
        probe = await self.raw.get("/api/v1/conversations/unread_count")
        return probe.status_code == 403 and not all(t.done() for t in self.tasks)

    async def release(self) -> list[httpx.Response]:
        self.released.set()
        return await asyncio.gather(*self.tasks)  # wait for the condition (nothing held), not for a time


async def test_throttled_requests_are_retried_until_the_bucket_clears(make_sandbox):
    sandbox = make_sandbox(throttle=True, throttle_hwm=100, throttle_upfront=50)
    token = token_of(sandbox)
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=20) as raw:
        holders = Holders(raw, 3)

        async def let_go():
            if not holders.released.is_set():
                held = await holders.release()
                assert {r.status_code for r in held} <= {200, 403}

        sleeps = Sleeps(let_go)
        counting = Counting()
        try:
            await async_wait_until(holders.holding)  # the bucket is over the top for this user
            async with CanvasClient(sandbox.base_url, token, transport=counting, concurrency=4, sleep=sleeps,
                                    retry=RetryPolicy(attempts=6, base=0.001, cap=0.01, throttle_floor=0.001)) as client:
                pages = await client.load_conversations(per_page=20)
                assert 403 in counting.statuses  # refused at first...
                assert [c.id for c in pages] == await client.conversation_ids()  # ...then everything arrived
                assert len(pages) > 100
            # After a refusal (X-Rate-Limit-Remaining 0.0) the client backed off, and paced its next request.
            assert sleeps.asked[0] < 1.0 and max(sleeps.asked) > 1.0
        finally:
            holders.released.set()
            await asyncio.gather(*holders.tasks, return_exceptions=True)


async def test_a_throttle_that_never_clears_ends_in_throttled_error(make_sandbox):
    sandbox = make_sandbox(throttle=True, throttle_hwm=10, throttle_upfront=50)  # every request is refused
    counting = Counting()
    sleeps = Sleeps()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=counting, sleep=sleeps,
                            retry=RetryPolicy(attempts=3, base=0.001, cap=0.01, throttle_floor=0.001)) as client:
        with pytest.raises(ThrottledError) as caught:
            await client.unread_count()
        assert counting.statuses == [403, 403, 403] and "rate-limiting" in str(caught.value)
        assert len(sleeps.asked) >= 2  # waited between attempts

        # A throttled POST was refused before Canvas acted, so it is sent again too; nothing is posted.
        counting.sent.clear(), counting.statuses.clear()
        with pytest.raises(ThrottledError):
            await client.add_message(1, "never arrives")
        assert counting.sent == [("POST", "/api/v1/conversations/1/add_message")] * 3
    bodies = sandbox.call(lambda: [m.body for m in sandbox.state.conversations.messages.values()])
    assert "never arrives" not in bodies


# -- server errors from the sandbox --------------------------------------------------------------------
async def test_server_errors_are_retried_for_reads(make_sandbox):
    sandbox = make_sandbox(fail_rate=0.5, seed=7)
    counting = Counting()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=counting,
                            retry=RetryPolicy(attempts=10, base=0.001, cap=0.01)) as client:
        counts = [await client.unread_count() for _ in range(25)]
        assert len(set(counts)) == 1 and counts[0] > 0
        assert {500, 503} <= set(counting.statuses) and len(counting.sent) > 25


async def test_server_errors_end_in_server_error_and_posts_are_not_resent(make_sandbox):
    sandbox = make_sandbox(fail_rate=1.0)
    counting = Counting()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=counting, retry=FAST) as client:
        with pytest.raises(ServerError) as caught:
            await client.unread_count()
        assert len(counting.sent) == FAST.attempts and caught.value.status in (500, 503)
        assert "server error" in str(caught.value)

        counting.sent.clear()
        with pytest.raises(ServerError):
            await client.add_message(1, "sent once at most")
        assert counting.sent == [("POST", "/api/v1/conversations/1/add_message")]


# -- what only a mock can produce ------------------------------------------------------------------
async def test_a_next_link_to_another_host_is_refused_and_never_followed():
    foreign: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host != "canvas.example.edu":
            foreign.append(request)
            raise AssertionError("the other host must never be called")
        return httpx.Response(200, json=[conversation(1), conversation(2)], headers={
            "Link": '<https://evil.example/api/v1/conversations?page=2&per_page=2>; rel="next"'})

    async with mock_client(handler) as client:
        got = []
        with pytest.raises(ForeignOriginError) as caught:
            async for item in client.get_conversations(per_page=2):
                got.append(item.id)
        assert got == [1, 2] and "evil.example" in str(caught.value)
        with pytest.raises(ForeignOriginError):
            await client.load_conversations(per_page=2)
    assert foreign == []


async def test_a_foreign_last_link_is_refused_before_the_fast_path_fetches_anything():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        assert request.url.host == "canvas.example.edu"
        base = "https://canvas.example.edu/api/v1/conversations"
        return httpx.Response(200, json=[conversation(1)], headers={"Link": ", ".join([
            f'<{base}?page=1&per_page=1>; rel="current"', f'<{base}?page=2&per_page=1>; rel="next"',
            '<https://evil.example/api/v1/conversations?page=9&per_page=1>; rel="last"'])})

    async with mock_client(handler) as client:
        with pytest.raises(ForeignOriginError):
            await client.load_conversations(per_page=1)
    assert seen == ["canvas.example.edu"]


async def test_a_redirect_to_another_host_on_an_api_call_is_refused():
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        if request.url.host != "canvas.example.edu":
            raise AssertionError("followed a redirect off Canvas")
        if request.url.path == "/api/v1/users/self":
            return httpx.Response(302, headers={"Location": "https://evil.example/steal"})
        return httpx.Response(301, headers={"Location": "/api/v1/users/1"}) if request.url.path == "/api/v1/me" \
            else httpx.Response(200, json={"id": 1, "name": "Me"})

    async with mock_client(handler) as client:
        with pytest.raises(ForeignOriginError, match="evil.example"):
            await client.get_self()
        # A redirect within Canvas is followed, with the token.
        assert (await client.http.json("GET", "/api/v1/me"))["id"] == 1
    assert [host for host, _ in seen] == ["canvas.example.edu"] * 3
    assert all(auth == f"Bearer {SECRET}" for _, auth in seen)


async def test_malformed_json_is_a_one_line_server_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>\n<body>Proxy login\nrequired</body>\n</html>",
                              headers={"Content-Type": "text/html"})

    async with mock_client(handler) as client:
        with pytest.raises(ServerError) as caught:
            await client.unread_count()
    message = str(caught.value)
    assert "not valid JSON" in message and "\n" not in message and "<html>" not in message


async def test_a_bare_429_is_retried_then_succeeds():
    answers = iter([httpx.Response(429), httpx.Response(429, text=""), httpx.Response(200, json={"unread_count": "7"})])
    sleeps = Sleeps()

    async with mock_client(lambda request: next(answers), sleep=sleeps) as client:
        assert await client.unread_count() == 7
    assert len(sleeps.asked) == 2 and all(s >= FAST.throttle_floor for s in sleeps.asked)


async def test_a_dropped_connection_retries_a_read_but_not_a_post():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "GET" and calls.count("GET") == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if request.method == "POST":
            raise httpx.ReadError("Connection reset by peer", request=request)
        return httpx.Response(200, json={"unread_count": "3"})

    async with mock_client(handler) as client:
        assert await client.unread_count() == 3
        assert calls == ["GET", "GET"]
        calls.clear()
        with pytest.raises(NetworkError) as caught:
            await client.add_message(5, "maybe sent")
        assert calls == ["POST"]  # the request may have arrived: never resent blindly
        assert caught.value.sent and "connection reset" in str(caught.value)


async def test_an_unreachable_server_is_retried_even_for_a_post_because_nothing_was_sent():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(200, json=conversation(5) | {"messages": [message_json(9, "hi")]})

    async with mock_client(handler) as client:
        sent = await client.add_message(5, "hi")
    assert calls == ["POST", "POST"] and sent.messages[0].body == "hi"


async def test_the_pacer_slows_down_as_the_rate_limit_nears():
    remaining = iter(["700.0", "20.0", "20.0", "590.0", "590.0"])
    sleeps = Sleeps()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"unread_count": "1"}, headers={"X-Rate-Limit-Remaining": next(remaining),
                                                                        "X-Request-Cost": "0.01"})

    async with mock_client(handler, sleep=sleeps) as client:
        await client.unread_count()  # plenty left: no pause
        assert sleeps.asked == []
        await client.unread_count()  # the answer says 20 left...
        assert sleeps.asked == []
        await client.unread_count()  # ...so the next request waits first
        assert len(sleeps.asked) == 1 and sleeps.asked[0] > 1.0
        await client.unread_count()  # still low when it was sent
        await client.unread_count()  # recovered: no more pauses
        assert len(sleeps.asked) == 2


# -- configuration -----------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://canvas.example.edu", "http://10.0.0.5:3000", "ftp://canvas.example.edu",
                                 "canvas.example.edu", ""])
def test_plain_http_is_refused_except_on_this_machine(url):
    with pytest.raises(ConfigurationError) as caught:
        CanvasClient(url, SECRET)
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:3000/", "http://[::1]:9000",
                                 "https://canvas.example.edu/", "https://canvas.example.edu/api/v1"])
async def test_https_and_loopback_http_are_accepted(url):
    async with CanvasClient(url, SECRET) as client:
        assert client.base_url == url.rstrip("/").removesuffix("/api/v1")


# -- the token stays secret -------------------------------------------------------------------------
async def test_the_token_never_shows_in_reprs_errors_or_logs(make_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox = make_sandbox(seed=3)
    token = token_of(sandbox)
    errors: list[BaseException] = []

    async def expect_failure(call):
        try:
            await call
        except CanvasError as error:
            errors.append(error)
        else:
            raise AssertionError("expected a failure")

    async with CanvasClient(sandbox.base_url, token, retry=FAST) as client:
        assert token not in repr(client) and token not in repr(client.http) and token not in str(client.http.__dict__)
        await client.get_self()
        await client.load_conversations(per_page=50)
        await expect_failure(client.get_conversation(987654))
        await expect_failure(client.create_conversation([JANE], ""))
        await expect_failure(client.http.json("PUT", "/api/v1/conversations", data=[("event", "star")]))
        sandbox.call(setattr, sandbox.state.knobs, "fail_rate", 1.0)  # read per request
        await expect_failure(client.unread_count())
        await expect_failure(client.add_message(1, "x"))
        sandbox.call(setattr, sandbox.state.knobs, "fail_rate", 0.0)
    async with CanvasClient(sandbox.base_url, token[:-4] + "dead", retry=FAST) as wrong:
        await expect_failure(wrong.get_self())

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/x"})

    async with mock_client(redirect, token=token) as mocked:
        await expect_failure(mocked.get_self())

    assert len(errors) == 7
    for error in errors:
        assert token not in str(error) and token not in repr(error)
        assert token not in repr(error.__dict__)
        assert error.__cause__ is None or token not in repr(error.__cause__)
    assert caplog.records, "expected the client to log its session"
    secret_part = token.split("~", 1)[1]
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert secret_part not in text, record.name
    assert secret_part not in caplog.text


async def test_a_personal_token_refused_where_the_school_restricts_them_points_to_the_browser_sign_in(make_sandbox):
    """A school that turns students' personal tokens off (``--restrict-student-tokens``; canvas-lms
    ``app/models/access_token.rb``) leaves them one way in: the refusal says to sign in with the browser."""
    from tui_inbox.canvas import CanvasClient
    from tui_inbox.canvas.errors import AuthError
    from tui_inbox.sandbox.people import token_for

    restricted = make_sandbox(seed=1, restrict_student_tokens=True)
    student = next(u for u in restricted.info.users if u["role"] == "student")
    client = CanvasClient(restricted.base_url, token_for(1, student["id"]))
    try:
        with pytest.raises(AuthError) as refused:
            await client.get_self()
    finally:
        await client.aclose()
    line = str(refused.value)
    assert "`tui-inbox login`" in line and "\n" not in line
