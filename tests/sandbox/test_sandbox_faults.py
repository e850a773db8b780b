"""The sandbox's added latency and injected failures, seen from a client over real HTTP."""

from __future__ import annotations

import asyncio
import time

import httpx
from websockets.asyncio.client import connect

UNREAD = "/api/v1/conversations/unread_count"
MARK_ALL = "/api/v1/conversations/mark_all_as_read"


def client_of(sandbox, role: str = "teacher") -> httpx.AsyncClient:
    token = sandbox.info.token_of(role)
    return httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def user_id(sandbox, role: str) -> int:
    return next(u["id"] for u in sandbox.info.users if u["role"] == role)


async def timed(request) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "503 Service Unavailable\n"


def assert_internal_error(response: httpx.Response) -> None:
    assert response.status_code == 500
    body = response.json()
    assert body["errors"] == [{"message": "An error occurred.", "error_code": "internal_server_error"}]
    assert isinstance(body["error_report_id"], int)


async def test_latency_delays_answers_without_blocking_others(make_sandbox):
    sandbox = make_sandbox(latency_ms=200)
    async with client_of(sandbox) as teacher:
        response, elapsed = await timed(teacher.get(UNREAD))
        assert response.status_code == 200
        assert elapsed >= 0.2

        # Two at once take about as long as one: the delay is an await, not a block.
        started = time.perf_counter()
        both = await asyncio.gather(*(timed(teacher.get(UNREAD)) for _ in range(2)))
        total = time.perf_counter() - started
        assert [r.status_code for r, _ in both] == [200, 200]
        assert all(elapsed >= 0.2 for _, elapsed in both)
        assert total < 0.38, f"two 200 ms requests took {total:.3f}s together"


async def test_latency_also_delays_injected_failures(make_sandbox):
    sandbox = make_sandbox(latency_ms=150, fail_rate=1.0)
    async with client_of(sandbox) as teacher:
        for _ in range(4):
            response, elapsed = await timed(teacher.get(UNREAD))
            assert response.status_code in (500, 503)
            assert elapsed >= 0.15


async def test_fail_rate_one_fails_every_api_request_in_both_ways(make_sandbox):
    sandbox = make_sandbox(fail_rate=1.0)
    async with client_of(sandbox) as teacher:
        answers = [await teacher.get(UNREAD) for _ in range(30)]
        assert {r.status_code for r in answers} == {500, 503}
        for answer in answers:
            if answer.status_code == 503:
                assert_unavailable(answer)  # from "the load balancer": no throttle headers
                assert "X-Request-Cost" not in answer.headers
            else:
                assert_internal_error(answer)
        # Outside /api/ (the file downloads among it) nothing is failed.
        download = await teacher.get("/files/1/download", params={"download_frd": "1"})
        assert download.status_code not in (500, 503)


async def test_a_post_answered_500_did_its_work_and_one_answered_503_did_not(make_sandbox):
    sandbox = make_sandbox(fail_rate=1.0)
    knobs = sandbox.state.knobs
    teacher_id, student_id = user_id(sandbox, "teacher"), user_id(sandbox, "student")

    def new_unread_message():
        store = sandbox.state.conversations
        conversation, _ = store.start(student_id, [teacher_id], "Are you there?", private=True,
                                      context_code=None, tags=(), reuse=False)
        store.add_message(conversation, student_id, "Did my message arrive?")

    async with client_of(sandbox) as teacher:

        async def unread() -> str:
            # Look through the API, with failures off for just this one request.
            sandbox.call(setattr, knobs, "fail_rate", 0.0)
            try:
                response = await teacher.get(UNREAD)
            finally:
                sandbox.call(setattr, knobs, "fail_rate", 1.0)
            assert response.status_code == 200
            return response.json()["unread_count"]

        seen: set[int] = set()
        for _ in range(64):
            if await unread() == "0":
                sandbox.call(new_unread_message)
            before = await unread()
            assert before != "0"
            answer = await teacher.post(MARK_ALL)
            after = await unread()
            if answer.status_code == 503:
                assert_unavailable(answer)
                assert after == before  # refused before the app: nothing happened
            else:
                assert_internal_error(answer)
                assert after == "0"  # the work was done, only the answer was lost
            seen.add(answer.status_code)
            if seen == {500, 503}:
                break
        assert seen == {500, 503}


async def test_fail_rate_zero_never_fails(make_sandbox):
    sandbox = make_sandbox(fail_rate=0.0)
    async with client_of(sandbox) as teacher:
        answers = await asyncio.gather(*(teacher.get(UNREAD) for _ in range(40)))
        answers.append(await teacher.post(MARK_ALL))
        assert [r.status_code for r in answers] == [200] * 41


async def test_failures_replay_from_the_seed(make_sandbox):
    runs = []
    for _ in range(2):
        sandbox = make_sandbox(seed=7, fail_rate=0.5)
        async with client_of(sandbox) as teacher:
            runs.append([(await teacher.get(UNREAD)).status_code for _ in range(24)])
    assert runs[0] == runs[1]
    assert {200, 500, 503} <= set(runs[0])


async def test_the_live_websocket_is_never_delayed_failed_or_throttled(make_sandbox):
    # Every HTTP request here would be delayed 5 s, then fail or be throttled (hwm 0).
    sandbox = make_sandbox(latency_ms=5000, fail_rate=1.0, throttle=True, throttle_hwm=0)
    headers = {"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}
    async with connect(sandbox.live_url, additional_headers=headers, open_timeout=3) as ws:
        await asyncio.wait_for(await ws.ping(), 3)
