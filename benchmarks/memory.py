"""What the whole app holds in memory with a huge inbox, beside a bare Textual app and the raw JSON.

Starts `tui-inbox sandbox` as a separate process, seeded so that its teacher's inbox scope
holds at least N conversations (`--conversations ceil(N / 0.88)`: about 10% of the bulk ones
are archived), then measures, each in a fresh process of its own (so one cannot reuse the
other's freed memory):
  - app: the real `InboxApp` with a real `InboxSession` on the sandbox, headless
    (`App.run_test(size=(160, 48))`), left to do what it does at start: sign in, load the
    first page, then the whole inbox scope in the background (`load_conversations`), fill
    the view and paint the list. Once the list shows every row, the RSS (psutil, after
    `gc.collect()` and glibc's `malloc_trim(0)`, so freed memory is handed back and not
    counted) and the peak RSS of the process (`ru_maxrss`, which includes the load's
    transient JSON) are read;
  - bare: a bare Textual `App` with one `Static`, headless at the same size, after its first
    frame: the floor any Textual app pays (the interpreter, Textual, Rich);
  - raw JSON: the bytes of every page of the inbox scope (per_page=100) as the sandbox sends
    them, fetched by this process with plain httpx after the runs: the text being held.
The goal applies to the app's RSS: at most 150 MB with 100,000 conversations.
The sandbox's bulk conversations repeat a few dozen subjects and previews, which the rows
share (as Canvas's bulk messages do in a real inbox); an inbox whose every text differs costs
more: measured with the texts unshared (2026-12-01), 129 MB rather than 106 MB.

    python benchmarks/memory.py [--conversations 100000] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import math
import resource
import subprocess
import sys
import time

import httpx
import psutil

SIZE = (160, 48)
GOAL_MB = 150.0
ARCHIVED_SHARE = 0.12


def settled_rss_mb() -> float:
    gc.collect()
    try:  # glibc: hand freed heap pages back, so freed memory is not counted as held
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# -- the measured processes ------------------------------------------------------------------------
async def measure_app(base_url: str, token: str, want: int) -> dict:
    from tui_inbox.canvas.client import CanvasClient
    from tui_inbox.inbox.session import InboxSession
    from tui_inbox.ui.app import InboxApp

    began = time.perf_counter()
    session = InboxSession(CanvasClient(base_url, token))
    app = InboxApp(session)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 600
        while len(app.list.rows) < want:  # the background load fills the view, then the list
            if time.monotonic() > deadline:
                raise SystemExit(f"the list shows only {len(app.list.rows):,} rows")
            await session.wait_loaded()
            await pilot.pause()
        loaded = time.perf_counter() - began
        await pilot.pause()
        return {"rows": len(app.list.rows), "rss_mb": settled_rss_mb(), "peak_mb": peak_rss_mb(), "seconds": loaded}


async def measure_bare() -> dict:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Static("hello")

    async with Bare().run_test(size=SIZE) as pilot:
        await pilot.pause()
        return {"rss_mb": settled_rss_mb(), "peak_mb": peak_rss_mb()}


def child(argv: list[str]) -> int:
    kind = argv[0]
    result = asyncio.run(measure_app(argv[1], argv[2], int(argv[3])) if kind == "app" else measure_bare())
    print(json.dumps(result))
    return 0


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"the {args[0]} process failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the sandbox and the raw text ------------------------------------------------------------------
def start_sandbox(conversations: int) -> tuple[subprocess.Popen, str, str]:
    cmd = [sys.executable, "-m", "tui_inbox.cli", "sandbox", "--conversations", str(conversations)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise SystemExit(f"the sandbox did not start (exit code {proc.returncode})")
    info = json.loads(line)
    return proc, info["base_url"], info["users"][0]["token"]


def raw_json(base_url: str, token: str) -> tuple[int, int]:
    """(conversations, bytes) of the whole inbox scope, page by page."""
    total = count = 0
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        page = 1
        while True:
            response = http.get("/api/v1/conversations", params={"scope": "inbox", "per_page": 100, "page": page})
            response.raise_for_status()
            rows = response.json()
            total += len(response.content)
            count += len(rows)
            if 'rel="next"' not in response.headers.get("link", ""):
                return count, total
            page += 1


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000, help="conversations in the inbox (default 100000)")
    parser.add_argument("--runs", type=int, default=2, help="processes of each kind (default 2)")
    args = parser.parse_args()
    seeded = math.ceil(args.conversations / (1 - ARCHIVED_SHARE))
    proc, base_url, token = start_sandbox(seeded)
    try:
        in_scope, raw_bytes = raw_json(base_url, token)
        bare, app = [], []
        for _ in range(args.runs):  # interleaved, so a change in the machine's load touches both
            bare.append(run_child("bare"))
            app.append(run_child("app", base_url, token, str(in_scope)))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"sandbox --conversations {seeded:,}: the inbox scope holds {in_scope:,} conversations, "
          f"{raw_bytes / 2**20:.1f} MB of JSON ({raw_bytes / in_scope:.0f} bytes each)")
    print(f"{'process':<44}{'RSS MB':>9}{'peak MB':>9}{'load s':>8}")
    for r in bare:
        print(f"{'bare Textual App, first frame':<44}{r['rss_mb']:>9.1f}{r['peak_mb']:>9.1f}{'':>8}")
    for r in app:
        print(f"{'InboxApp, ' + format(r['rows'], ',') + ' rows on the list':<44}{r['rss_mb']:>9.1f}"
              f"{r['peak_mb']:>9.1f}{r['seconds']:>8.1f}")
    worst = max(r["rss_mb"] for r in app)
    floor = min(r["rss_mb"] for r in bare)
    print(f"the rows cost {worst - floor:.0f} MB over the bare app ({(worst - floor) * 2**20 / in_scope:.0f} bytes "
          f"a conversation; the JSON is {raw_bytes / 2**20:.0f} MB)")
    print(f"goal: at most {GOAL_MB:g} MB resident: {'met' if worst <= GOAL_MB else 'NOT met'} ({worst:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
