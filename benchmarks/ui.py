"""How fast the conversation list answers a key with a huge inbox, and what the rows cost in memory.

Starts `tui-inbox sandbox` as a separate process, seeded so that its teacher's inbox scope
holds at least N conversations (about 10% of the bulk ones are archived, so it gets
`--conversations ceil(N / 0.88)`), and loads that scope once, outside anything timed,
through the real client: `CanvasClient.load_conversations("inbox", per_page=100)`. The
newest N conversations are kept and the same `Conversation` objects are then shown by:
  - ours, in the real app: `InboxApp` with a real `InboxSession` on the sandbox (it signs
    in, fetches courses, groups and the unread count over HTTP). The fill is
    `session.fill(view, rows)`, the last step of the session's own background load: it sorts
    the rows into the inbox view, takes them out of the collector's full passes
    (`gc.freeze`, as every load of 10,000 rows or more does) and tells the app, whose
    `paint_list` gives `view.rows` to the list (`set_rows`). The list is `#list`, half the
    width of the 160-column screen (the thread pane takes the other half). The view is
    marked loaded (empty) before the app starts, so that signing in does not fetch the
    scope a second time. The freeze stays for the two runs below: the rows are the same
    objects;
  - ours, bare: the same list widget (`InboxList`, i.e. `ConversationList` with the app's key
    bindings) alone in a minimal App, full width, filled with `set_rows(rows)`;
  - Textual's `DataTable` (cursor_type="row") alone in a minimal App, full width, with the
    same rows as four text columns: participants, subject, course, date (formatted with the
    app's own helpers; markup-escaped so server text stays literal). Its fill is formatting
    every row to text and `add_rows`; j, G and g are bound to its cursor_down, scroll_bottom
    and scroll_top actions (pagedown is its own binding).

All three run in this process, one after the other, headless (`App.run_test(size=(160, 48))`).
Keys are handed to the app as the terminal driver hands them (`driver.send_message(Key)`),
not with `pilot.press`, whose wait for every widget to drain its queue would be timed too.

What is timed, for every key press: from handing the key over to the moment the frame that
repainted the widget was finished. Frames are caught by wrapping `App._display`, which the
screen calls with the compositor's update once per frame; because the headless driver
writes nothing, the wrapper also turns the update into the escape sequences a terminal would
be sent (`update.render_segments(app.console)`, the step the headless path skips), and takes
the time after that. A frame counts for a press when its update touches the widget's region
on screen; the last such frame before the next press is taken (a press whose repaint needs
two frames is timed to the second). So a figure includes: the key event's trip through the
app's message queue, the binding and action, the reactive cursor's watcher, scrolling, the
refresh reaching the screen, Textual's frame limiter (60 fps) and the compositor asking the
widget for its lines (and, for the DataTable, its scrollbar's), plus encoding the frame.
After each press the script waits for the app to go idle (`pilot.pause()`) and 30 ms more,
untimed, so each press starts with the frame limiter idle: the figures are the latency of
one press, not a throughput. The "CPU" columns are this thread's CPU time over the same span
(`time.thread_time`): the work done for the press, which other processes on the machine do
not inflate as they do the wall clock; the load average is printed at the start and the
end. Garbage collections that run while pressing are timed (`gc.callbacks`) and counted
under the table. Sequence: 5 warm-up presses of j (not counted), then `--presses` of j from
the top, 30 of pagedown, then G and g alternately, 10 of each. The goal applies to ours in
the real app, over every counted press. Fill time: from the fill call to the last frame that
repainted the widget (waiting until frames stop), so it includes any work a widget defers to
its first paint (DataTable measures its columns there).
Memory: the process's RSS (psutil, after `gc.collect()` and glibc's `malloc_trim(0)`, so that
memory freed earlier, such as the load's JSON, is handed back rather than silently reused)
just before the fill and once its frames have stopped: what holding the rows costs each
widget, on top of the `Conversation` objects, which all three share (their cost is the RSS
growth of the load, printed apart).

    python benchmarks/ui.py [--conversations 100000] [--presses 300]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import psutil
from rich.markup import escape
from textual import events
from textual._compositor import ChopsUpdate, CompositorUpdate, LayoutUpdate
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.canvas.models import Conversation
from tui_inbox.inbox.account import Account
from tui_inbox.inbox.formatting import participants_label, relative_date, utcnow
from tui_inbox.inbox.session import InboxSession
from tui_inbox.inbox.text import one_line
from tui_inbox.ui.app import InboxApp, InboxList

from stats import pct  # benchmarks/stats.py: the scripts run from their folder

SIZE = (160, 48)
GOAL_MS = 16.0
WARM_UP = 5
PAGE_DOWNS = 30
JUMPS = 10  # of G and of g each
ARCHIVED_SHARE = 0.12  # upper bound of the sandbox's bulk conversations that land in "archived"
PROCESS = psutil.Process()


try:  # glibc: hand freed heap pages back to the system, so a later reading does not count reused memory as free
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None


def rss_mb() -> float:
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)
    return PROCESS.memory_info().rss / 2**20


# -- the sandbox and the load -------------------------------------------------------------------
def start_sandbox(conversations: int, *flags: str) -> tuple[subprocess.Popen, str, str, float]:
    """``tui-inbox sandbox`` with ``conversations`` more (and ``flags``): the process, its URL, the
    teacher's token and the seconds it took to serve."""
    cmd = [sys.executable, "-m", "tui_inbox.cli", "sandbox", "--conversations", str(conversations), *flags]
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise SystemExit(f"the sandbox did not start (exit code {proc.returncode})")
    info = json.loads(line)
    return proc, info["base_url"], info["users"][0]["token"], time.perf_counter() - began


