"""Several accounts in one inbox (issue 22), beside one account of the same size, in one run.

Three sandboxes, each `tui-inbox sandbox` in its own process, all with the same clock (`--now`):
  - one account: `--conversations N` (default 100,000), seed 1;
  - two accounts: `--conversations N/2` at seed 1, and `--conversations N/2 --institution 2`
    (another school: other people, courses and ids on another shard).
About a tenth of the bulk conversations are archived, so each Inbox holds about 0.9 of them.
Two configs are written: `[canvas]` for the one, two `[[accounts]]` for the two (the sandboxes'
test tokens in the file, which is deleted after the run). Each has its own data folder
(`TUI_INBOX_DATA`), filled first by one untimed run of the app that loads every Inbox and
quits once each account's cache is in step (its `synced_at`), as start.py fills its cache.

Cached start (whole processes in a 120x32 pty, as start.py: `python -c "...main(['--config',
PATH])"`, compiled modules kept): from `Popen` to the moment the first rows' text is on the
terminal. For one account, its newest row's subject (its first 14 characters); for two, the
newest row's of each account when both are in the merged first screenful (else the newest of
the merged list). Beside it, in the same run, a bare Textual app timed to its first frame
(start.py's). `--runs` rounds of bare, one and two, in a rotating order; the median and every
run are printed. Memory (VmRSS read from /proc) of each cached run: at the first rows, once
every account is in step again (the background reconcile), and after a page through (30 of
PgDn, then G, then g: the terminal quiet for 0.5 s after each).

Key press to repainted list: in a child process of its own per config, the real app
(`launch.build_app` for one account, `launch.build_accounts_app` for two, as `tui-inbox` builds
them, from the same warm data folder), headless at 160x48 (`App.run_test`), once every account
is in step and the list holds every row. Keys are handed over as the terminal driver hands
them, and each press is timed to the end of the frame that repainted the list (ui.py's
`Frames`, whose docstring says what that includes): 5 of j to warm up, then `--presses` of j,
as many of k, 30 of PgDn, 30 of PgUp, then G and g, 10 each. p50, p99 and the worst; beside
them this thread's CPU time per press (which other processes on the machine do not inflate as
they do the wall clock) and the garbage collections that ran while pressing. "In step" includes
each account's search indexer having finished its pass (every start lists the newest 1,000 of
each scope): while it runs, presses wait on it too.

Bars (the issue's acceptance): two accounts' cached start <= 1.2x one's; key press p99 < 16 ms
over the merged list; resident memory of two <= 1.2x one's; one account's cached start <= 1.5x
the bare Textual app's first frame.

    python benchmarks/accounts.py [--conversations 100000] [--runs 5] [--presses 200] [--quick]

`--quick` is 10,000 conversations and 3 runs (three minutes). The full run takes about five minutes here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import httpx  # noqa: E402

from drafts_crash import Terminal  # noqa: E402  (the pty the app draws on)
from start import PYCACHE, child_env, compile_once, quit_app, rss_mb, run_bare, synced_at, wait  # noqa: E402
from stats import pct  # noqa: E402
from tui_inbox.launch import account_key  # noqa: E402

SIZE = (120, 32)
KEYS_SIZE = (160, 48)
START_BAR, KEY_BAR_MS, MEMORY_BAR, BARE_BAR = 1.2, 16.0, 1.2, 1.5
PAGE_DOWN = "\x1b[6~"


# -- the sandboxes and the configs ---------------------------------------------------------------
class Sandbox:
    def __init__(self, conversations: int, now: str, latency_ms: float, *flags: str) -> None:
        argv = [sys.executable, "-m", "tui_inbox.cli", "sandbox", "--conversations", str(conversations),
                "--now", now, "--latency-ms", f"{latency_ms:g}", *flags]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the sandbox {' '.join(flags)} did not start")
        info = json.loads(line)
        self.base_url = info["base_url"]
        teacher = info["users"][0]
        self.token, self.user_id = teacher["token"], teacher["id"]
        self.key = account_key(self.base_url, self.user_id)

    def newest(self, count: int = 1) -> list[tuple[str, str]]:
        """(last_message_at, subject) of the newest ``count`` rows of the Inbox, as the API gives them."""
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30) as api:
            rows = api.get("/api/v1/conversations", params={"per_page": count}).json()
        return [(row["last_message_at"], row["subject"]) for row in rows]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class Setup:
    """One config (one account or several), its data folder and what its first rows show."""

    def __init__(self, label: str, folder: Path, sandboxes: list[Sandbox]) -> None:
        self.label, self.sandboxes = label, sandboxes
        self.data = folder / "data"
        self.config = folder / "config.toml"
        if len(sandboxes) == 1:
            text = f'[canvas]\nbase_url = "{sandboxes[0].base_url}"\ntoken = "{sandboxes[0].token}"\n'
        else:
            text = "".join(f'[[accounts]]\nname = "school{n + 1}"\nbase_url = "{s.base_url}"\ntoken = "{s.token}"\n\n'
                           for n, s in enumerate(sandboxes))
        self.config.write_text(text + "\n[live]\npoll_seconds = 30\n")
        self.marks = first_rows_marks(sandboxes)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.sandboxes]

    def stamps(self) -> list[str | None]:
        return [synced_at(self.data, key) for key in self.keys]


def first_rows_marks(sandboxes: list[Sandbox]) -> list[str]:
    """The subjects (first 14 characters) the first rows must show: each account's newest when it is
    in the merged first screenful (20 rows), else only the merged newest."""
    tops = [s.newest(20) for s in sandboxes]
    merged = sorted((row for top in tops for row in top), reverse=True)[:20]
    marks = [top[0][1][:14] for top in tops if top[0] in merged]
    return marks or [merged[0][1][:14]]


# -- one app process in the pty --------------------------------------------------------------------
def app_argv(config: Path) -> list[str]:
    return [sys.executable, "-c", f"import sys; from tui_inbox.cli import main; sys.exit(main(['--config', {str(config)!r}]))"]


def wait_quiet(terminal: Terminal, still: float = 0.5, limit: float = 60.0) -> None:
    """Until the app has written nothing for ``still`` s: its answer to the keys typed is drawn."""
    deadline = time.monotonic() + limit
    seen, since = len(terminal.text), time.monotonic()
    while time.monotonic() - since < still:
        if time.monotonic() > deadline:
            raise RuntimeError("the app kept drawing")
        time.sleep(0.05)
        now = len(terminal.text)
        if now != seen:
            seen, since = now, time.monotonic()


def fill_cache(setup: Setup, timeout: float) -> float:
    """The untimed first run: every account loaded and cached; the seconds it took."""
    started = time.perf_counter()
    terminal = Terminal(app_argv(setup.config), child_env(setup.data, ""), SIZE)
    try:
        for mark in setup.marks:
            terminal.wait_for(mark, timeout=timeout)
        wait(lambda: all(setup.stamps()), timeout, f"{setup.label}: every account cached")
        return time.perf_counter() - started
    finally:
        quit_app(terminal)


def cached_start(setup: Setup, timeout: float) -> dict[str, float]:
    """First rows (s), and the RSS (MB) then, once reconciled, and after a page through."""
    before = setup.stamps()
    started = time.perf_counter()
    terminal = Terminal(app_argv(setup.config), child_env(setup.data, ""), SIZE)
    try:
        for mark in setup.marks:
            terminal.wait_for(mark, timeout=timeout)
        first = time.perf_counter() - started
        figures = {"first": first, "rss_first": rss_mb(terminal.process.pid)}
        wait(lambda: all(s and s != b for s, b in zip(setup.stamps(), before)), timeout, f"{setup.label}: reconciled")
        wait_quiet(terminal)
        figures["rss_reconciled"] = rss_mb(terminal.process.pid)
        terminal.type(PAGE_DOWN * 30)
        wait_quiet(terminal)
        for key in "Gg":
            terminal.type(key)
            wait_quiet(terminal)
        figures["rss_paged"] = rss_mb(terminal.process.pid)
        return figures
    finally:
        quit_app(terminal)


# -- key presses, in a child process per config ----------------------------------------------------
def press_plan(presses: int) -> list[tuple[str, str]]:
    plan = [("warm-up", "j")] * 5 + [("j", "j")] * presses + [("k", "k")] * presses
    plan += [("pagedown", "pagedown")] * 30 + [("pageup", "pageup")] * 30
    for _ in range(10):
        plan += [("G/g", "G"), ("G/g", "g")]
    return plan


async def keys_child(config_path: str, presses: int) -> dict:
    """In this (child) process: the app over the warm data folder, every account in step, then the presses."""
    from ui import Frames, send_key  # benchmarks/ui.py: frames caught as the terminal would be sent them

    from tui_inbox import gc_pause
    from tui_inbox.config import load
    from tui_inbox.launch import build_accounts_app, build_app, cached_user, usable_accounts

    config = load(config_path)
    accounts = usable_accounts(config)
    users = [cached_user(account) for account in accounts]
    if None in users:
        raise SystemExit("the data folder has no cache for every account")
    gc_pause.pause()  # as the command does, until the first frame (cli.py, launch.run_app)
    if len(accounts) == 1:
        app = build_app(config, accounts[0], user_id=users[0])
    else:
        app = build_accounts_app(config, list(zip(accounts, users)))
    app.after_first_frame.append(gc_pause.resume)
    data = Path(os.environ["TUI_INBOX_DATA"])
    keys = [account_key(a.base_url, u) for a, u in zip(accounts, users)]
    before = [synced_at(data, key) for key in keys]
    frames = Frames(app)
    samples: dict[str, list[float]] = {}
    async with app.run_test(size=KEYS_SIZE) as pilot:
        lst = app.list
        deadline = time.monotonic() + 600
        indexers = app.main.search.indexers

        def settled() -> bool:
            return (all(s and s != b for s, b in zip((synced_at(data, k) for k in keys), before))
                    and len(lst.rows) == sum(len(m.session.view.rows) for m in app.accounts) > 0
                    and len(indexers) == len(keys)
                    and all(i.progress.total and i.progress.finished for i in indexers.values())
                    and not [w for w in app.workers if w.group.startswith("indexer") and not w.is_finished])

        while not settled():
            if time.monotonic() > deadline:
                raise SystemExit("the app did not come in step")
            await asyncio.sleep(0.1)
        await pilot.pause()
        await asyncio.sleep(0.5)
        await pilot.pause()
        frames.widget = lst
        rows = len(lst.rows)
        pauses: list[tuple[float, float, int]] = []  # (ms, CPU ms, generation) of each collection while pressing
        collecting: list[tuple[float, float]] = []

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                collecting.append((time.perf_counter(), time.thread_time()))
            elif collecting:
                wall, cpu = collecting.pop()
                pauses.append(((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000, info["generation"]))

        gc.callbacks.append(on_gc)
        cpu: list[float] = []
        for group, key in press_plan(presses):
            at = lst.cursor
            frames.log.clear()
            frames.touched.clear()
            began, began_cpu = time.perf_counter(), time.thread_time()
            send_key(app, key)
            await asyncio.wait_for(frames.touched.wait(), 5.0)
            await pilot.pause()  # the press's other work runs out, untimed
            await asyncio.sleep(0.03)  # a frame the limiter held back comes within 17 ms
            if lst.cursor == at:
                raise SystemExit(f"{key!r} did not move the cursor (at {at} of {rows})")
            if group != "warm-up":
                done = frames.touching(began)[-1]
                samples.setdefault(group, []).append((done - began) * 1000)
                cpu.append((frames.cpu_at(done) - began_cpu) * 1000)
        gc.callbacks.remove(on_gc)
    return {"rows": rows, "samples": samples, "cpu": cpu, "gc": pauses}


def run_keys(setup: Setup, presses: int) -> dict:
    env = {**child_env(setup.data, ""), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    done = subprocess.run([sys.executable, __file__, "--keys-child", str(setup.config), "--presses", str(presses)],
                          env=env, capture_output=True, text=True, cwd=REPO / "benchmarks")
    if done.returncode != 0:
        raise SystemExit(f"{setup.label}: the key presses failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report --------------------------------------------------------------------------------------
def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    shown = " ".join(f"{v:.{digits}f}" for v in values)
    return f"median {statistics.median(values):7.{digits}f} {unit}  (min {min(values):.{digits}f}, max {max(values):.{digits}f}; runs: {shown})"


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000, help="the one account's; each of two has half")
    parser.add_argument("--runs", type=int, default=5, help="rounds of bare, one and two cached starts")
    parser.add_argument("--presses", type=int, default=200, help="of j, and as many of k")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="every sandbox answer this late")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a first (cache-filling) run may take")
    parser.add_argument("--quick", action="store_true", help="10,000 conversations, 3 runs")
    parser.add_argument("--keys-child", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.keys_child:
        print(json.dumps(asyncio.run(keys_child(args.keys_child, args.presses))))
        return 0
    if args.quick:
        args.conversations, args.runs = 10_000, 3
    began = time.perf_counter()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    n, half = args.conversations, args.conversations // 2
    work = Path(tempfile.mkdtemp(prefix="tui-inbox-accounts-"))
    sandboxes: list[Sandbox] = []
    try:
        for size, flags in ((n, ()), (half, ()), (half, ("--institution", "2"))):
            sandboxes.append(Sandbox(size, now, args.latency_ms, *flags))
        (work / "one").mkdir()
        (work / "two").mkdir()
        one = Setup(f"1 x {n:,}", work / "one", sandboxes[:1])
        two = Setup(f"2 x {half:,}", work / "two", sandboxes[1:])
        compile_once("")
        fills = {s.label: fill_cache(s, args.timeout) for s in (one, two)}
        print("caches filled: " + ", ".join(f"{label} in {seconds:.1f} s" for label, seconds in fills.items()), flush=True)
        bare: list[float] = []
        starts: dict[str, list[dict[str, float]]] = {one.label: [], two.label: []}
        contestants = ["bare", one, two]
        for run in range(args.runs):
            order = contestants[run % 3:] + contestants[:run % 3]
            for who in order:
                if who == "bare":
                    bare.append(run_bare(""))
                else:
                    starts[who.label].append(cached_start(who, args.timeout))
            print(f"  round {run + 1} of {args.runs} done", flush=True)
        keys = {s.label: run_keys(s, args.presses) for s in (one, two)}
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(one, two, bare, starts, keys, args)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"the whole run took {time.perf_counter() - began:.0f} s")
    return 0


def report(one: Setup, two: Setup, bare: list[float], starts: dict, keys: dict, args) -> None:
    a, b = one.label, two.label

    def column(label: str, name: str) -> list[float]:
        return [run[name] for run in starts[label]]

    print(f"\n{args.runs} rounds of cached starts in a {SIZE[0]}x{SIZE[1]} pty, every sandbox answer {args.latency_ms:g} ms "
          f"late; Inbox rows: {a}: {keys[a]['rows']:,}, {b}: {keys[b]['rows']:,}")
    print(f"  bare Textual app, first frame     {spread(bare)}")
    for label in (a, b):
        print(f"  {label:>13}: first rows        {spread(column(label, 'first'))}")
    ratio = statistics.median(column(b, "first")) / statistics.median(column(a, "first"))
    print(f"  bar: two <= {START_BAR}x one              {ratio:5.2f}x   {verdict(ratio <= START_BAR)}")
    ratio = statistics.median(column(a, "first")) / statistics.median(bare)
    print(f"  bar: one <= {BARE_BAR}x bare             {ratio:5.2f}x   {verdict(ratio <= BARE_BAR)}")

    print("\nresident memory (VmRSS) of the cached app")
    for name, what in (("rss_first", "at the first rows"), ("rss_reconciled", "reconciled"), ("rss_paged", "after a page through")):
        for label in (a, b):
            print(f"  {what:>20}, {label:>13}: {spread(column(label, name), 'MB', 1)}")
        ratio = statistics.median(column(b, name)) / statistics.median(column(a, name))
        print(f"  {'bar: two <= ' + str(MEMORY_BAR) + 'x one':>37}: {ratio:5.2f}x   {verdict(ratio <= MEMORY_BAR)}")

    print(f"\nkey press to repainted list (ms), the real app headless at {KEYS_SIZE[0]}x{KEYS_SIZE[1]}, "
          f"{args.presses} of j and of k, 30 of PgDn and of PgUp, 10 of G and of g")
    groups = ("j", "k", "pagedown", "pageup", "G/g")
    print(f"  {'':>13}" + "".join(f"{g + ' p50':>14}{'p99':>7}" for g in groups) + f"{'all p50':>10}{'p99':>7}{'max':>8}")
    for label in (a, b):
        samples = keys[label]["samples"]
        every = [s for g in groups for s in samples[g]]
        cells = "".join(f"{pct(samples[g], 0.5):>14.2f}{pct(samples[g], 0.99):>7.2f}" for g in groups)
        print(f"  {label:>13}{cells}{pct(every, 0.5):>10.2f}{pct(every, 0.99):>7.2f}{max(every):>8.2f}")
    for label in (a, b):
        cpu, full = keys[label]["cpu"], [(ms, busy) for ms, busy, generation in keys[label]["gc"] if generation == 2]
        longest = max(full, default=(0.0, 0.0))
        print(f"  {label:>13}: this thread's CPU per press p50 {pct(cpu, 0.5):.2f} ms, p99 {pct(cpu, 0.99):.2f} ms, "
              f"max {max(cpu):.2f} ms; {len(keys[label]['gc'])} collections while pressing, {len(full)} full "
              f"(the longest {longest[0]:.0f} ms, {longest[1]:.0f} ms of CPU)")
    cpu = keys[b]["cpu"]
    print(f"  bar, on CPU time: p99 over the merged list < {KEY_BAR_MS:g} ms: {pct(cpu, 0.99):.2f} ms   "
          f"{verdict(pct(cpu, 0.99) < KEY_BAR_MS)}")
    every = [s for g in groups for s in keys[b]["samples"][g]]
    print(f"  bar: p99 over the merged list ({b}) < {KEY_BAR_MS:g} ms: {pct(every, 0.99):.2f} ms   "
          f"{verdict(pct(every, 0.99) < KEY_BAR_MS)}")


if __name__ == "__main__":
    raise SystemExit(main())
