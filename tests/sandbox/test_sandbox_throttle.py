"""The sandbox's leaky-bucket throttle, seen from a client over real HTTP.

Requests held in flight (a POST whose JSON body is only finished when the test says
so) keep their up-front reservation in the bucket; that is what pushes the level past
a small high-water mark, as parallel requests do on Canvas. Nothing here sleeps to
wait: every wait polls for a condition, with a deadline.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.waiting import async_wait_until
from tui_inbox.sandbox.app import middleware
from tui_inbox.sandbox.faults import FaultsMiddleware
from tui_inbox.sandbox.state import Knobs, SandboxState
from tui_inbox.sandbox.throttle import ThrottleMiddleware, number

UNREAD = "/api/v1/conversations/unread_count"
MARK_ALL = "/api/v1/conversations/mark_all_as_read"  # reads its JSON body, so it can be held open


def client_of(sandbox, role: str | None = "teacher") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {sandbox.info.token_of(role)}"} if role else {}
    return httpx.AsyncClient(base_url=sandbox.base_url, headers=headers, timeout=20)


async def held_body(release: asyncio.Event):
    yield b"{"
    await release.wait()
    yield b"}"


def hold(client: httpx.AsyncClient, release: asyncio.Event, n: int) -> list[asyncio.Task]:
    """n requests that stay in flight until ``release`` is set."""
    return [
        asyncio.create_task(
            client.post(MARK_ALL, content=held_body(release), headers={"Content-Type": "application/json"})
        )
        for _ in range(n)
    ]


async def refusal(client: httpx.AsyncClient, n: int = 4):
    """A burst of concurrent requests; the answers if any was refused, else None."""
    answers = await asyncio.gather(*(client.get(UNREAD) for _ in range(n)))
    return answers if any(r.status_code == 403 for r in answers) else None


async def answer_where(client: httpx.AsyncClient, check):
    response = await client.get(UNREAD)
    return response if check(response) else None


def remaining(response: httpx.Response) -> float:
    return float(response.headers["X-Rate-Limit-Remaining"])


def assert_counted(response: httpx.Response) -> tuple[float, float]:
    """An answer that was not refused: both headers, as float strings; (cost, remaining)."""
    cost, left = response.headers["X-Request-Cost"], response.headers["X-Rate-Limit-Remaining"]
    assert "." in cost and "." in left
    assert float(cost) >= 0.01
    return float(cost), float(left)


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "403 Forbidden (Rate Limit Exceeded)\n"
    assert response.headers["X-Rate-Limit-Remaining"] == "0.0"
    assert "X-Request-Cost" not in response.headers
    assert "Retry-After" not in response.headers


async def test_concurrency_past_a_small_hwm_is_refused_with_canvas_403(make_sandbox):
    sandbox = make_sandbox(throttle=True, throttle_hwm=100, throttle_upfront=50)
    async with client_of(sandbox) as teacher, client_of(sandbox, "student") as student, \
            client_of(sandbox, None) as anonymous:
        idle = await teacher.get(UNREAD)
        assert idle.status_code == 200
        # hwm minus what is left of one small cost. The bucket leaks 10 a second while the request runs,
        # reservation included (as Canvas's does), so a request slowed past a millisecond by a loaded
        # machine has leaked its own cost away and leaves the whole hwm: 100.0 is right then too.
        assert 90 < assert_counted(idle)[1] <= 100

        release = asyncio.Event()
        holders = hold(teacher, release, 3)
        try:
            answers = await async_wait_until(lambda: refusal(teacher))
            for answer in answers:
                if answer.status_code == 403:
                    assert_rate_limited(answer)
                else:
                    assert answer.status_code == 200
                    assert_counted(answer)
            # Buckets are per client: the student's token and a tokenless client are not throttled.
            other = await student.get(UNREAD)
            assert other.status_code == 200 and remaining(other) > 90
            nobody = await anonymous.get(UNREAD)
            assert nobody.status_code == 401 and remaining(nobody) > 90
        finally:
            release.set()
            held = await asyncio.gather(*holders)
        # The holders that got in were counted (their cost is their held time); the rest were refused.
        assert {r.status_code for r in held} <= {200, 403} and any(r.status_code == 200 for r in held)
        for answer in held:
            if answer.status_code == 200:
                assert_counted(answer)
            else:
                assert_rate_limited(answer)


async def test_remaining_falls_under_load_and_recovers(make_sandbox):
    sandbox = make_sandbox(throttle=True, throttle_hwm=1000, throttle_upfront=50)
    async with client_of(sandbox) as teacher:
        _, idle = assert_counted(await teacher.get(UNREAD))
        assert idle > 999

        release = asyncio.Event()
        holders = hold(teacher, release, 3)
        try:
            # Three reservations of 50 in flight: well over 100 taken from the quota.
            loaded = await async_wait_until(lambda: answer_where(teacher, lambda r: remaining(r) < idle - 100))
            assert loaded.status_code == 200
            under_load = [assert_counted(r)[1] for r in await asyncio.gather(*(teacher.get(UNREAD) for _ in range(5)))]
            assert all(left < idle - 50 for left in under_load)
        finally:
            release.set()
            held = await asyncio.gather(*holders)
        assert [r.status_code for r in held] == [200, 200, 200]
        # Finished requests give their reservation back and keep only their (small) cost.
        recovered = await async_wait_until(lambda: answer_where(teacher, lambda r: remaining(r) > idle - 5))
        assert recovered.status_code == 200


async def test_bucket_leaks_until_a_request_is_admitted_again(make_sandbox):
    sandbox = make_sandbox(throttle=True, throttle_hwm=100, throttle_upfront=50, throttle_leak=25)
    async with client_of(sandbox) as teacher:
        release = asyncio.Event()
        holders = hold(teacher, release, 3)
        try:
            refused = await async_wait_until(lambda: refusal(teacher))
            assert_rate_limited(next(r for r in refused if r.status_code == 403))
            # Nothing has finished, so only the leak can make room again.
            admitted = await async_wait_until(lambda: answer_where(teacher, lambda r: r.status_code == 200))
            assert not any(task.done() for task in holders)
            assert_counted(admitted)
        finally:
            release.set()
            await asyncio.gather(*holders)


async def test_headers_are_sent_when_throttling_is_off(make_sandbox):
    sandbox = make_sandbox()
    async with client_of(sandbox) as teacher:
        answers = list(await asyncio.gather(*(teacher.get(UNREAD) for _ in range(20))))
        answers.append(await teacher.get("/api/v1/no_such_endpoint"))
        assert [r.status_code for r in answers] == [200] * 20 + [404]
        for answer in answers:
            assert_counted(answer)
            assert answer.headers["X-Rate-Limit-Remaining"] == "600.0"


def test_numbers_print_like_canvas_floats():
    assert number(600) == "600.0"
    assert number(0.0123456789) == "0.012346"
    assert number(-0.0000001) == "0.0"
    assert number(-200) == "-200.0"


async def test_websocket_and_lifespan_pass_straight_through():
    state = SandboxState(Knobs(throttle=True, throttle_hwm=0, latency_ms=10_000, fail_rate=1.0))
    seen = []

    async def inner(scope, receive, send):
        seen.append((scope["type"], receive, send))

    async def receive():
        return {}

    async def send(message):
        raise AssertionError("the middleware must not answer a websocket itself")

    app = FaultsMiddleware(ThrottleMiddleware(inner, state=state), state=state)
    for kind in ("websocket", "lifespan"):
        await asyncio.wait_for(app({"type": kind, "path": "/api/v1/live", "headers": []}, receive, send), 1)
    assert seen == [("websocket", receive, send), ("lifespan", receive, send)]


def test_faults_wrap_the_throttle():
    # The format suffix comes off first, so faults and the throttle see the same path either way;
    # the request id is given between them (a throttled 403 has one, a load balancer's 503 not).
    from tui_inbox.sandbox.format_suffix import FormatSuffixMiddleware
    from tui_inbox.sandbox.request_context import RequestContextMiddleware
    from tui_inbox.sandbox.request_count import RequestCountMiddleware

    assert [m.cls for m in middleware(SandboxState(Knobs()))] == [
        FormatSuffixMiddleware, RequestCountMiddleware, FaultsMiddleware, RequestContextMiddleware, ThrottleMiddleware]
