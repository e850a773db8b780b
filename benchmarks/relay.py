"""The relay for a whole school (issues 13 and 24): 1,000 websocket clients over two instances,
or 10,000 against one (``--connections 10000 --instances 1``).

Real processes on loopback, as a school would run them:

- one nats-server (``NatsChild``), shared by
- two relay instances, ``tui-inbox relay --nats URL``, A and B;
- one sandbox, ``tui-inbox sandbox --activity S --data-services <A's events URL>
  --ds-duplicate-rate 0.1``: its simulated people write about every S seconds (0.01:
  about 100 events a second; the mix of sandbox/activity.py: replies to and new
  conversations with the teacher, people added to group conversations, discussion
  replies and announcements), and Data Services POSTs each event, signed RS256, to A.
  Only A takes events in (Data Services has one URL); the durable consumer that A and B
  share spreads the routing over both, and each delivers to its own clients.
- client processes (this file with ``--worker``), each holding at most ``--per-client``
  (5,000) of one instance's connections; the connections go round-robin over the sandbox's
  users (every user has several, as people with a laptop and a phone do: about ten each at
  10,000, so the relays run with ``--max-connections-per-user 64``, and, every client being
  on 127.0.0.1, with the per-address limit on handshakes raised out of the way).
- this process holds the baseline: one connection per user on the sandbox's own /live.

Every connection, to a relay or to the sandbox, is raw_websocket.py's client: it only cuts
frames apart while the window runs (the websockets library's clients used more of the two
cores than the relays they measured). "cores busy in the window" says how much of the
machine each process took while the figures were taken: at 2.0 of 2, every figure includes
time spent waiting for a core.

Matching: an event is the same on both streams (its metadata and body). Latency via the
relay = the frame's arrival at a relay client minus its arrival at the direct client of
the same user, both timed with the same wall clock. Lost: an event the direct stream gave
a user that some connection of that user did not get from the relay; extra: the other
way round (a leak, or one Canvas would not deliver); duplicated: a frame a connection got
twice. Only events that reached the direct stream inside the measured window count.

With ``--relay-url`` it is instead the load test a school runs against its deployed relay,
with its own tokens and numbers: see relay_load_test.py (``--relay-url wss://host/live
--tokens-file F [--ingest-url URL --events-file F] [--metrics-url URL]``).

Ingest answers are the relay's own histogram ``relay_ingest_seconds`` (read from A's
/metrics, the figure of a bucket interpolated). Memory per idle connection: the growth of
the two relays' RSS (psutil) across the connecting of every client, before any event
flows to them, divided by the connections.

    python benchmarks/relay.py [--connections 1000] [--instances 2] [--rate 82] [--seconds 30] [--duplicate-rate 0.1]
    python benchmarks/relay.py --connections 10000 --instances 1
    python benchmarks/relay.py --relay-url wss://relay.school.edu/live --tokens-file tokens.txt --connections 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
import psutil  # noqa: E402

from raw_websocket import Collector, HandshakeRefused, connect  # noqa: E402
from tui_inbox.relay.nats_child import NatsChild, free_port  # noqa: E402

CLI = "import sys; from tui_inbox.cli import main; sys.exit(main())"
# --profile: the relay's loop runs in a thread of its own, which a cProfile of the main
# thread would not see; this wraps the thread's body and writes its figures on the way out.
PROFILED_CLI = """import cProfile, os, sys
from tui_inbox.relay import server
serve = server.RunningRelay._serve
def profiled(self, *args):
    profile = cProfile.Profile()
    profile.enable()
    try:
        serve(self, *args)
    finally:
        profile.disable()
        profile.dump_stats(os.environ["RELAY_BENCH_PROFILE"])
