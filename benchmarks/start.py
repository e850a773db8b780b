"""How fast the app opens from its cache, beside a cold start and a bare Textual app; its memory;
and what a reconcile costs after changes made elsewhere.

Starts `tui-inbox sandbox --conversations N --latency-ms 50` as its own process (every answer
50 ms late, as a distant Canvas), and writes a config pointing at it (the token in
`CANVAS_TOKEN`, never in a file). Each app is its own process, `python -c "...main(['--config',
PATH])"` (the worktree's tui_inbox first on PYTHONPATH), in a terminal of 120x32 (a pty; the app
draws on it as on any terminal), with `TUI_INBOX_DATA` pointing at a temporary folder, and its
compiled modules kept (`PYTHONPYCACHEPREFIX`, made once before the runs) as an install has them.

"First painted" is seen from outside, as a user sees it: from `Popen` to the moment the text of
the newest conversation's row (its subject's first characters, asked of the sandbox before the
runs) has been written to the terminal, escape sequences removed. So each figure includes the
interpreter's start, the imports, reading the config and the cache, and Textual's first frames.
  - bare Textual: a minimal `App` with one `Static`, timed to its text: the floor any
    Textual app pays;
  - cold start: an empty data folder: the app asks `/users/self`, then signs in and asks for the
    Inbox's first page (first painted), then loads the whole Inbox in the background (whole
    Inbox: when the cache says it is in step, `synced_at`, read from the file);
  - cached start: the data folder of a cold run that loaded everything and quit: the Inbox is
    painted from the cache before any request, then reconciled in the background.
Runs: `--runs` cold starts, each followed by `--pairs` alternating bare and cached starts.
After each cached run has reconciled, its resident memory (VmRSS) is read, then `q` quits it.

Reconcile (in this process, through the real client with a transport that counts requests,
on the warm data folder): the session starts from the cache and settles; then 50 changes are
made through the API as from another device (10 each: marked read, starred, archived, deleted,
written in); then `session.refresh()`, what a reconnect or poll triggers, is timed and its
requests counted. Beside it, in the same run, a full reload of the Inbox (`load_conversations`).

The cache itself (in this process): saving a view of N rows, reading its first 200 and all of
it, writing a change of 50; beside json.dumps/json.loads of three fields per row, which says
how fast this machine runs Python at that moment. Then the save again on a thread, as the
cache's writer does it, while the event loop ticks every 10 ms: how late the ticks run (what a
key press would wait), beside two seconds of ticks with no save.

Goals: a cached start within 1.5x of the bare Textual first frame and at most a tenth of the cold
start (its whole Inbox: the first page alone is 3 requests at 50 ms plus the same start-up);
at most 150 MB resident; reconcile in at most 5 requests plus one per 100 changed conversations.

    python benchmarks/start.py [--conversations 100000] [--runs 3] [--pairs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import httpx  # noqa: E402

from drafts_crash import Terminal  # noqa: E402  (the pty the app draws on)
from tui_inbox.canvas import CanvasClient  # noqa: E402
from tui_inbox.canvas.models import Conversation  # noqa: E402
from tui_inbox.inbox.session import InboxSession  # noqa: E402
from tui_inbox.launch import account_key, open_cache  # noqa: E402
from tui_inbox.store.paths import cache_path  # noqa: E402

BARE = ("from textual.app import App\nfrom textual.widgets import Static\n"
        "class Bare(App):\n    def compose(self):\n        yield Static('bare textual first frame')\nBare().run()\n")
SIZE = (120, 32)


class Counting(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


PYCACHE = Path(tempfile.gettempdir()) / "tui-inbox-start-pycache"


def child_env(data: Path, token: str) -> dict[str, str]:
    env = {**os.environ, "TUI_INBOX_DATA": str(data), "TERM": "xterm-256color", "CANVAS_TOKEN": token,
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
           # Compiled modules kept, as an installed tui-inbox has them (apart from the worktree).
           "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("TEXTUAL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_once(token: str) -> None:
    """One untimed import of everything, so no timed run pays for compiling the modules."""
    subprocess.run([sys.executable, "-c", "import textual.app, textual.widgets, tui_inbox.cli, tui_inbox.launch, "
                    "tui_inbox.ui.app, tui_inbox.inbox.offline, tui_inbox.store.cache, tui_inbox.live.feed"],
                   env=child_env(Path(tempfile.gettempdir()), token), check=True)


def synced_at(data: Path, key: str) -> str | None:
    path = cache_path(data, key)
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            row = db.execute("SELECT value FROM account WHERE key = 'synced_at'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


def wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.02)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def quit_app(terminal: Terminal) -> None:
    terminal.type("q")
    try:
        terminal.process.wait(30)
    except subprocess.TimeoutExpired:
        pass
    terminal.kill()


def run_bare(token: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        terminal = Terminal([sys.executable, "-c", BARE], child_env(Path(folder), token), SIZE)
        try:
            terminal.wait_for("bare textual first frame")
            return time.perf_counter() - started
        finally:
            terminal.kill()


def run_app(config: Path, data: Path, token: str, newest: str, key: str, timeout: float) -> tuple[float, float, float, str]:
    """(first painted, in step with Canvas, RSS when in step, synced_at) of one app process."""
    before = synced_at(data, key)
    child = f"import sys; from tui_inbox.cli import main; sys.exit(main(['--config', {str(config)!r}]))"
    started = time.perf_counter()
    terminal = Terminal([sys.executable, "-c", child], child_env(data, token), SIZE)
    try:
        terminal.wait_for(newest, timeout=timeout)
        first = time.perf_counter() - started
        stamp = wait(lambda: (s := synced_at(data, key)) and s != before and s, timeout, "the cache in step")
        whole = time.perf_counter() - started
        memory = rss_mb(terminal.process.pid)
        return first, whole, memory, stamp
    finally:
        quit_app(terminal)


def change_fifty(base_url: str, token: str, rows) -> int:
    """10 each: read, starred, archived, deleted, written in; through the API, as another device."""
    unread = [r.id for r in rows if r.unread][:10]
    plain = [r.id for r in rows if not r.unread and not r.starred]
    starred, archived, deleted, written = plain[:10], plain[10:20], plain[20:30], plain[-10:]
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        for cid in unread:
            api.put(f"/api/v1/conversations/{cid}", data={"conversation[workflow_state]": "read"}).raise_for_status()
        for cid in starred:
            api.put(f"/api/v1/conversations/{cid}", data={"conversation[starred]": "true"}).raise_for_status()
        for cid in archived:
            api.put(f"/api/v1/conversations/{cid}", data={"conversation[workflow_state]": "archived"}).raise_for_status()
        for cid in deleted:
            api.delete(f"/api/v1/conversations/{cid}").raise_for_status()
        for cid in written:
            api.post(f"/api/v1/conversations/{cid}/add_message", data={"body": "Written elsewhere"}).raise_for_status()
    return len(unread) + len(starred) + len(archived) + len(deleted) + len(written)


async def reconcile_figures(base_url: str, token: str, data: Path, key: str) -> dict:
    counting = Counting()
    client = CanvasClient(base_url, token, transport=counting)
    session = InboxSession(client, keeper=open_cache(data, key))
    await session.start()
    await session.wait_loaded()
    rows = session.view.all()
    changed = change_fifty(base_url, token, rows)
    counting.count = 0
    started = time.perf_counter()
    await session.refresh()
    seconds = time.perf_counter() - started
    requests = counting.count
    figures = {"changed": changed, "requests": requests, "seconds": seconds, "rows": len(session.view.all()),
               "fetched": len(session.keeper.last.fetched)}
    await session.aclose()
    counting.count = 0
    started = time.perf_counter()
    everything = await client.load_conversations("inbox")
    figures["reload_seconds"] = time.perf_counter() - started
    figures["reload_requests"] = counting.count
    figures["reload_rows"] = len(everything)
    await client.aclose()
    return figures


def store_figures(rows, n: int, folder: Path) -> dict:
    """The cache's own costs for ``n`` rows (the sandbox's rows, repeated under new ids), beside
    the plainest write and read of the same count of JSON values, in the same run."""
    import dataclasses

    from tui_inbox.store.cache import Cache

    many = [dataclasses.replace(rows[i % len(rows)], id=10_000_000 + i) for i in range(n)]
    cache = Cache(folder / "store-bench" / "cache.sqlite3")
    figures = {}
    started = time.perf_counter()
    cache.save_view("bench|", [(float(n - i), row) for i, row in enumerate(many)])
    figures["save"] = time.perf_counter() - started
    started = time.perf_counter()
    cache.rows("bench|", limit=200)
    figures["first"] = time.perf_counter() - started
    started = time.perf_counter()
    cache.rows("bench|")
    figures["all"] = time.perf_counter() - started
    started = time.perf_counter()
    cache.change(many[:50], [("bench|", row.id, float(n + 1)) for row in many[:50]])
    figures["change"] = time.perf_counter() - started
    figures["stall"], figures["calm"] = asyncio.run(stalls(cache, many))
    cache.close()
    started = time.perf_counter()
    texts = [json.dumps([row.id, row.subject, row.last_message]) for row in many]
    figures["plain_dump"] = time.perf_counter() - started
    started = time.perf_counter()
    [json.loads(t) for t in texts]
    figures["plain_load"] = time.perf_counter() - started
    return figures


async def lateness(until) -> list[float]:
    """How late a 10 ms tick of the event loop runs (seconds), until ``until()`` is true: what a
    key press waits before the app's loop can look at it."""
    late = []
    while not until():
        asked = time.perf_counter()
        await asyncio.sleep(0.01)
        late.append(time.perf_counter() - asked - 0.01)
    return late


