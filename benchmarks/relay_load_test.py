"""The load test a school runs against its deployed relay: ``benchmarks/relay.py --relay-url ...``.

    python benchmarks/relay.py --relay-url wss://relay.school.edu/live --tokens-file tokens.txt \\
        --connections 2000 --seconds 60 [--metrics-url https://relay.school.edu/metrics] \\
        [--ingest-url https://relay.school.edu/canvas/live-events --events-file events.jsonl --rate 50]

- ``--tokens-file``: the Canvas tokens of test users, one a line (the connections go round
  robin over them; the relay allows ``--max-connections-per-user`` each, 8 by default, so
  give at least connections / 8 tokens). The file is read where it lies, by this process and
  its client processes; no token is printed, logged or copied.
- The connections are opened ``CONNECT_AT_ONCE`` at a time per client process (5,000
  connections a process at most, ``--per-client``), held for ``--seconds``, then closed.
  Note that the relay counts handshakes not yet signed in per address
  (``--max-handshakes-per-address``, 60 per 10 s): from one machine, open at most that
  many at once, or raise it for the test.
- With ``--ingest-url`` and ``--events-file``: each line of the file is POSTed once, in
  order, at ``--rate`` a second, during the window: an event's JSON (the relay must run
  with ``--allow-unsigned``: a staging relay only) or a signed JWT captured from Data
  Services (within its expiry). The answers are timed here.

It prints: handshakes that succeeded and their time (p50, p99), refusals by status; frames
received, and their delay from the POST of the same event (when this test posted it) or
from the event's ``event_time`` (Data Services' delay included); ingest answers by status
and their time (p50, p99); and, with ``--metrics-url``, the relay's own connection count
and ingest histogram. Memory per connection is not visible from outside: read the relay
host's RSS before and after (``ps -o rss``), divided by the connections.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _event_key(body: str) -> str | None:
    """The same key relay.py's clients give a frame: an event's metadata and body (None for a JWT)."""
    try:
        event = json.loads(body)
        return json.dumps([event["metadata"], event["body"]], sort_keys=True, ensure_ascii=False)
    except (ValueError, KeyError, TypeError):
        return None


async def _post_events(url: str, bodies: list[str], rate: float, seconds: float) -> dict:
    posted: dict[str, float] = {}
    times: list[float] = []
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=15) as client:
        async def one(body: str) -> None:
            sent = time.time()
            began = time.perf_counter()
            try:
                answer = await client.post(url, content=body.encode(), headers={"Content-Type": "application/json"})
                statuses[answer.status_code] += 1
            except httpx.HTTPError as error:
                statuses[type(error).__name__] += 1
                return
            times.append(time.perf_counter() - began)
            key = _event_key(body)
            if key is not None:
                posted.setdefault(key, sent)

        tasks = []
        for index, body in enumerate(bodies):
            due = started + index / rate
            if due - started > seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.ensure_future(one(body)))
        await asyncio.gather(*tasks)
    return {"posted": posted, "times": times, "statuses": statuses}


def load_test(args, script: Path) -> int:
    if not args.tokens_file:
        print("relay load test: --tokens-file FILE is required (test users' tokens, one a line)", file=sys.stderr)
        return 2
    tokens_path = Path(args.tokens_file)
    if not tokens_path.is_file():
        print(f"relay load test: no file {tokens_path}", file=sys.stderr)
        return 2
    bodies: list[str] = []
    if args.ingest_url:
        if not args.events_file or not Path(args.events_file).is_file():
            print("relay load test: --ingest-url needs --events-file FILE (one POST body a line)", file=sys.stderr)
            return 2
        bodies = [line for line in Path(args.events_file).read_text(encoding="utf-8").splitlines() if line.strip()]

    workers = []
    parts = max(1, -(-args.connections // args.per_client))
    offset = 0
    connect_started = time.perf_counter()
    for part in range(parts):
        count = args.connections // parts + (1 if part < args.connections % parts else 0)
        workers.append(subprocess.Popen(
            [sys.executable, str(script), "--worker", args.relay_url, "--worker-tokens", str(tokens_path),
             "--worker-count", str(count), "--worker-offset", str(offset), "--worker-tolerant"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        offset += count
    try:
        for worker in workers:
            if worker.stdout.readline().strip() != "ready":
                print("relay load test: a client process failed to start", file=sys.stderr)
                return 1
        connect_seconds = time.perf_counter() - connect_started
        before = httpx.get(args.metrics_url, timeout=10).text if args.metrics_url else None
        for worker in workers:  # the clients keep frames from now on
            worker.stdin.write("start\n")
            worker.stdin.flush()
        window_start = time.time()
        if bodies:
            ingest = asyncio.run(_post_events(args.ingest_url, bodies, args.rate, args.seconds))
            time.sleep(max(0.0, window_start + args.seconds - time.time()))
        else:
            ingest = None
            time.sleep(args.seconds)  # the window: connections held, frames timed as they come
        after = httpx.get(args.metrics_url, timeout=10).text if args.metrics_url else None
        results = []
        for worker in workers:
            worker.stdin.write("stop\n")
            worker.stdin.flush()
            results.append(json.loads(worker.stdout.readline()))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(10)

    handshakes = [t for r in results for t in r["handshakes"]]
    failures: Counter[str] = Counter()
    for r in results:
        failures.update(r["failures"])
    delays, ages, frames = [], [], 0
    posted = ingest["posted"] if ingest else {}
    for r in results:
        for record in r["records"]:
            for arrival, key in record["frames"]:
                frames += 1
                if key in posted:
                    delays.append(arrival - posted[key])
                else:
                    metadata, _ = json.loads(key)
                    try:
                        stamp = datetime.fromisoformat(str(metadata.get("event_time")).replace("Z", "+00:00"))
                        ages.append(arrival - stamp.timestamp())
                    except ValueError:
                        pass
    ms = 1000.0
    print(f"relay load test: {args.relay_url}, {args.connections} connections in {len(workers)} client processes, "
          f"{args.seconds:.0f} s window")
    print(f"  connected {len(handshakes)} in {connect_seconds:.1f} s; handshake p50 "
          f"{_percentile(handshakes, 0.5) * ms:.0f} ms, p99 {_percentile(handshakes, 0.99) * ms:.0f} ms; failed "
          f"after five tries: {dict(failures) or 0}")
    print(f"  frames received: {frames}; from our POST to a client: p50 {_percentile(delays, 0.5) * ms:.0f} ms, "
          f"p99 {_percentile(delays, 0.99) * ms:.0f} ms ({len(delays)} frames); from event_time (Data Services' "
          f"delay included): p50 {_percentile(ages, 0.5) * ms:.0f} ms, p99 {_percentile(ages, 0.99) * ms:.0f} ms "
          f"({len(ages)} frames)")
    if ingest:
        print(f"  ingest: {sum(ingest['statuses'].values())} POSTs, answers {dict(ingest['statuses'])}; answer p50 "
              f"{_percentile(ingest['times'], 0.5) * ms:.1f} ms, p99 {_percentile(ingest['times'], 0.99) * ms:.1f} ms")
    if before is not None and after is not None:
        wanted = ("relay_connections ", "relay_handshakes_refused_total", "relay_connections_timed_out_total",
                  "relay_frames_dropped_total")
        print("  the relay's /metrics after the window: " +
              "; ".join(line for line in after.splitlines() if line.startswith(wanted)))
    return 0
