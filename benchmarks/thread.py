"""How fast a long thread shows and answers keys, beside a thread of 20 messages (issue 19, F4).

Starts `tui-inbox sandbox --long-thread N` as a separate process: its teacher's inbox then holds
the seeded "Lab report extension" (20 messages, the baseline) and "A very long thread" of N
messages (the newest conversation). Canvas answers a conversation with all its messages in one
response (no paging of them), so both are fetched whole; the app lays out only a window of them.

Both threads are opened in one run of the real app (`InboxApp` with a real `InboxSession` on the
sandbox, 160x48, headless), the short one first, as a user opens them: the list's cursor put on
the row, Enter handed to the app as the terminal driver hands it (`driver.send_message(Key)`).
Timed: from Enter to the finished frame (caught as benchmarks/ui.py catches them: `App._display`
wrapped, the update encoded as a terminal would be sent it) after which the thread's newest
message is laid out and in view. That includes the GET of the whole conversation (5.5 MB for
20,000 messages), parsing it, and the search index's write when `--index` is given (the app then
keeps one, as it does with the local store).

Then keys in the thread pane (Tab first, not timed): `--presses` of K (the message cursor up,
across the window's edge for the long thread), as many of J, 20 of k, 10 of pageup (past the
top of what is laid out, for the long thread), and g and G alternately 5 times each. Each
press is timed from handing it over to the last frame that repainted the thread, frames
counted until none came for 50 ms; only then does the script wait for the app to go idle
(`pilot.pause()`, which sends every widget a message and would be timed too otherwise). A
press that repaints nothing (K on the first message) is not counted. RSS (after
`gc.collect()` and `malloc_trim`) is read before opening each thread and after its keys.
Animations are off (`app.animation_level = "none"`, as `TEXTUAL_ANIMATIONS=none` sets it):
Textual animates a page key's scroll over up to 800 ms, and a figure would be the length of
the animation rather than the time to the first scrolled frame.

With `--index`, a last part: the app starts with an empty search index, so the background
indexer fetches every conversation, the long one first; `j` and `k` are pressed in the list
while it runs, timed the same way (without the wait for idle), and the figure says how many of
them came while the indexer was fetching or writing the long thread.

    python benchmarks/thread.py [--messages 20000] [--presses 100] [--index]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.search_index import SearchIndex
from tui_inbox.ui.app import InboxApp

from stats import pct  # benchmarks/stats.py: the scripts run from their folder
from ui import Frames, rss_mb, send_key, start_sandbox

SIZE = (160, 48)
SHORT_SUBJECT = "Lab report extension"
GOAL_SHOW_S = 1.0
GOAL_KEY_MS = 100.0


def newest_in_view(app: InboxApp, conversation_id: int) -> bool:
    thread = app.thread
    if thread.conversation is None or thread.conversation.id != conversation_id or not thread.units:
        return False
    blocks = thread.units[-1][1]  # oldest first: the newest is the last unit
    if not blocks or not blocks[0].virtual_region.size:
        return False
    top, height = thread.scroll_y, thread.scrollable_content_region.height
    region = blocks[0].virtual_region
    return top <= region.y < top + height


async def until(check, limit: float = 300.0, step: float = 0.002) -> float:
    deadline = time.perf_counter() + limit
    while not check():
        if time.perf_counter() > deadline:
            raise SystemExit("gave up waiting")
        await asyncio.sleep(step)
    return time.perf_counter()


async def open_thread(app: InboxApp, pilot, frames: Frames, row: int) -> float:
    """Enter on row ``row``: seconds to the frame that shows its newest message."""
    app.list.focus()
    app.list.cursor = row
    await pilot.pause()
    wanted = app.list.rows[row].id
    frames.widget = app.thread
    frames.log.clear()
    began = time.perf_counter()
    send_key(app, "enter")
    seen = await until(lambda: newest_in_view(app, wanted))
    # The first frame after that which painted the thread (the one the user sees it in).
    await until(lambda: any(t >= seen for t in frames.touching(began)))
    shown = next(t for t in frames.touching(began) if t >= seen)
    return shown - began


async def press(app: InboxApp, pilot, frames: Frames, key: str, idle: bool = True) -> float | None:
    """Milliseconds from handing ``key`` over to the last frame of its repaint; None if none came.
    ``idle``: then wait for the app to go idle (not while the indexer keeps it busy)."""
    frames.touched.clear()
    since = time.perf_counter()
    send_key(app, key)
    try:
        await asyncio.wait_for(frames.touched.wait(), 2.0)
    except asyncio.TimeoutError:
        return None
    # Its later frames (a window moved, then scrolled to): until none came for 50 ms. The pilot's
    # wait for idle, which sends every widget a message, comes after and is not timed.
    while time.perf_counter() - frames.touching(since)[-1] < 0.05:
        await asyncio.sleep(0.01)
    touched = frames.touching(since)
    if idle:
        await pilot.pause()
    return (touched[-1] - since) * 1000


def key_plan(presses: int) -> list[str]:
    plan = ["K"] * presses + ["J"] * presses + ["k"] * 20 + ["pageup"] * 10
    for _ in range(5):
        plan += ["g", "G"]
    return plan


async def measure_thread(app: InboxApp, pilot, frames: Frames, row: int, presses: int) -> dict:
    before = rss_mb()
    show_s = await open_thread(app, pilot, frames, row)
    await app.workers.wait_for_complete()
    await pilot.pause()
    send_key(app, "tab")
    await pilot.pause()
    assert app.focused is app.thread, app.focused
    frames.widget = app.thread
    samples = [ms for key in key_plan(presses) if (ms := await press(app, pilot, frames, key)) is not None]
    return {"messages": len(app.thread.units), "show_s": show_s, "samples": samples,
            "laid_out": len(app.thread.query("MessageBlock")), "rss_mb": rss_mb() - before}


async def run_threads(base_url: str, token: str, presses: int, messages: int) -> list[dict]:
    session = InboxSession(CanvasClient(base_url, token))
    app = InboxApp(session)
    app.animation_level = "none"  # see the docstring: a page key's scroll lands in one frame
    frames = Frames(app)
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: session.view.loaded and app.list.rows)
        await app.workers.wait_for_complete()
        rows = app.list.rows
        short = next(i for i, r in enumerate(rows) if (r.subject or "").startswith(SHORT_SUBJECT))
        long = next(i for i, r in enumerate(rows) if r.message_count == messages)
        return [await measure_thread(app, pilot, frames, short, presses),
                await measure_thread(app, pilot, frames, long, presses)]


async def run_indexer(base_url: str, token: str, messages: int) -> dict:
    """Keys in the list while the indexer works through the inbox, the long thread first."""
    with tempfile.TemporaryDirectory() as folder:
        session = InboxSession(CanvasClient(base_url, token))
        session.search_index = SearchIndex.open(Path(folder) / "index.sqlite3")
        app = InboxApp(session)
        frames = Frames(app)
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: session.view.loaded and len(app.list.rows) > 2 and app.search_indexer is not None)
            assert app.list.rows[0].message_count == messages  # the newest: the indexer's first
            frames.widget = app.list
            samples, during_long = [], 0
            began = time.perf_counter()
            indexer = app.search_indexer
            while not indexer.progress.finished or not indexer.progress.total:
                # Not index.is_current(): it would wait for the index's lock, held by the write.
                long_busy = indexer.progress.fetched == 0
                for key in ("j", "k"):
                    ms = await press(app, pilot, frames, key, idle=False)
                    if ms is not None:
                        samples.append(ms)
                        during_long += long_busy
                if time.perf_counter() - began > 600:
                    raise SystemExit("the indexer did not finish in 10 minutes")
            return {"samples": samples, "during_long": during_long, "seconds": time.perf_counter() - began,
                    "fetched": app.search_indexer.progress.fetched}


def line(label: str, result: dict) -> str:
    samples = result["samples"]
    return (f"{label:<28} {result['messages']:>7,} {result['show_s']:>9.2f} {pct(samples, 0.5):>8.1f} "
            f"{pct(samples, 0.99):>8.1f} {max(samples):>8.1f} {len(samples):>6} {result['laid_out']:>9,} "
            f"{result['rss_mb']:>+8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000, help="messages in the long thread (default 20000)")
    parser.add_argument("--presses", type=int, default=100, help="presses of K, then of J, per thread (default 100)")
    parser.add_argument("--index", action="store_true", help="also press keys while the indexer runs")
    args = parser.parse_args()
    if args.messages <= 20 or args.presses < 1:
        parser.error("--messages must be over 20 and --presses at least 1")
    proc, base_url, token, _ = start_sandbox(0, "--long-thread", str(args.messages))
    try:
        short, long = asyncio.run(run_threads(base_url, token, args.presses, args.messages))
        print(f"Opening a thread with Enter in InboxApp {SIZE[0]}x{SIZE[1]} (goals: newest on screen within "
              f"{GOAL_SHOW_S:.0f} s, key p99 under {GOAL_KEY_MS:.0f} ms)")
        print(f"{'thread':<28} {'msgs':>7} {'shown s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'keys':>6} {'laid out':>9} {'RSS MB':>8}")
        print(line("baseline: 20 messages", short))
        print(line(f"long: {args.messages:,} messages", long))
        if args.index:
            indexed = asyncio.run(run_indexer(base_url, token, args.messages))
            samples = indexed["samples"]
            print(f"\nKeys in the list while the indexer ran ({indexed['fetched']:,} conversations fetched in "
                  f"{indexed['seconds']:.1f} s, the long one first): {len(samples)} presses, "
                  f"{indexed['during_long']} of them before the long thread was indexed; "
                  f"p50 {pct(samples, 0.5):.1f} ms, p99 {pct(samples, 0.99):.1f} ms, max {max(samples):.1f} ms")
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
