"""The bounds on /live handshakes, over real websockets to a relay on a real NATS, Canvas the sandbox.

What a user sees (101, or a refusal with its status, Retry-After and a JSON reason), and
what Canvas sees (how often it was asked about a token it does not know).
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from tests.relay_fixtures import metric
from tests.relay_handshakes import handshake
from tests.waiting import async_wait_until
from tui_inbox.relay.server import school_relay
from tui_inbox.relay.settings import RelaySettings


@pytest.fixture
def relay_for(nats_server):
    """Start a whole relay (``relay_for(sandbox, **settings)``) on the test's NATS, Canvas the sandbox."""
    started = []

    def make(sandbox, **overrides):
        values = dict(canvas_url=sandbox.base_url, admin_token=sandbox.info.token_of("admin"),
                      nats_urls=[nats_server.url], jwks_url=sandbox.info.jwks_url, lag_sample_seconds=0.05)
        values.update(overrides)
        relay = school_relay(RelaySettings(**values)).start()
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.stop()


def tokens(sandbox, count: int) -> list[str]:
    return [u["token"] for u in sandbox.info.users if u["role"] != "admin" and u["token"]][:count]


async def close_all(*answers) -> None:
    for answer in answers:
        if answer.ws is not None:
            await answer.ws.close()


async def test_a_persons_connection_beyond_the_limit_is_refused_429_naming_it_and_a_closed_one_frees_its_place(
        shared_sandbox, relay_for):
    relay = relay_for(shared_sandbox, max_connections_per_user=2)
    jane, bob = tokens(shared_sandbox, 2)
    laptop, phone = await handshake(relay.info.live_url, jane), await handshake(relay.info.live_url, jane)
    assert (laptop.status, phone.status) == (101, 101)

    tablet = await handshake(relay.info.live_url, jane)
    assert tablet.status == 429
    assert tablet.body["reason"] == "max_connections_per_user" and tablet.body["limit"] == 2
    assert "2 connections" in tablet.body["errors"][0]["message"]
    assert tablet.headers.get("retry-after")
    # Someone else is not affected, and the two that work go on working.
    other = await handshake(relay.info.live_url, bob)
    assert other.status == 101
    await laptop.ws.ping()

    await laptop.ws.close()
    later = await async_wait_until(lambda: _connected(relay.info.live_url, jane), timeout=15)
    assert metric(relay.base_url, "relay_handshakes_refused_total", reason="user") >= 1
    await close_all(phone, other, later)


async def _connected(live_url: str, token: str):
    answer = await handshake(live_url, token)
    return answer if answer.status == 101 else None


async def test_a_token_canvas_refused_is_answered_401_from_memory_and_canvas_is_asked_once(
        shared_sandbox, relay_for):
    relay = relay_for(shared_sandbox, max_handshakes_per_address=50)
    bogus = "1~not-a-token-canvas-knows-" + hashlib.sha256(str(id(relay)).encode()).hexdigest()[:12]
    answers = [await handshake(relay.info.live_url, bogus) for _ in range(5)]
    assert [a.status for a in answers] == [401] * 5
    # Canvas's own words every time, the first from Canvas and the others from memory.
    assert all(a.body == {"errors": [{"message": "Invalid access token."}]} for a in answers)
    assert all(a.headers.get("www-authenticate") for a in answers)
    digest = hashlib.sha256(bogus.encode()).hexdigest()
    assert shared_sandbox.call(lambda: shared_sandbox.state.unknown_tokens[digest]) == 1
    assert metric(relay.base_url, "relay_handshakes_refused_total", reason="refused_token") == 4


async def test_an_address_that_keeps_failing_gets_429_with_retry_after_while_others_connect(
        shared_sandbox, relay_for):
    # 127.0.0.1 is a trusted proxy (uvicorn's default): X-Forwarded-For says who the client is.
    relay = relay_for(shared_sandbox, max_handshakes_per_address=3, address_window_seconds=1.0)
    attacker, student = "203.0.113.9", "198.51.100.7"
    tries = [await handshake(relay.info.live_url, f"1~guess-{i}", forwarded_for=attacker) for i in range(3)]
    assert [t.status for t in tries] == [401, 401, 401]
    stopped = await handshake(relay.info.live_url, "1~guess-3", forwarded_for=attacker)
    assert stopped.status == 429
    assert stopped.body["reason"] == "max_handshakes_per_address" and stopped.body["limit"] == 3
    assert stopped.headers["retry-after"] == "1"
    # Stopped before Canvas was asked.
    digest = hashlib.sha256(b"1~guess-3").hexdigest()
    assert shared_sandbox.call(lambda: shared_sandbox.state.unknown_tokens[digest]) == 0

    (jane,) = tokens(shared_sandbox, 1)
    elsewhere = await handshake(relay.info.live_url, jane, forwarded_for=student)
    assert elsewhere.status == 101
    # Successful handshakes never count: a campus behind one address reconnects after a restart.
    many = [await handshake(relay.info.live_url, jane, forwarded_for=student) for _ in range(4)]
    assert all(a.status == 101 for a in many)
    # Once the window has passed, the address may try again.
    await async_wait_until(
        lambda: _status_is(relay.info.live_url, "1~guess-4", attacker, 401), timeout=15, interval=0.2)
    await close_all(elsewhere, *many)


async def _status_is(live_url: str, token: str, address: str, status: int) -> bool:
    return (await handshake(live_url, token, forwarded_for=address)).status == status


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(shared_sandbox, relay_for):
    relay = relay_for(shared_sandbox, max_handshakes_per_address=2, forwarded_allow_ips="192.0.2.1")
    # Each try names another address, but the peer (127.0.0.1) is not a trusted proxy: all count as one.
    statuses = [(await handshake(relay.info.live_url, f"1~spoof-{i}", forwarded_for=f"10.0.0.{i}")).status
                for i in range(3)]
    assert statuses == [401, 401, 429]


async def test_handshakes_waiting_for_canvas_are_capped_and_the_rest_get_503_with_retry_after(
        make_sandbox, relay_for):
    slow = make_sandbox(seed=1, latency_ms=1000)  # each answer of Canvas takes a second
    relay = relay_for(slow, max_pending_handshakes=3, max_connections_per_user=50)
    people = tokens(slow, 6)
    answers = await asyncio.gather(*(handshake(relay.info.live_url, token) for token in people))
    statuses = sorted(a.status for a in answers)
    assert statuses == [101, 101, 101, 503, 503, 503]
    busy = [a for a in answers if a.status == 503]
    assert all(a.body["reason"] == "max_pending_handshakes" and a.headers.get("retry-after") for a in busy)
    # The 503s were answered without waiting on Canvas; the others waited for its three answers.
    assert max(a.seconds for a in busy) < min(a.seconds for a in answers if a.status == 101)
    # Once Canvas has answered, a place is free again.
    retried = await handshake(relay.info.live_url, people[answers.index(busy[0])])
    assert retried.status == 101
    await close_all(*answers, retried)


async def test_a_handshake_canvas_does_not_answer_in_time_is_answered_503_at_the_deadline(make_sandbox, relay_for):
    stuck = make_sandbox(seed=1, latency_ms=5000)
    relay = relay_for(stuck, handshake_timeout_seconds=0.5)
    (jane,) = tokens(stuck, 1)
    answer = await handshake(relay.info.live_url, jane)
    assert answer.status == 503
    assert answer.body["reason"] == "handshake_timeout" and answer.headers.get("retry-after")
    assert answer.seconds < 4.5  # the deadline, not Canvas's five seconds