server.RunningRelay._serve = profiled
from tui_inbox.cli import main
sys.exit(main())
"""
CONNECT_AT_ONCE = 50  # handshakes in flight per client process
CLOSING_MARGIN = 1.0  # seconds before the direct stream's end beyond which a leak is not judged


def event_key(frame: str | bytes) -> str:
    event = json.loads(frame)
    return json.dumps([event["metadata"], event["body"]], sort_keys=True, ensure_ascii=False)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the client processes ----------------------------------------------------------------
async def hold_connections(live_url: str, tokens: list[tuple[int, str]], count: int, offset: int = 0,
                           tolerant: bool = False) -> None:
    """Open ``count`` connections (the ``offset``-th onwards of the run's round robin over the
    users), say "ready", record every frame from when stdin says "start" until it says "stop".
    Until "start" the frames are read and let go: a run may wait minutes for the school to catch
    up, and 10,000 connections' frames kept meanwhile took gigabytes and a core of collection.
    ``tolerant`` (the load test): a connection refused five times is recorded as such; else it
    ends the run."""
    tokens = tokens[offset % len(tokens):] + tokens[:offset % len(tokens)]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    handshakes: list[float] = []
    failures: Counter[str] = Counter()

    async def open_one(i: int) -> Collector | None:
        user, token = tokens[i % len(tokens)]
        async with gate:
            for _ in range(5):
                started = time.perf_counter()
                try:
                    collector = await connect(live_url, token, timeout=30)
                except HandshakeRefused as refused:
                    failure = str(refused).split(" ", 1)[0] or "refused"
                except (OSError, asyncio.TimeoutError) as error:
                    failure = type(error).__name__
                else:
                    handshakes.append(time.perf_counter() - started)
                    return collector
                await asyncio.sleep(0.5)
            if not tolerant:
                raise RuntimeError(f"connection {i} to {live_url} failed five times ({failure})")
            failures[failure] += 1
            return None

    collectors = await asyncio.gather(*(open_one(i) for i in range(count)))
    opened = [collector for collector in collectors if collector is not None]
    for collector in opened:
        collector.keeping = False
        collector.frames.clear()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while (line := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) not in ("stop", ""):
        if line == "start":
            for collector in opened:
                collector.keeping = True
    records = [{"user": tokens[i % len(tokens)][0], "frames": [(t, event_key(f)) for t, f in collector.frames]}
               for i, collector in enumerate(collectors) if collector is not None]
    if tolerant:
        records = {"records": records, "handshakes": handshakes, "failures": failures}
    print(json.dumps(records), flush=True)
    for collector in collectors:
        if collector is not None:
            collector.transport.abort()


def read_tokens(path: Path) -> list[tuple[int, str]]:
    """(user, token) pairs: this benchmark's JSON, or a school's file of one token a line (the load
    test), numbered by line. Read where it lies: the tokens are never copied anywhere."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return [tuple(pair) for pair in json.loads(text)]
    lines = [line.strip() for line in text.splitlines()]
    return [(number, line) for number, line in enumerate(lines, 1) if line and not line.startswith("#")]


def worker_main(args) -> int:
    tokens = read_tokens(Path(args.worker_tokens))
    from tui_inbox.event_loops import new_event_loop

    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # the instrument costs as little as it can
        runner.run(hold_connections(args.worker, tokens, args.worker_count, args.worker_offset, args.worker_tolerant))
    return 0


# -- the processes of the school ------------------------------------------------------------
def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def first_line(process: subprocess.Popen, what: str) -> dict:
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"{what} did not start: {process.stderr.read()[-2000:]}")
    return json.loads(line)


# Every benchmark client connects from 127.0.0.1, each of the school's people has about ten
# connections here (10,000 over 1,046 people), and Canvas is one sandbox process answering
# every handshake's questions: the limits meant for the Internet are raised to fit the
# instrument, not the other way round.
BENCH_LIMITS = ["--max-handshakes-per-address", "100000", "--max-connections-per-user", "64",
                "--handshake-timeout", "120"]


