"""How soon a message sent to the teacher shows in the app's conversation list: live stream vs polling.

Starts `tui-inbox sandbox` as a separate process (seeded, no added latency, loopback; its own
process, so the server does not share this process's interpreter lock with the app), then runs
the real app twice in this process, one after the other, headless at 160x48 (`App.run_test`):
the teacher's `InboxApp` with a real `InboxSession` and a `LiveFeed`
  - live: `LiveFeed(client, live_url)`: the websocket stream (default settings);
  - polling (the baseline): `LiveFeed(client, None, poll_seconds=--poll-seconds)`, default 30 s,
    the app's default: `unread_count` is polled, and a changed count makes the app reload the
    view (`session.refresh()`).
Each run starts once the app is signed in, the inbox loaded and the feed's first news handled
(the stream's resync, or the first poll), with the inbox list focused and its cursor at the top.

A message is sent by a student (the sandbox's first student) with an `httpx.AsyncClient` on this
process's event loop, as a real sender would: POST `/api/v1/conversations` (`force_new`) for a new
conversation with the teacher (subject "New <n>"), or POST `/api/v1/conversations/:id/add_message`
to the conversation the student started last. (Canvas's timestamps have whole seconds and the
list orders conversations by last message, then newest id first: a message to an older
conversation in the same second as the previous sample's would not go to the top.) Bodies are
short and unique ("m007.3f9a"), so the row shows them whole as its preview (the list is 68
columns wide, scrollbar included: the rail is on its left, the thread on its right). Live: the
messages alternate between the two kinds, each one sent once the previous one was measured and
the app had 0.2-0.25 s to settle. Polling: new conversations only, because an add_message to a
conversation the teacher has not read does not change `unread_count` (the conversation already
counts as unread), so polling never shows it.

What is timed, per message: from just before the POST is handed to the client to the moment the
first frame was finished whose output shows the message, with the message's conversation in the
list's first row: `app.list.rows[0].last_message == body`, and the frame's output (the escape
sequences a terminal would be sent: the headless driver writes nothing, so the frame is encoded
with `update.render_segments(app.console)`, as in benchmarks/ui.py) contains the body. Frames are
caught by wrapping `App._display`, which the screen calls once per frame; the time is taken after
the encoding. So a figure includes: the POST reaching the server, the server's websocket frame
(live) or the wait for the next poll and its `unread_count` answer (polling), the feed's queue,
the app's `on_feed_change` (live: `session.live.apply`, one GET of the conversation; polling:
`session.refresh()`, the view's first page again), `set_rows`, Textual's frame limiter (60 fps)
and the compositor painting the list, plus encoding the frame. Stages (from the same clock):
`event` is when the feed got the first websocket event after the POST (live) or when the poll
that saw the new count started (polling: the poller's sleep wrapped); `rows` is when `set_rows`
was called with the message's conversation first. Two warm-up messages of each run are not
counted.

Polling samples take a whole poll cycle each, so there are few (`--poll-samples`, default 4).
Where in the poll cycle a message is sent decides its latency, so the sends are spread over the
cycle: sample k of n (in a shuffled order) is sent at (k + u) / n of the interval after the
latest poll started, u uniform in [0, 1). The expected polling latency is printed beside them:
interval / 2 (the mean wait for the next poll, for a message sent at a random time) + the
measured mean from the poll's start to the frame.

Goal: p50 under 100 ms with the live stream, over the counted messages of both kinds.

    python benchmarks/live.py [--messages 50] [--poll-samples 4] [--poll-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
from textual._compositor import CompositorUpdate

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.live import LiveFeed
from tui_inbox.ui.app import InboxApp

from stats import pct  # benchmarks/stats.py: the scripts run from their folder

SIZE = (160, 48)
GOAL_MS = 100.0
WARM_UP = 2
SETTLE = (0.2, 0.25)  # seconds between one message measured and the next sent (uniform)


# -- the sandbox -----------------------------------------------------------------------------------------
def start_sandbox() -> tuple[subprocess.Popen, dict]:
    cmd = [sys.executable, "-m", "tui_inbox.cli", "sandbox"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise SystemExit(f"the sandbox did not start (exit code {proc.returncode})")
    return proc, json.loads(line)


# -- watching one message at a time ------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str  # "add_message" or "new conversation"
    body: str
    sent: float = 0.0  # just before the POST
    posted: float = 0.0  # the POST answered
    event: float | None = None  # live: first stream event; polling: start of the poll that saw it
    rows: float | None = None  # set_rows with the message's conversation first
    frame: float | None = None  # the first finished frame showing it

    def ms(self, end: float | None, start: float | None = None) -> float:
        return ((end or math.nan) - (self.sent if start is None else start)) * 1000


class Watch:
    """Hooks into the app and the feed that time-stamp one armed message's way to the screen."""

    def __init__(self, app: InboxApp, feed: LiveFeed) -> None:
        self.app = app
        self.sample: Sample | None = None
        self.shown = asyncio.Event()
        self.poll_starts: list[float] = [time.perf_counter()]  # the feed's first poll starts when it does
        self.frames_with_row_not_text = 0  # frames while rows[0] was it, whose output lacked the body

        display = app._display

        def timed_display(screen, renderable) -> None:
            display(screen, renderable)
            sample = self.sample
            if sample is None or sample.frame is not None or renderable is None or app._batch_count:
                return
            text = renderable.render_segments(app.console) if isinstance(renderable, CompositorUpdate) else ""
            done = time.perf_counter()
            if self.first_row_is(sample):
                if sample.body in text:
                    sample.frame = done
                    self.shown.set()
                else:
                    self.frames_with_row_not_text += 1

        app._display = timed_display  # the screen calls it once per frame

        stream_event = feed.stream_event

        def timed_stream_event(event) -> None:
            if self.sample is not None and self.sample.event is None:
                self.sample.event = time.perf_counter()
            stream_event(event)

        feed.stream_event = timed_stream_event  # the stream calls its listener's method

        sleep = feed._poller._sleep

        async def timed_sleep(seconds: float) -> None:
            await sleep(seconds)
            self.poll_starts.append(time.perf_counter())  # the poller polls as soon as it wakes

        feed._poller._sleep = timed_sleep

    def first_row_is(self, sample: Sample) -> bool:
        rows = self.app.list.rows
        return bool(rows) and rows[0].last_message == sample.body

    def hook_list(self) -> None:
        lst = self.app.list
        set_rows = lst.set_rows

        def timed_set_rows(rows, keep=None) -> None:
            set_rows(rows, keep=keep)
            sample = self.sample
            if sample is not None and sample.rows is None and self.first_row_is(sample):
                sample.rows = time.perf_counter()

        lst.set_rows = timed_set_rows

    def arm(self, sample: Sample) -> None:
        self.shown.clear()
        self.sample = sample