@dataclass
class Loaded:
    rows: list[Conversation]
    in_scope: int
    seconds: float
    rss_mb: float
    labels: Account  # me, courses and groups: the app's own course and participant labels


async def load(base_url: str, token: str) -> Loaded:
    client = CanvasClient(base_url, token)
    try:
        labels = Account()
        labels.me, labels.courses, labels.groups = await asyncio.gather(
            client.get_self(), client.get_courses(), client.get_groups())
        before = rss_mb()
        began = time.perf_counter()
        rows = await client.load_conversations("inbox", per_page=100)
        seconds = time.perf_counter() - began
    finally:
        await client.aclose()
    return Loaded(rows, len(rows), seconds, rss_mb() - before, labels)


# -- frames -------------------------------------------------------------------------------------------
def touches(update: CompositorUpdate, region: Region) -> bool:
    if isinstance(update, ChopsUpdate):
        return any(region.y <= y < region.bottom and x1 < region.right and x2 > region.x for y, x1, x2 in update.spans)
    if isinstance(update, LayoutUpdate):
        return update.region.overlaps(region)
    return True


class Frames:
    """Every frame the app puts out: when it was finished, and whether it touched the watched widget."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.widget: Widget | None = None
        self.log: list[tuple[float, bool, float]] = []  # (wall clock, touched the widget, this thread's CPU time)
        self.touched = asyncio.Event()  # set by a frame that repainted the widget
        display = app._display

        def timed_display(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is None or app._batch_count:
                return  # nothing was drawn
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)  # what the terminal would be sent
            done, cpu = time.perf_counter(), time.thread_time()
            hit = self.widget is not None and touches(renderable, self.widget.region)
            self.log.append((done, hit, cpu))
            if hit:
                self.touched.set()

        app._display = timed_display  # the screen calls it once per frame

    def touching(self, since: float) -> list[float]:
        return [t for t, hit, _ in self.log if hit and t >= since]

    def cpu_at(self, when: float) -> float:
        return next(cpu for t, _, cpu in self.log if t == when)


async def quiet(frames: Frames, since: float, *, still: float = 0.3, limit: float = 120.0) -> float:
    """Wait until the widget has been repainted and no frame came for ``still`` s; the last repaint's time."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
        last = frames.log[-1][0] if frames.log else since
        if frames.touching(since) and time.perf_counter() - last >= still:
            return frames.touching(since)[-1]
    raise SystemExit("the widget was not repainted")


@dataclass
class Result:
    label: str
    fill_s: float = 0.0
    fill_call_s: float = 0.0
    rss_mb: float = 0.0
    samples: dict[str, list[float]] = field(default_factory=dict)
    cpu: list[float] = field(default_factory=list)  # ms of this thread's CPU time from the press to the frame
    frames_per_press: list[int] = field(default_factory=list)
    gc_pauses_ms: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def everything(self) -> list[float]:
        return [s for samples in self.samples.values() for s in samples]


async def fill(result: Result, frames: Frames, widget: Widget, do: Callable[[], None]) -> None:
    frames.widget = widget
    before = rss_mb()
    frames.log.clear()
    began = time.perf_counter()
    do()
    result.fill_call_s = time.perf_counter() - began
    result.fill_s = await quiet(frames, began) - began
    result.rss_mb = rss_mb() - before


def key_plan(presses: int) -> list[tuple[str, str]]:
    plan = [("warm-up", "j")] * WARM_UP + [("j", "j")] * presses + [("pagedown", "pagedown")] * PAGE_DOWNS
    for _ in range(JUMPS):
        plan += [("G/g", "G"), ("G/g", "g")]
    return plan


