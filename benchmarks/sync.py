"""How long loading a whole inbox takes: our concurrent pagination against canvasapi's sequential one.

Runs `tui-inbox sandbox --conversations N --latency-ms MS` as a separate process and loads
the seeded teacher's whole inbox scope (per_page=100) in two ways:
  - ours: `CanvasClient(base_url, token).load_conversations(per_page=100)` under asyncio:
    the first page, then the remaining pages concurrently (at most `concurrency`, default 8,
    in flight) and returned in Canvas's order, each item parsed into a `Conversation`;
  - canvasapi: `Canvas(base_url, token).get_conversations(per_page=100)`, the PaginatedList
    iterated to the end: one page after another, following the `next` links.
Beside them, for reference (not part of the goal): "sequential", canvasapi's access pattern
without canvasapi: a requests.Session following the `next` links, each page only
json-decoded. canvasapi spends most of its time building its objects (it tries to parse
every attribute of every conversation as a date), so this row shows how much of the gap
is concurrency alone.
All must return the same conversations (same ids, same order): the script asserts it.
The runs are interleaved (ours, canvasapi, ours, ...), each with a fresh client, so each
run pays for its own connections. The time is from creating the client to having the list.
Requests are counted on the client side: an httpx request hook for ours, a requests
response hook for canvasapi and the reference.

The default N (5434) puts exactly 5,000 conversations (50 pages) in the inbox scope; the
rest of the seeded ones are archived. The added latency (default 50 ms, before every
response starts) stands in for the network and Canvas's own work; the second table runs
the same loads with no added latency, where what is left is the CPU floor (the sandbox
serializing pages, the client parsing them and building models).

Goal: with the added latency, ours takes at most one fifth of canvasapi's time (median).

    python benchmarks/sync.py [--conversations 5434] [--latency-ms 50] [--runs 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import warnings

import requests
from canvasapi import Canvas

from tui_inbox.canvas.client import CanvasClient

GOAL_RATIO = 5.0


def start(conversations: int, latency_ms: float) -> tuple[subprocess.Popen, str, str]:
    cmd = [sys.executable, "-m", "tui_inbox.cli", "sandbox", "--conversations", str(conversations),
           "--latency-ms", str(latency_ms)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise SystemExit(f"the sandbox did not start (exit code {proc.returncode})")
    info = json.loads(line)
    return proc, info["base_url"], info["users"][0]["token"]


def ours(base_url: str, token: str, scope: str, concurrency: int) -> tuple[float, list[int], int]:
    made = 0

    async def count(request) -> None:
        nonlocal made
        made += 1

    async def load() -> tuple[float, list[int]]:
        began = time.perf_counter()
        client = CanvasClient(base_url, token, concurrency=concurrency)
        client.http._http.event_hooks["request"].append(count)  # the client's own httpx.AsyncClient
        try:
            conversations = await client.load_conversations(scope, per_page=100)
            elapsed = time.perf_counter() - began
        finally:
            await client.aclose()
        return elapsed, [c.id for c in conversations]

    elapsed, ids = asyncio.run(load())
    return elapsed, ids, made


def canvasapi(base_url: str, token: str, scope: str) -> tuple[float, list[int], int]:
    made = 0

    def count(response, *args, **kwargs) -> None:
        nonlocal made
        made += 1

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Canvas may respond unexpectedly ... HTTP URLs": it is loopback
        canvas = Canvas(base_url, token)
    session = canvas._Canvas__requester._session  # the requests.Session every page goes through
    session.hooks["response"].append(count)
    try:
        conversations = list(canvas.get_conversations(scope=scope, per_page=100))
        elapsed = time.perf_counter() - began
    finally:
        session.close()
    return elapsed, [c.id for c in conversations], made


def sequential(base_url: str, token: str, scope: str) -> tuple[float, list[int], int]:
    made = 0
    began = time.perf_counter()
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        url: str | None = f"{base_url}/api/v1/conversations"
        params: dict | None = {"scope": scope, "per_page": 100}
        ids: list[int] = []
        while url:
            response = session.get(url, params=params)
            response.raise_for_status()
            made += 1
            ids.extend(c["id"] for c in response.json())
            url, params = response.links.get("next", {}).get("url"), None
        elapsed = time.perf_counter() - began
    return elapsed, ids, made


CLIENTS = ("ours", "canvasapi", "sequential")


def measure(conversations: int, latency_ms: float, runs: int, scope: str, concurrency: int) -> dict:
    proc, base_url, token = start(conversations, latency_ms)
    times: dict[str, list[float]] = {name: [] for name in CLIENTS}
    requests_made: dict[str, set[int]] = {name: set() for name in CLIENTS}
    reference: list[int] | None = None
    try:
        ours(base_url, token, scope, concurrency)  # warm-up: imports, the server's first requests
        for _ in range(runs):
            for name, run in (("ours", lambda: ours(base_url, token, scope, concurrency)),
                              ("canvasapi", lambda: canvasapi(base_url, token, scope)),
                              ("sequential", lambda: sequential(base_url, token, scope))):
                elapsed, ids, made = run()
                if reference is None:
                    reference = ids
                    assert len(set(ids)) == len(ids), "a conversation came twice"
                assert ids == reference, f"{name} got {len(ids)} conversations, not the same {len(reference)} in order"
                times[name].append(elapsed)
                requests_made[name].add(made)
    finally:
        proc.terminate()
        proc.wait(10)
    return {"latency_ms": latency_ms, "count": len(reference or []), "times": times, "requests": requests_made}


def report(result: dict, runs: int) -> float:
    times = result["times"]
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    ratio = medians["canvasapi"] / medians["ours"]
    print(f"\n{result['count']:,} conversations, {result['latency_ms']:g} ms added latency per response")
    runs_header = "".join(f"{'run ' + str(i + 1) + ' s':>10}" for i in range(runs))
    print(f"{'client':<12}{'requests':>10}{runs_header}{'median s':>10}")
    for name in CLIENTS:
        made = "/".join(str(n) for n in sorted(result["requests"][name]))
        print(f"{name:<12}{made:>10}" + "".join(f"{t:>10.3f}" for t in times[name]) + f"{medians[name]:>10.3f}")
    print(f"canvasapi / ours: {ratio:.1f}x   (reference: sequential / ours: "
          f"{medians['sequential'] / medians['ours']:.1f}x)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=5434,
                        help="the sandbox's --conversations (default 5434: 5,000 in the inbox scope)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scope", default="inbox")
    parser.add_argument("--concurrency", type=int, default=8, help="our client's concurrency (Canvas tolerates ~10)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    print(f"loading scope {args.scope!r}, per_page=100; ours with concurrency {args.concurrency}")
    slow = measure(args.conversations, args.latency_ms, args.runs, args.scope, args.concurrency)
    ratio = report(slow, args.runs)
    if args.latency_ms:
        report(measure(args.conversations, 0.0, args.runs, args.scope, args.concurrency), args.runs)
    print(f"\ngoal: ours at most 1/{GOAL_RATIO:g} of canvasapi's time with {args.latency_ms:g} ms latency "
          f"({ratio:.1f}x):", "goal met" if ratio >= GOAL_RATIO else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