def start_relay(canvas_url: str, nats_url: str, admin_token: str, log, profile: Path | None = None
                ) -> tuple[subprocess.Popen, dict]:
    extra = {"RELAY_BENCH_PROFILE": str(profile)} if profile else {}
    process = subprocess.Popen(
        [sys.executable, "-c", PROFILED_CLI if profile else CLI, "relay", "--canvas-url", canvas_url, "--nats", nats_url,
         "--jwks-url", canvas_url + "/data_services/jwks", *BENCH_LIMITS],
        stdout=subprocess.PIPE, stderr=log, text=True,
        env={**env(), "TUI_INBOX_RELAY_ADMIN_TOKEN": admin_token, **extra})
    return process, first_line(process, "a relay")


def metrics_of(url: str) -> dict[str, list]:
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(httpx.get(url, timeout=10).text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def total(samples: dict, name: str) -> float:
    return sum(value for _, value in samples.get(name, []))


def histogram_quantile(samples: dict, name: str, q: float) -> float:
    """Prometheus's histogram_quantile: linear inside the bucket that holds the q-th answer."""
    buckets = sorted((float(labels["le"]), value) for labels, value in samples.get(name + "_bucket", []))
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-9)
        lower_bound, lower_count = bound, count
    return buckets[-1][0]


def difference(after: dict, before: dict, name: str) -> dict:
    """A histogram's samples over the window (after minus before), bucket by bucket."""
    old = {tuple(sorted(labels.items())): value for labels, value in before.get(name, [])}
    return {name: [(labels, value - old.get(tuple(sorted(labels.items())), 0.0)) for labels, value in
                   after.get(name, [])]}


async def direct_baseline(live_url: str, users: list[tuple[int, str]], ready: asyncio.Event,
                          stop: asyncio.Event) -> dict:
    """One connection per user on the sandbox's own stream: user -> [(arrival, frame)], and when
    any of them ended before ``stop``.
    ``ready`` is set once every user is connected: an event from before a user's direct
    connection would otherwise count as one the relay should not have given them."""
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def open_one(token: str) -> Collector:
        async with gate:
            return await connect(live_url, token, timeout=60)

    collectors = await asyncio.gather(*(open_one(token) for _, token in users))
    ready.set()
    await stop.wait()
    # A direct connection the sandbox closed early would make its user's events look lost or leaked.
    ended = sorted(collector.closed_at for collector in collectors if collector.closed_at is not None)
    for collector in collectors:
        collector.transport.abort()
    return {user: collector.frames for (user, _), collector in zip(users, collectors)}, ended


async def wait_until_caught_up(metrics_url: str, fresh: float = 0.25, backlog: float = 20,
                               limit: float = 300.0) -> tuple[float, float]:
    """Wait until, over a second, the median event reaching the relay is under ``fresh`` seconds
    old (``relay_event_age_seconds``: Data Services has caught up) and at most ``backlog`` stored
    events wait for a router (``relay_broker_lag``: routing has caught up). Returns the seconds
    waited and the backlog then."""
    started = time.monotonic()
    before = metrics_of(metrics_url)
    lag = float("nan")
    while time.monotonic() - started < limit:
        await asyncio.sleep(1)
        after = metrics_of(metrics_url)
        window = difference(after, before, "relay_event_age_seconds_bucket")
        before = after
        lag = total(after, "relay_broker_lag")
        if histogram_quantile(window, "relay_event_age_seconds", 0.5) < fresh and lag <= backlog:
            break
    return time.monotonic() - started, lag


async def sample_broker_lag(metrics_url: str, seconds: float) -> list[float]:
    """``relay_broker_lag`` (events stored but not yet taken by a router), every half second for
    ``seconds``: high means routing is behind; near 0 with late deliveries means upstream is.
    One instance is enough: there is one stream and one consumer, so every instance reports the same."""
    lags, end = [], time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < end:
            started = time.monotonic()
            text = (await client.get(metrics_url)).text
            lags += [float(line.split()[-1]) for line in text.splitlines() if line.startswith("relay_broker_lag ")]
            await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    return lags