async def stalls(cache, many) -> tuple[list[float], list[float]]:
    """The event loop's lateness while the cache writer's thread saves the whole view (as
    CacheKeeper does after a full load), beside the same ticks with nothing else running."""
    saving = asyncio.get_running_loop().run_in_executor(
        None, lambda: cache.save_view("bench-2|", [(float(-i), row) for i, row in enumerate(many)]))
    during = await lateness(saving.done)
    await saving
    quiet_until = time.perf_counter() + 2.0
    calm = await lateness(lambda: time.perf_counter() > quiet_until)
    return during, calm


def start_sandbox(conversations: int, latency_ms: float) -> tuple[subprocess.Popen, dict]:
    argv = [sys.executable, "-c", "import sys; from tui_inbox.cli import main; sys.exit(main(sys.argv[1:]))",
            "sandbox", "--conversations", str(conversations), "--latency-ms", f"{latency_ms:g}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True)
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("the sandbox did not start")
    return process, json.loads(line)


def summary(values: list[float], unit: str = "s") -> str:
    shown = "  ".join(f"{v:.2f}" for v in values)
    return f"median {statistics.median(values):6.2f} {unit}   runs: {shown}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3, help="cold starts")
    parser.add_argument("--pairs", type=int, default=3, help="bare and cached starts after each cold one")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a cold start may take to load everything")
    args = parser.parse_args()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sandbox, info = start_sandbox(args.conversations, args.latency_ms)
    work = Path(tempfile.mkdtemp(prefix="tui-inbox-start-"))
    try:
        base_url = info["base_url"]
        teacher = info["users"][0]
        token, user_id = teacher["token"], teacher["id"]
        key = account_key(base_url, user_id)
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            newest = api.get("/api/v1/conversations", params={"per_page": 1}).json()[0]["subject"]
        newest = newest[:14]
        config = work / "config.toml"
        config.write_text(f'[canvas]\nbase_url = "{base_url}"\n\n[live]\npoll_seconds = 30\n')
        warm = work / "warm"
        compile_once(token)
        bare, cold_first, cold_whole, cached_first, cached_whole, memory = [], [], [], [], [], []
        for run in range(args.runs):
            cold = work / f"cold-{run}"
            first, whole, _, _ = run_app(config, cold, token, newest, key, args.timeout)
            cold_first.append(first)
            cold_whole.append(whole)
            if run == 0:
                cold.rename(warm)
            # A cold run is long; a bare and a cached one are short, and noisy on a shared machine:
            # several of those, alternating, for each cold one.
            for _ in range(args.pairs):
                bare.append(run_bare(token))
                first, whole, rss, _ = run_app(config, warm, token, newest, key, args.timeout)
                cached_first.append(first)
                cached_whole.append(whole)
                memory.append(rss)
        figures = asyncio.run(reconcile_figures(base_url, token, warm, key))
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            sample = [Conversation.from_json(c) for c in api.get("/api/v1/conversations", params={"per_page": 100}).json()]
        store = store_figures(sample, args.conversations, work)
    finally:
        sandbox.terminate()
        sandbox.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    n = args.conversations
    print(f"\n{n:,} conversations in the sandbox, every answer {args.latency_ms:g} ms late; {args.runs} cold runs, "
          f"{args.runs * args.pairs} bare and cached, "
          f"whole processes in a {SIZE[0]}x{SIZE[1]} pty; first painted = the newest row's text on the terminal")
    print(f"  bare Textual app, first frame       {summary(bare)}")
    print(f"  cold start, first rows painted      {summary(cold_first)}")
    print(f"  cold start, whole Inbox and cached  {summary(cold_whole)}")
    print(f"  cached start, first rows painted    {summary(cached_first)}")
    print(f"  cached start, reconciled            {summary(cached_whole)}")
    cached, floor, cold = statistics.median(cached_first), statistics.median(bare), statistics.median(cold_whole)
    print(f"  goal: cached <= 1.5 x bare            {cached / floor:.2f} x   {'met' if cached <= 1.5 * floor else 'NOT met'}")
    print(f"  goal: cached <= cold (whole) / 10    {cached / cold:.3f} of it   {'met' if cached <= cold / 10 else 'NOT met'}"
          f"   (of the cold first paint: {cached / statistics.median(cold_first):.2f})")
    print(f"  resident memory of the cached app, reconciled   {summary(memory, 'MB')}   goal 150 MB: "
          f"{'met' if max(memory) <= 150 else 'NOT met'}")
    allowed = 5 + math.ceil(figures["changed"] / 100)
    print(f"\nreconcile after {figures['changed']} changes made elsewhere ({figures['rows']:,} rows in the Inbox after):")
    print(f"  reconcile          {figures['requests']:5} requests  {figures['seconds']:6.2f} s   "
          f"({figures['fetched']} rows fetched)   goal <= {allowed} requests: "
          f"{'met' if figures['requests'] <= allowed else 'NOT met'}")
    print(f"  full reload        {figures['reload_requests']:5} requests  {figures['reload_seconds']:6.2f} s   "
          f"({figures['reload_rows']:,} rows)")
    print(f"\nthe cache itself, {n:,} rows (in this process):")
    print(f"  save a whole view   {store['save']:6.2f} s    beside json.dumps of 3 fields per row  {store['plain_dump']:6.2f} s")
    print(f"  read all rows       {store['all']:6.2f} s    beside json.loads of those             {store['plain_load']:6.2f} s")
    print(f"  read the first 200  {store['first'] * 1000:6.1f} ms   write a change of 50 rows  {store['change'] * 1000:6.1f} ms")
    during, calm = sorted(store["stall"]), sorted(store["calm"])
    print(f"  the event loop during a save (a 10 ms tick, {len(during)} ticks): late by median "
          f"{statistics.median(during) * 1000:.1f} ms, 99th {during[int(len(during) * 0.99)] * 1000:.1f} ms, "
          f"worst {during[-1] * 1000:.1f} ms   beside no save: median {statistics.median(calm) * 1000:.1f} ms, "
          f"worst {calm[-1] * 1000:.1f} ms")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