@dataclass
class Run:
    label: str
    samples: list[Sample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def total_ms(self, kind: str | None = None) -> list[float]:
        return [s.ms(s.frame) for s in self.samples if kind is None or s.kind == kind]


class Student:
    def __init__(self, info: dict) -> None:
        me = next(u for u in info["users"] if u["role"] == "student")
        self.teacher_id = info["users"][0]["id"]
        self.http = httpx.AsyncClient(base_url=info["base_url"], headers={"Authorization": f"Bearer {me['token']}"},
                                      timeout=30)
        self.thread_id: int | None = None
        self.count = 0

    def body(self) -> str:
        self.count += 1
        return f"m{self.count:03d}.{secrets.token_hex(2)}"  # 9 cells: the preview shows it whole

    async def new_conversation(self, sample: Sample, subject: str) -> int:
        sample.sent = time.perf_counter()
        response = await self.http.post("/api/v1/conversations", data={
            "recipients[]": [str(self.teacher_id)], "subject": subject, "body": sample.body, "force_new": "true"})
        sample.posted = time.perf_counter()
        response.raise_for_status()
        return response.json()[0]["id"]

    async def add_message(self, sample: Sample) -> None:
        sample.sent = time.perf_counter()
        response = await self.http.post(f"/api/v1/conversations/{self.thread_id}/add_message",
                                        data={"body": sample.body})
        sample.posted = time.perf_counter()
        response.raise_for_status()

    async def send(self, sample: Sample) -> None:
        if sample.kind == "add_message":
            await self.add_message(sample)
        else:
            self.thread_id = await self.new_conversation(sample, f"New {self.count}")


async def until(check, timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def start_app(info: dict, live: bool, poll_seconds: float):
    client = CanvasClient(info["base_url"], info["users"][0]["token"])
    feed = LiveFeed(client, info["live_url"] if live else None, poll_seconds=poll_seconds)
    app = InboxApp(InboxSession(client), feed=feed)
    return app, feed, Watch(app, feed)


async def settle_start(app: InboxApp, pilot, state: str) -> None:
    await until(lambda: app.session.me is not None and app.session.view.loaded and app.status.feed == state, 30,
                f"the app to sign in and the feed to be {state}")
    await asyncio.sleep(0.5)  # the feed's first news (resync / first poll) and its reload
    await app.session.wait_loaded()
    await pilot.pause()
    app.list.focus()
    app.list.cursor = 0
    await pilot.pause()


async def measure(watch: Watch, student: Student, sample: Sample, timeout: float) -> Sample:
    watch.arm(sample)
    await student.send(sample)
    try:
        await asyncio.wait_for(watch.shown.wait(), timeout)
    except TimeoutError:
        raise SystemExit(f"{sample.kind} {sample.body!r} was not shown within {timeout:g} s "
                         f"(rows[0] = {watch.app.list.rows[0].last_message if watch.app.list.rows else None!r})")
    watch.sample = None
    return sample


async def run_live(info: dict, messages: int) -> Run:
    run = Run("live: websocket stream")
    app, feed, watch = await start_app(info, live=True, poll_seconds=30.0)
    student = Student(info)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle_start(app, pilot, "live")
            watch.hook_list()
            # A conversation for the first add_message (sent and shown before anything is timed).
            opener = Sample("new conversation", student.body())
            student.thread_id = await student.new_conversation(opener, "Live")
            await until(lambda: watch.first_row_is(opener), 10, "the bench conversation to show")
            await pilot.pause()
            kinds = ["add_message", "new conversation"]
            for i in range(WARM_UP + messages):
                await asyncio.sleep(random.uniform(*SETTLE))
                sample = await measure(watch, student, Sample(kinds[i % 2], student.body()), 10)
                if i >= WARM_UP:
                    run.samples.append(sample)
            await asyncio.sleep(0.5)  # the last new conversation's second event is applied before the app exits
            run.notes.append(f"list {app.list.region.width}x{app.list.region.height} at {app.list.region.x},"
                             f"{app.list.region.y}; frames with the row first but not the body in their output: "
                             f"{watch.frames_with_row_not_text}; feed ended {app.status.feed}")
    finally:
        await student.http.aclose()
    return run


async def run_polling(info: dict, samples: int, interval: float) -> Run:
    run = Run(f"polling: every {interval:g} s, no stream")
    app, feed, watch = await start_app(info, live=False, poll_seconds=interval)
    student = Student(info)
    strata = list(range(samples))
    random.shuffle(strata)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle_start(app, pilot, "polling")
            watch.hook_list()
            phases = []
            for i in range(WARM_UP + samples):
                if i < WARM_UP:
                    phase = random.random()  # warm-up: anywhere in the cycle
                else:
                    phase = (strata[i - WARM_UP] + random.random()) / samples
                    phases.append(phase)
                await asyncio.sleep(random.uniform(*SETTLE))
                # Send at the chosen point of the cycle: `phase` of the interval after the latest poll start.
                when = watch.poll_starts[-1] + phase * interval
                while when < time.perf_counter():
                    when += interval
                await asyncio.sleep(when - time.perf_counter())
                sample = await measure(watch, student, Sample("new conversation", student.body()), 2 * interval + 30)
                sample.event = max((t for t in watch.poll_starts if t <= (sample.rows or math.inf)), default=None)
                if i >= WARM_UP:
                    run.samples.append(sample)
                    print(f"  polling sample {i - WARM_UP + 1}/{samples}: sent at {phase:.2f} of the cycle, "
                          f"shown after {sample.ms(sample.frame):,.0f} ms", flush=True)
            cycles = [b - a for a, b in zip(watch.poll_starts[1:], watch.poll_starts[2:])]
            run.notes.append(f"sent at {', '.join(f'{p:.2f}' for p in phases)} of the poll cycle; "
                             f"poll starts {statistics.mean(cycles):.3f} s apart on average over {len(cycles)} cycles"
                             if cycles else f"sent at {', '.join(f'{p:.2f}' for p in phases)} of the poll cycle")
    finally:
        await student.http.aclose()
    return run


# -- the report --------------------------------------------------------------------------------------------
def line(label: str, values: list[float]) -> str:
    return (f"{label:<46}{len(values):>4}{pct(values, 0.5):>11,.1f}{pct(values, 0.99):>11,.1f}"
            f"{statistics.mean(values):>11,.1f}{min(values):>10,.1f}{max(values):>11,.1f}")


def report(live: Run, poll: Run, interval: float) -> None:
    print(f"\n{'ms from POST to the frame showing it':<46}{'n':>4}{'p50':>11}{'p99':>11}{'mean':>11}{'min':>10}{'max':>11}")
    print(line(live.label, live.total_ms()))
    for kind in ("add_message", "new conversation"):
        print(line(f"  {kind}", live.total_ms(kind)))
    print(line(f"polling every {interval:g} s, new conversations", poll.total_ms()))
    fetch = [s.ms(s.frame, s.event) for s in poll.samples]
    expected = interval * 1000 / 2 + statistics.mean(fetch)
    print(f"expected polling latency: interval/2 + fetch = {interval * 1000 / 2:,.0f} + {statistics.mean(fetch):.1f} "
          f"= {expected:,.0f} ms (fetch: from the poll's start to the frame, mean of the {len(fetch)} samples)")
    print(f"(polling: only {len(poll.samples)} samples, spread over the poll cycle; its p99 is close to its max)")

    print(f"\nstages, p50 (ms){'':<28}{'POST':>9}{'->event':>10}{'->rows':>10}{'->frame':>10}")
    for run, first in ((live, "websocket event"), (poll, "poll started")):
        posted = pct([s.ms(s.posted) for s in run.samples], 0.5)
        event = pct([s.ms(s.event) for s in run.samples], 0.5)
        rows = pct([s.ms(s.rows, s.event) for s in run.samples], 0.5)
        frame = pct([s.ms(s.frame, s.rows) for s in run.samples], 0.5)
        print(f"  {run.label:<42}{posted:>9.1f}{event:>10,.1f}{rows:>10.1f}{frame:>10.1f}")
    print("  (POST: until its answer; ->event: from the send to the first websocket event (live) or to the start of "
          "the poll that saw it (polling); ->rows: to set_rows with it first; ->frame: to the finished frame)")
    for run in (live, poll):
        for note in run.notes:
            print(f"  {run.label}: {note}")
    p50 = pct(live.total_ms(), 0.5)
    print(f"live p50 / polling p50: 1 / {pct(poll.total_ms(), 0.5) / p50:,.0f}")
    print(f"goal: p50 under {GOAL_MS:g} ms: {'met' if p50 < GOAL_MS else 'NOT met'} "
          f"(live, {len(live.samples)} messages: {p50:.1f} ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50, help="timed messages with the live stream (default 50)")
    parser.add_argument("--poll-samples", type=int, default=4, help="timed messages with polling only (default 4)")
    parser.add_argument("--poll-seconds", type=float, default=30.0,
                        help="the polling interval (default 30, the app's default)")
    args = parser.parse_args()
    if args.messages < 2 or args.poll_samples < 1 or args.poll_seconds <= 0:
        parser.error("--messages must be at least 2, --poll-samples at least 1, --poll-seconds above 0")

    proc, info = start_sandbox()
    try:
        print(f"sandbox (seeded, loopback, no added latency) at {info['base_url']}; screen {SIZE[0]}x{SIZE[1]}, "
              f"headless; Textual {__import__('textual').__version__}")
        print(f"live: {args.messages} messages (+{WARM_UP} warm-up), add_message and new conversations alternately",
              flush=True)
        live = asyncio.run(run_live(info, args.messages))
        print(f"polling every {args.poll_seconds:g} s: {args.poll_samples} new conversations (+{WARM_UP} warm-up); "
              f"about {args.poll_seconds * (args.poll_samples + WARM_UP) / 60:.0f} min", flush=True)
        poll = asyncio.run(run_polling(info, args.poll_samples, args.poll_seconds))
    finally:
        proc.terminate()
        proc.wait(10)
    report(live, poll, args.poll_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