def describe(state, user: int, key: str) -> str:
    """One lost or extra (user, event) pair, with what the seeded world says of the user and the context."""
    metadata, body = json.loads(key)
    kind, number = metadata.get("context_type"), int(metadata.get("context_id") or 0) % 10**13
    ids_of = {"Course": state.world.course_ids_of, "Group": state.world.group_ids_of}.get(kind)
    member = number in ids_of(user) if ids_of else None
    return (f"user {user}, {metadata.get('event_name')} in {kind} {number} (member: {member}), at "
            f"{metadata.get('event_time')}, actor {int(metadata.get('user_id') or 0) % 10**13}, "
            f"conversation {body.get('conversation_id')}")


def cpu_seconds(processes: dict) -> dict[str, float]:
    """User and system CPU seconds so far of each process, and of this one (the baseline)."""
    figures = {name: sum(psutil.Process(p.pid).cpu_times()[:2]) for name, p in processes.items()}
    figures["baseline (this)"] = sum(psutil.Process().cpu_times()[:2])
    return figures


def routed_now(relays: dict) -> float:
    return sum(total(metrics_of(info["metrics_url"]), "relay_events_routed_total") for _, info in relays.values())


def rss(process: subprocess.Popen) -> int:
    return psutil.Process(process.pid).memory_info().rss


