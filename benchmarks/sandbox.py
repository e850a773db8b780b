"""How fast the sandbox gets ready with a huge inbox, how much memory it holds, how fast it answers.

Runs `tui-inbox sandbox --conversations N` as a separate process and measures:
  - ready: from process start to the JSON line on standard output (the server is listening);
  - memory: the server process's resident set size once ready;
  - first page: the median and p95 of `GET /api/v1/conversations` (first page, default per_page)
    over loopback with a keep-alive client and no added latency.
Beside it, in the same run, the baseline: the same server seeded with no extra conversations,
and a bare Starlette+uvicorn endpoint answering `[]` (the floor of the HTTP stack on this machine).

    python benchmarks/sandbox.py [--conversations 100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
import time

import httpx
import psutil

BARE_SERVER = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    async def empty(request):
        return JSONResponse([])
    sock = socket.socket(); sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); sock.bind(("127.0.0.1", 0)); sock.listen(128)
    print('{"base_url": "http://127.0.0.1:%d"}' % sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/api/v1/conversations", empty)]), log_level="warning")).run(sockets=[sock])
    """
)


def start(cmd: list[str]) -> tuple[subprocess.Popen, dict, float]:
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    return proc, info, time.perf_counter() - began


def time_requests(base_url: str, token: str | None, count: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    samples = []
    with httpx.Client(base_url=base_url, headers=headers) as client:
        for _ in range(10):  # warm the connection and any caches
            client.get("/api/v1/conversations").raise_for_status()
        for _ in range(count):
            t0 = time.perf_counter()
            client.get("/api/v1/conversations").raise_for_status()
            samples.append(time.perf_counter() - t0)
    return samples


def measure(label: str, cmd: list[str], requests: int, with_token: bool = True) -> dict:
    proc, info, ready = start(cmd)
    try:
        rss = psutil.Process(proc.pid).memory_info().rss
        token = info["users"][0]["token"] if with_token else None
        samples = time_requests(info["base_url"], token, requests)
    finally:
        proc.terminate()
        proc.wait(10)
    samples.sort()
    return {
        "label": label,
        "ready_s": ready,
        "rss_mb": rss / 2**20,
        "p50_ms": statistics.median(samples) * 1000,
        "p95_ms": samples[int(len(samples) * 0.95) - 1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    sandbox = [sys.executable, "-m", "tui_inbox.cli", "sandbox"]
    rows = [
        measure("bare Starlette []", [sys.executable, "-c", BARE_SERVER], args.requests, with_token=False),
        measure("sandbox, seeded only", sandbox, args.requests),
        measure(f"sandbox, +{args.conversations:,} conversations", sandbox + ["--conversations", str(args.conversations)],
                args.requests),
    ]
    print(f"{'server':<36}{'ready s':>9}{'RSS MB':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for row in rows:
        print(f"{row['label']:<36}{row['ready_s']:>9.2f}{row['rss_mb']:>9.0f}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}")
    big, floor = rows[2], rows[0]
    print(f"first page with {args.conversations:,} conversations: {big['p50_ms'] / floor['p50_ms']:.1f}x the bare endpoint's p50")
    print("goals: ready < 10 s, RSS < 1024 MB, p50 < 20 ms:",
          "met" if big["ready_s"] < 10 and big["rss_mb"] < 1024 and big["p50_ms"] < 20 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