def send_key(app: App, key: str) -> None:
    """Hand the app a key as the terminal driver does (from its input thread, through the loop)."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def press_all(result: Result, pilot, frames: Frames, widget: Widget, cursor: Callable[[], int],
                    presses: int) -> None:
    frames.widget = widget
    pauses: list[float] = []
    started: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append((time.perf_counter() - started.pop()) * 1000)

    gc.callbacks.append(on_gc)
    try:
        for group, key in key_plan(presses):
            before = cursor()
            frames.log.clear()
            frames.touched.clear()
            began, began_cpu = time.perf_counter(), time.thread_time()
            send_key(pilot.app, key)
            try:
                await asyncio.wait_for(frames.touched.wait(), 2.0)
            except asyncio.TimeoutError:
                raise SystemExit(f"{result.label}: no repaint after {key!r}") from None
            await pilot.pause()  # the press's other work (messages, a second frame) runs out, untimed
            await asyncio.sleep(0.03)  # a frame the limiter held back comes within 17 ms
            hits = frames.touching(began)
            if cursor() == before:
                raise SystemExit(f"{result.label}: {key!r} did not move the cursor (at {before})")
            if group != "warm-up":
                result.samples.setdefault(group, []).append((hits[-1] - began) * 1000)
                result.cpu.append((frames.cpu_at(hits[-1]) - began_cpu) * 1000)
                result.frames_per_press.append(len(hits))
    finally:
        gc.callbacks.remove(on_gc)
    result.gc_pauses_ms = pauses


# -- the three contestants ---------------------------------------------------------------------------
async def run_inbox_app(loaded: Loaded, base_url: str, token: str, presses: int) -> Result:
    result = Result("ours: InboxApp (#list, half width)")
    session = InboxSession(CanvasClient(base_url, token))
    session.view.replace([])  # marked loaded, so that signing in does not load the scope a second time
    app = InboxApp(session)
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()  # signing in: me, courses, groups, unread count
        await session.wait_loaded()  # and the Activity mailbox's background read
        await pilot.pause()
        if session.me is None:
            raise SystemExit(f"the app did not sign in: {session.last_error}")
        lst = app.list
        assert app.focused is lst
        # What the session's background load does with its answer: sort the rows into the
        # view, keep them out of the collector's full passes, report ViewChanged (the app calls
        # set_rows before the next frame, which the fill column waits for).
        await fill(result, frames, lst, lambda: session.fill(session.view, loaded.rows))
        assert len(lst.rows) == len(loaded.rows)
        result.notes.append(f"list region {lst.region.width}x{lst.region.height}; session.fill (sort, gc.freeze, "
                            f"ViewChanged; set_rows comes before the next frame) returned in {result.fill_call_s:.2f} s")
        await press_all(result, pilot, frames, lst, lambda: lst.cursor, presses)
    return result


class ListApp(App):
    CSS = "InboxList { height: 1fr; }"

    def __init__(self, labels: Account) -> None:
        super().__init__()
        self.labels = labels

    def compose(self) -> ComposeResult:
        yield InboxList(me=lambda: self.labels.me_id, clock=utcnow, course_label=self.labels.course_label, id="list")

    def on_mount(self) -> None:
        self.query_one(InboxList).focus()


async def run_bare_list(loaded: Loaded, presses: int) -> Result:
    result = Result("ours: ConversationList, bare App")
    app = ListApp(loaded.labels)
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = app.query_one(InboxList)
        await fill(result, frames, lst, lambda: lst.set_rows(loaded.rows))
        await press_all(result, pilot, frames, lst, lambda: lst.cursor, presses)
    return result


class RowsTable(DataTable):
    BINDINGS = [Binding("j", "cursor_down"), Binding("G", "scroll_bottom"), Binding("g", "scroll_top")]


class TableApp(App):
    CSS = "RowsTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield RowsTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(RowsTable)
        table.add_columns("Participants", "Subject", "Course", "Date")
        table.focus()


def as_text(rows: list[Conversation], labels: Account) -> list[tuple[str, str, str, str]]:
    me, now = labels.me_id, utcnow()
    return [
        (escape(participants_label(r, me)), escape(one_line(r.subject) or "(no subject)"),
         escape(one_line(labels.course_label(r) or "")),
         relative_date(r.last_message_at or r.last_authored_message_at, now))
        for r in rows
    ]


async def run_data_table(loaded: Loaded, presses: int) -> Result:
    result = Result("DataTable, bare App")
    app = TableApp()
    frames = Frames(app)
    split: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(RowsTable)

        def fill_table() -> None:
            began = time.perf_counter()
            texts = as_text(loaded.rows, loaded.labels)
            split["format"] = time.perf_counter() - began
            table.add_rows(texts)
            split["add_rows"] = time.perf_counter() - began - split["format"]

        await fill(result, frames, table, fill_table)
        assert table.row_count == len(loaded.rows)
        result.notes.append(f"formatting rows to text {split['format']:.2f} s, add_rows {split['add_rows']:.2f} s, "
                            f"then to the first complete frame {result.fill_s - result.fill_call_s:.2f} s")
        await press_all(result, pilot, frames, table, lambda: table.cursor_row, presses)
    return result


# -- the report -----------------------------------------------------------------------------------------
def report(results: list[Result], presses: int) -> None:
    groups = ("j", "pagedown", "G/g")
    heads = "".join(f"{g + ' p50':>14}{'p99':>7}" for g in groups)
    print(f"\n{'widget':<36}{'fill s':>8}{'RSS +MB':>9}{heads}{'all p50':>9}{'p99':>7}{'max':>9}"
          f"{'CPU p50':>9}{'p99':>7}")
    for r in results:
        cells = "".join(f"{pct(r.samples[g], 0.5):>14.2f}{pct(r.samples[g], 0.99):>7.2f}" for g in groups)
        every = r.everything
        print(f"{r.label:<36}{r.fill_s:>8.2f}{r.rss_mb:>9.1f}{cells}"
              f"{pct(every, 0.5):>9.2f}{pct(every, 0.99):>7.2f}{max(every):>9.2f}"
              f"{pct(r.cpu, 0.5):>9.2f}{pct(r.cpu, 0.99):>7.2f}")
    print(f"(ms from key press to the finished frame; {presses} j, {PAGE_DOWNS} pagedown, {JUMPS} G + {JUMPS} g "
          f"per widget, after {WARM_UP} warm-up presses; CPU: the main thread's CPU time over the same span, all presses)")
    for r in results:
        multi = sum(1 for n in r.frames_per_press if n > 1)
        long_gc = [p for p in r.gc_pauses_ms if p >= 5]
        print(f"  {r.label}: {multi} of {len(r.frames_per_press)} presses repainted it in more than one frame; "
              f"{len(r.gc_pauses_ms)} gc runs while pressing, {len(long_gc)} of 5 ms or more"
              + (f" (longest {max(long_gc):.1f} ms)" if long_gc else ""))
        for note in r.notes:
            print(f"    {note}")
    ours, table = results[0], results[-1]
    print(f"DataTable / ours in the app: fill {table.fill_s / ours.fill_s:.0f}x, RSS {table.rss_mb:.0f} MB vs "
          f"{ours.rss_mb:.0f} MB, j p50 {pct(table.samples['j'], 0.5) / pct(ours.samples['j'], 0.5):.1f}x, "
          f"all p99 {pct(table.everything, 0.99) / pct(ours.everything, 0.99):.1f}x")
    p99 = pct(ours.everything, 0.99)
    print(f"goal: p99 under {GOAL_MS:g} ms: {'met' if p99 < GOAL_MS else 'NOT met'} "
          f"(ours in InboxApp, all {len(ours.everything)} presses: {p99:.2f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000, help="rows in each widget (default 100000)")
    parser.add_argument("--presses", type=int, default=300, help="presses of j per widget (default 300)")
    args = parser.parse_args()
    if args.conversations < 100 or args.presses < 1:
        parser.error("--conversations must be at least 100 and --presses at least 1")
    if args.presses + PAGE_DOWNS * 60 >= args.conversations:
        parser.error("--conversations is too small for the presses (the cursor must move on every press)")

    seeded = math.ceil(args.conversations / (1 - ARCHIVED_SHARE))
    proc, base_url, token, ready = start_sandbox(seeded)
    try:
        print(f"sandbox --conversations {seeded:,}: ready in {ready:.1f} s")
        loaded = asyncio.run(load(base_url, token))
        if loaded.in_scope < args.conversations:
            raise SystemExit(f"the inbox scope holds only {loaded.in_scope:,} conversations")
        loaded.rows = loaded.rows[:args.conversations]  # the newest N, in Canvas's order
        print(f"load: CanvasClient.load_conversations('inbox', per_page=100): {loaded.in_scope:,} conversations in "
              f"{loaded.seconds:.2f} s, RSS +{loaded.rss_mb:.0f} MB (the parsed models, shared by all three below); "
              f"the newest {len(loaded.rows):,} kept")
        print(f"screen {SIZE[0]}x{SIZE[1]}, headless; Textual {__import__('textual').__version__}; "
              f"{psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (1 min) at the start")
        results = [asyncio.run(run_inbox_app(loaded, base_url, token, args.presses))]
    finally:
        proc.terminate()
        proc.wait(10)
    results.append(asyncio.run(run_bare_list(loaded, args.presses)))
    results.append(asyncio.run(run_data_table(loaded, args.presses)))
    report(results, args.presses)
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end: other processes share the CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