async def run(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    log = open(work / "processes.log", "w")
    nats = NatsChild(store_dir=str(work / "nats")).start()
    sandbox_port = free_port()
    canvas_url = f"http://127.0.0.1:{sandbox_port}"
    processes: list[subprocess.Popen] = []
    try:
        # The users and the admin token are the seed's (stable), so the relays can start first.
        from tui_inbox.sandbox.seed import seed_state
        from tui_inbox.sandbox.server import listed_users
        from tui_inbox.sandbox.state import Knobs, SandboxState

        seeded = SandboxState(Knobs(seed=args.seed, course_students=args.course_students, school=args.school))
        seed_state(seeded)
        users = listed_users(seeded)
        admin = next(u["token"] for u in users if u["role"] == "admin")
        people = [(u["id"], u["token"]) for u in users if u["role"] != "admin"]

        profiles = Path(args.profile) if args.profile else None
        if profiles:
            profiles.mkdir(parents=True, exist_ok=True)
        relay_a, info_a = start_relay(canvas_url, nats.url, admin, log, profiles and profiles / "relay-a.prof")
        processes.append(relay_a)
        relays = {"relay A": (relay_a, info_a)}
        if args.instances == 2:
            relay_b, info_b = start_relay(canvas_url, nats.url, admin, log, profiles and profiles / "relay-b.prof")
            processes.append(relay_b)
            relays["relay B"] = (relay_b, info_b)

        sandbox = subprocess.Popen(
            [sys.executable, "-c", CLI, "sandbox", "--port", str(sandbox_port), "--seed", str(args.seed),
             "--course-students", str(args.course_students), "--school", str(args.school),
             "--activity", str(1 / args.rate),
             "--data-services", info_a["events_url"], "--ds-duplicate-rate", str(args.duplicate_rate),
             "--ds-retry-base", "0.5"],
            stdout=subprocess.PIPE, stderr=log, text=True, env=env())
        processes.append(sandbox)
        sandbox_info = first_line(sandbox, "the sandbox")

        # The first event makes A fetch the sandbox's JWKS; from then on events flow.
        deadline = time.monotonic() + 60
        while routed_now(relays) == 0:
            if time.monotonic() > deadline:
                raise SystemExit(f"no event was routed in 60 s; see {work / 'processes.log'}")
            await asyncio.sleep(0.2)

        # The baseline first, so every event a relay client gets was on the direct stream too.
        stop, baseline_ready = asyncio.Event(), asyncio.Event()
        baseline_task = asyncio.create_task(direct_baseline(sandbox_info["live_url"], people, baseline_ready, stop))
        await asyncio.wait({baseline_task, asyncio.ensure_future(baseline_ready.wait())},
                           return_when=asyncio.FIRST_COMPLETED)
        if baseline_task.done():
            baseline_task.result()  # a connection failed: say why
        all_connected_at = time.time()

        tokens_file = work / "tokens.json"
        tokens_file.write_text(json.dumps(people))
        workers = []
        rss_before = sum(rss(process) for process, _ in relays.values())
        connect_started = time.perf_counter()
        # Each instance gets its share; each share is held by as few client processes as hold it
        # honestly (--per-client, 5,000: past that one process's loop lags the frames it times).
        offset = 0
        for index, (name, (_, info)) in enumerate(relays.items()):
            share = args.connections // len(relays) + (1 if index < args.connections % len(relays) else 0)
            parts = max(1, -(-share // args.per_client))
            for part in range(parts):
                count = share // parts + (1 if part < share % parts else 0)
                workers.append(subprocess.Popen(
                    [sys.executable, __file__, "--worker", info["live_url"], "--worker-tokens", str(tokens_file),
                     "--worker-count", str(count), "--worker-offset", str(offset)], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=log, text=True, env=env()))
                offset += count
        processes += workers
        for worker in workers:
            # Read off the loop: this process's direct connections must go on answering the
            # sandbox's pings meanwhile (it closes one that has not answered for 40 s).
            if (await asyncio.to_thread(worker.stdout.readline)).strip() != "ready":
                raise SystemExit(f"a client process did not connect; see {work / 'processes.log'}")
        connect_seconds = time.perf_counter() - connect_started
        rss_after = sum(rss(process) for process, _ in relays.values())
        connections = sum(total(metrics_of(info["metrics_url"]), "relay_connections") for _, info in relays.values())
        await asyncio.sleep(2)  # frames of events from before every client was connected are left out
        # While the handshakes ask the sandbox who each user is, Data Services falls behind (one
        # loop plays all of Canvas), and while the relays take the handshakes their routing does;
        # the window starts once the events reaching A are fresh again and the backlog is routed.
        catch_up, backlog = await wait_until_caught_up(info_a["metrics_url"])
        for worker in workers:
            worker.stdin.write("start\n")
            worker.stdin.flush()
        # Kept from a second before the window: a relay frame may come a little ahead of the
        # same event on the direct stream.
        await asyncio.sleep(1)
        before = metrics_of(info_a["metrics_url"])
        watched = {"sandbox": sandbox, **{name: process for name, (process, _) in relays.items()},
                   **{f"clients {i + 1}": worker for i, worker in enumerate(workers)}, "nats": nats._process}
        cpu_before = cpu_seconds(watched)
        window_start = time.time()
        lags = await sample_broker_lag(info_a["metrics_url"], args.seconds)
        window_end = time.time()
        cpu_window = {name: seconds - cpu_before[name] for name, seconds in cpu_seconds(watched).items()}
        after = metrics_of(info_a["metrics_url"])
        held = sum(total(metrics_of(info["metrics_url"]), "relay_connections") for _, info in relays.values())
        # Late is not lost: wait until the relays have routed nothing new for --drain seconds
        # (Data Services may still be catching up on its queue), at most --late seconds: the
        # sandbox's people go on writing, so routing may never be quiet. An event later than
        # that counts as lost.
        routed, quiet_since, give_up = -1.0, time.monotonic(), time.monotonic() + args.late
        while time.monotonic() - quiet_since < args.drain and time.monotonic() < give_up:
            now_routed = routed_now(relays)
            if now_routed != routed:
                routed, quiet_since = now_routed, time.monotonic()
            await asyncio.sleep(0.5)
        direct_stopped_at = time.time()  # the direct connections close one by one from here
        stop.set()
        direct, direct_ended = await baseline_task
        records = []
        for worker in workers:
            worker.stdin.write("stop\n")
            worker.stdin.flush()
            records += json.loads(worker.stdout.readline())
        final = {name: metrics_of(info["metrics_url"]) for name, (_, info) in relays.items()}
        cpu = cpu_seconds(watched)
        # -- matching ---------------------------------------------------------------------
        direct_at: dict[int, dict[str, float]] = {}
        direct_lags: list[float] = []
        in_window: set[str] = set()
        for user, frames in direct.items():
            seen = direct_at.setdefault(user, {})
            for arrival, frame in frames:
                key = event_key(frame)
                seen.setdefault(key, arrival)
                if window_start <= arrival <= window_end:
                    in_window.add(key)
                    event_time = json.loads(frame)["metadata"].get("event_time")
                    if event_time:
                        from datetime import datetime
                        emitted = datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()
                        direct_lags.append(arrival - emitted)
        # A leak can only be told for an event published while every direct connection was open: one
        # published while they were still being made, or while they were being closed at the end (the
        # relay clients stay open a little longer), reached only some of its audience directly.
        first_seen: dict[str, float] = {}
        for seen in direct_at.values():
            for key, arrival in seen.items():
                first_seen[key] = min(arrival, first_seen.get(key, arrival))
        everyone = {key for key, arrival in first_seen.items()
                    if all_connected_at <= arrival <= direct_stopped_at - CLOSING_MARGIN}
        relay_lags: list[float] = []
        lost = duplicated = delivered = expected = 0
        lost_examples: list[tuple[int, str]] = []
        extras: list[tuple[int, str]] = []
        lost_pairs: list[str] = []
        for record in records:
            user = record["user"]
            wanted = {k for k, t in direct_at.get(user, {}).items() if k in in_window}
            got: dict[str, float] = {}
            for arrival, key in record["frames"]:
                if key in got:
                    if key in in_window:
                        duplicated += 1
                    continue
                got[key] = arrival
            expected += len(wanted)
            for key in wanted:
                if key in got:
                    delivered += 1
                    relay_lags.append(got[key] - direct_at[user][key])
                else:
                    lost += 1
                    lost_pairs.append(key)
                    lost_examples.append((user, key))
            # An event the direct stream gave someone, but not this user: the relay leaked it.
            mine = direct_at.get(user, {})
            extras.extend((user, key) for key in got if key in everyone and key not in mine)


        # The sandbox sends a message's event to its recipients; live-stream.md lets the relay send
        # it to every participant of the conversation after the event. Beyond the direct stream is
        # a leak only for someone who is not a participant (or for a discussion event).
        participants: dict[str, set[int]] = {}
        allowed = leaks = unknown_participants = 0
        leak_kinds: Counter[str] = Counter()
        with httpx.Client(base_url=canvas_url, headers={"Authorization": f"Bearer {admin}"}, timeout=30) as canvas:
            for user, key in extras:
                metadata, body = json.loads(key)
                conversation = body.get("conversation_id")
                if conversation is None:
                    leaks += 1
                    leak_kinds[metadata["event_name"]] += 1
                    continue
                if conversation not in participants:
                    answer = canvas.get(f"/api/v1/conversations/{conversation}",
                                        params={"as_user_id": str(int(metadata["user_id"]) % 10**13),
                                                "auto_mark_as_read": "0"})
                    known = answer.json() if answer.status_code == 200 else {}
                    if answer.status_code != 200:
                        unknown_participants += 1  # Canvas could not say: counted as a leak, and said so
                    participants[conversation] = {p["id"] for p in known.get("participants", [])}
                if user in participants[conversation]:
                    allowed += 1
                else:
                    leaks += 1
                    leak_kinds[metadata["event_name"]] += 1
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        nats.stop()
        log.close()

    window = difference(after, before, "relay_ingest_seconds_bucket")
    answers = total(window, "relay_ingest_seconds_bucket") and max(v for _, v in window["relay_ingest_seconds_bucket"])
    ingest_p50 = histogram_quantile({"relay_ingest_seconds_bucket": window["relay_ingest_seconds_bucket"]},
                                    "relay_ingest_seconds", 0.5)
    ingest_p99 = histogram_quantile({"relay_ingest_seconds_bucket": window["relay_ingest_seconds_bucket"]},
                                    "relay_ingest_seconds", 0.99)
    ages = difference(after, before, "relay_event_age_seconds_bucket")
    age_p50, age_p99 = (histogram_quantile(ages, "relay_event_age_seconds", q) for q in (0.5, 0.99))
    duplicates_posted = total(after, "relay_events_duplicates_total") - total(before, "relay_events_duplicates_total")
    per_connection = (rss_after - rss_before) / max(args.connections, 1)
    routed = ", ".join(f"by {name.split()[-1]} {total(samples, 'relay_events_routed_total'):.0f}"
                       for name, samples in final.items())

    # Lost at a connection (other connections got the event: a full queue, a slow read) or
    # lost upstream (no connection got it: Data Services, ingest or routing never passed it on).
    reached = {key for record in records for _, key in record["frames"]}
    lost_upstream = sum(1 for key in lost_pairs if key not in reached)
    lost_events = len(set(lost_pairs))
    dropped = sum(total(samples, "relay_frames_dropped_total") for samples in final.values())
    ms = 1000.0
    print(f"relay benchmark: {args.connections} connections ({int(connections)} counted by the relays once "
          f"connected, {int(held)} at the window's end) over "
          f"{len(final)} instance(s), {len(people)} users, {args.seconds:.0f} s window, {len(workers)} client processes")
    print(f"  events in the window: {len(in_window)} ({len(in_window) / args.seconds:.0f}/s) on the direct stream; "
          f"{answers:.0f} POSTs answered by A ({duplicates_posted:.0f} duplicates); routed {routed} "
          f"(whole run); {expected} (event, connection) deliveries expected")
    print(f"  Data Services and routing caught up {catch_up:.0f} s after the last connection (backlog then "
          f"{backlog:.0f}); events' age on reaching A in "
          f"the window: p50 {age_p50 * ms:.0f} ms, p99 {age_p99 * ms:.0f} ms")
    print(f"  connecting took {connect_seconds:.1f} s; relays' RSS {rss_before / 2**20:.1f} -> {rss_after / 2**20:.1f} MiB")
    print("  CPU seconds over the whole run: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    print(f"  cores busy in the window ({os.cpu_count()} on this machine): "
          f"{sum(cpu_window.values()) / args.seconds:.2f}, of which " +
          ", ".join(f"{k} {v / args.seconds:.2f}" for k, v in cpu_window.items()))
    if direct_ended:
        print(f"  direct connections the sandbox ended before the run did: {len(direct_ended)} of {len(people)}, the "
              f"first {direct_ended[0] - all_connected_at:.0f} s after all were open (the window ran "
              f"{window_start - all_connected_at:.0f} to {window_end - all_connected_at:.0f} s)")
    if lost:
        print(f"  lost: {lost} (event, connection) pairs of {lost_events} events; {lost_upstream} of the pairs are of "
              f"events no relay connection got at all; frames the relays dropped for a full queue: {dropped:.0f}")
    print(f"  broker lag in the window (stored events not yet taken by a router): median "
          f"{percentile(lags, 0.5):.0f}, max {max(lags, default=float('nan')):.0f}")
    print(f"  latest delivery in the window: {max(relay_lags, default=float('nan')) * 1000:.0f} ms after the direct "
          f"stream; deliveries later than 1 s: {sum(1 for lag in relay_lags if lag > 1)}")
    print(f"  beyond the direct stream, to participants of the conversation (allowed): {allowed}")
    for label, examples in (("lost", lost_examples), ("beyond the direct stream", extras)):
        for user, key in examples[:3]:
            print(f"    {label}: {describe(seeded, user, key)}")
    if leaks:
        print("  leaked, by event: " + ", ".join(f"{name} {count}" for name, count in sorted(leak_kinds.items())) +
              (f"; conversations whose participants Canvas did not give afterwards: {unknown_participants}"
               if unknown_participants else ""))
    rows = [
        ("ingest answer p50 (ms)", ingest_p50 * ms, None, None),
        ("ingest answer p99 (ms)", ingest_p99 * ms, None, 50),
        ("event to client p50 (ms)", percentile(relay_lags, 0.5) * ms, percentile(direct_lags, 0.5) * ms, 50),
        ("event to client p99 (ms)", percentile(relay_lags, 0.99) * ms, percentile(direct_lags, 0.99) * ms, 250),
        ("events lost", lost, 0, 0),
        ("events leaked (not the user's)", leaks, 0, 0),
        ("duplicates delivered", duplicated, 0, 0),
        ("memory per idle connection (KB)", per_connection / 1024, None, 64),
    ]
    print(f"  {'figure':34} {'relay':>10} {'direct':>10} {'goal':>8}  met?")
    for name, ours, baseline, goal in rows:
        shown = "-" if baseline is None else f"{baseline:.1f}"
        met = "-" if goal is None else ("yes" if (ours <= goal if goal else ours == 0) else "NO")
        print(f"  {name:34} {ours:>10.1f} {shown:>10} {('<' if goal else '=') + str(goal) if goal is not None else '-':>8}  {met}")
    print("  relay: arrival at a relay client minus the same event's arrival on the direct stream; direct: "
          "arrival minus the event's event_time (ms, the sandbox's real-time clock)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--instances", type=int, choices=(1, 2), default=2,
                        help="relay instances sharing the connections (10,000 against one: --instances 1)")
    parser.add_argument("--per-client", type=int, default=5000, help="connections one client process holds at most")
    parser.add_argument("--rate", type=float, default=82.0,
                        help="simulated actions a second (the sandbox's --activity 1/rate); an action is 1 to 3 "
                             "events (sandbox/activity.py's mix): about 1.22 on average with --school, 1.33 "
                             "without, so 82 and 75 make about 100 events a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--drain", type=float, default=3.0, help="after the window, wait until nothing new was routed for this long")
    parser.add_argument("--late", type=float, default=20.0, help="an event not delivered this long after the window "
                        "is lost")
    parser.add_argument("--duplicate-rate", type=float, default=0.1)
    parser.add_argument("--course-students", type=int, default=0)
    parser.add_argument("--school", type=int, default=48,
                        help="the sandbox's --school: classes of about 40 around the seeded school (48: 1,046 "
                             "people, one connection each); 0: the seeded 38 people, each with many connections")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="DIR", help="run the relays under cProfile; their figures go to "
                        "DIR/relay-a.prof and relay-b.prof (pstats), with the profiler's own cost in every figure")
    parser.add_argument("--worker", metavar="LIVE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--worker-tokens", help=argparse.SUPPRESS)
    parser.add_argument("--worker-count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker-tolerant", action="store_true", help=argparse.SUPPRESS)
    # The load test against a deployed relay (relay_load_test.py).
    parser.add_argument("--relay-url", metavar="WSS_URL", help="load-test a deployed relay's /live (wss://host/live) "
                        "instead of running the school on loopback")
    parser.add_argument("--tokens-file", metavar="FILE", help="load test: the users' tokens, one a line")
    parser.add_argument("--ingest-url", metavar="URL", help="load test: the relay's /canvas/live-events, to POST "
                        "--events-file's bodies to")
    parser.add_argument("--events-file", metavar="FILE", help="load test: one POST body a line (an event's JSON for "
                        "a staging relay run with --allow-unsigned, or a signed JWT), each sent once")
    parser.add_argument("--metrics-url", metavar="URL", help="load test: the relay's /metrics (ingest and connection "
                        "figures from the relay's side)")
    args = parser.parse_args()
    if args.worker:
        return worker_main(args)
    if args.relay_url:
        from relay_load_test import load_test

        return load_test(args, Path(__file__))
    from tui_inbox.event_loops import new_event_loop

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
