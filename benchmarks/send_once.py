"""A message is sent once, whatever the user presses (issue 10, point 4): duplicates of a slow reply.

Each trial is the real app (`InboxApp` on an `InboxSession` with a `CanvasClient` and a
`DraftStore` in a temporary folder) driven headless with keys through Textual's
`App.run_test()` pilot, against one in-process sandbox (`RunningSandbox(Knobs(seed=1))`)
shared by the whole run. The app signs in and loads the inbox with no added latency; then
Enter opens the first conversation, `r` opens a reply, a body unique to the trial is typed,
the sandbox's latency is turned on (`--latency-ms` on every answer) and the user presses
`ctrl+s`. What follows depends on the variant:
  - esc: `escape` once the composer says "Sending…", then wait for "Reply sent" on the
    app's status bar;
  - ctrl+s twice: `ctrl+s` again at once (the composer stays open and closes by itself),
    then wait for "Reply sent";
  - esc, r, ctrl+s in flight: `escape` once "Sending…" shows, then at once `r` and
    `ctrl+s` while the first send is still on its way (the app should refuse to reopen
    it), then wait for "Reply sent".
Then, as a careless user would, `r` again right away: the reply should open empty. If it
opens with any body, that is a "draft came back" and the user presses `ctrl+s` to send it
(and the trial waits for that send to end); an empty one is closed with `escape`.

After each trial the latency goes back to 0 and a plain httpx client with the teacher's
token counts the copies of the trial's body in the conversation
(`GET /api/v1/conversations/:id?auto_mark_as_read=false`, `messages[].body`): every copy
beyond the first is a duplicate, none at all is a lost message. "s to sent" is from the
first `ctrl+s` to "Reply sent" on the status bar: the app's send is the `add_message` and
then the conversation fetched again to show the reply, so it is two answers' latency.

Baseline, in the same run and at the same latency: the same kind of reply posted once
directly with httpx (`POST /api/v1/conversations/:id/add_message`), `--baseline` times
(default 3), the median seconds of one post.

Goal: 0 duplicates in every variant.

    python benchmarks/send_once.py [--trials 20] [--latency-ms 2000] [--baseline 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

import httpx

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen

from stats import pct  # benchmarks/stats.py: the scripts run from their folder

SIZE = (100, 32)
SENT = "Reply sent"
VARIANTS = ("esc", "ctrl+s twice", "esc, r, ctrl+s in flight")
T = TypeVar("T")


@dataclass
class Trial:
    body: str
    conversation_id: int = 0
    seconds: float | None = None  # first ctrl+s to "Reply sent"; None if it never said so
    drafts_back: int = 0  # times a reply opened with a body after (or during) the send
    reopened_in_flight: bool = False  # the composer opened again while the first send was on its way
    refused: bool = False  # `r` in flight was answered "still being sent" on the status bar
    note: str = ""


@dataclass
class Row:
    variant: str
    trials: list[Trial] = field(default_factory=list)
    copies: list[int] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(max(0, c - 1) for c in self.copies)

    @property
    def lost(self) -> int:
        return sum(1 for c in self.copies if c == 0)

    @property
    def drafts_back(self) -> int:
        return sum(t.drafts_back for t in self.trials)

    @property
    def unconfirmed(self) -> int:
        return sum(1 for t in self.trials if t.seconds is None)

    def median(self) -> str:
        times = [t.seconds for t in self.trials if t.seconds is not None]
        return f"{pct(times, 0.5):.2f}" if times else "-"


async def until(check: Callable[[], T], timeout: float, interval: float = 0.01) -> T | None:
    """Poll ``check`` until it is truthy; None after ``timeout`` (the trial notes it and goes on)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(interval)


def set_latency(sandbox: RunningSandbox, ms: float) -> None:
    sandbox.state.knobs = dataclasses.replace(sandbox.state.knobs, latency_ms=ms)


def composer(app: InboxApp) -> ComposeScreen | None:
    return app.screen if isinstance(app.screen, ComposeScreen) else None


async def reply_again(pilot, trial: Trial, wait: float) -> None:
    """The careless user: `r` at once; send whatever comes back, close an empty reply."""
    app = pilot.app
    await pilot.press("r")
    screen = await until(lambda: composer(app), 2.0)
    if screen is None:
        trial.note = f"r after the send opened no composer: {app.status.message!r}"
        return
    await pilot.pause()
    if screen.draft.body:
        trial.drafts_back += 1
        await pilot.press("ctrl+s")
        await until(lambda: composer(app) is None, wait)
    else:
        await pilot.press("escape")
        await until(lambda: composer(app) is None, 2.0)


async def run_trial(sandbox: RunningSandbox, folder: Path, variant: str, trial: Trial, latency_ms: float) -> None:
    set_latency(sandbox, 0)
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    store = DraftStore(folder / f"drafts-{uuid.uuid4().hex}.sqlite3", "acct")
    app = InboxApp(InboxSession(client, drafts=store))
    wait = 30 + 10 * latency_ms / 1000  # generous: a few answers, each `latency_ms` late
    try:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            if await until(lambda: app.session.me is not None and app.session.view.loaded, 30) is None:
                raise SystemExit("the app did not sign in and load the inbox within 30 s")
            row = app.list.current
            await pilot.press("enter")
            await until(lambda: app.session.current is not None and app.session.current.id == row.id, 10)
            await app.workers.wait_for_complete()
            await pilot.pause()
            trial.conversation_id = row.id
            await pilot.press("r")
            screen = await until(lambda: composer(app), 5)
            if screen is None:
                raise SystemExit(f"r did not open the composer: {app.status.message!r}")
            await pilot.pause()
            await pilot.press(*trial.body)
            set_latency(sandbox, latency_ms)
            began = time.perf_counter()
            if variant == "ctrl+s twice":
                await pilot.press("ctrl+s", "ctrl+s")
            else:
                await pilot.press("ctrl+s")
                if await until(lambda: screen.status_text.startswith("Sending"), 5) is None:
                    trial.note = f"the composer never said Sending…: {screen.status_text!r}"
                await pilot.press("escape")
                if variant == "esc, r, ctrl+s in flight":
                    await pilot.press("r", "ctrl+s")
                    again = composer(app)
                    trial.refused = "still being sent" in app.status.message
                    if again is not None and again is not screen:
                        trial.reopened_in_flight = True
                        if again.draft.body:
                            trial.drafts_back += 1
            if await until(lambda: app.status.message == SENT, wait) is not None:
                trial.seconds = time.perf_counter() - began
            else:
                trial.note = f"no {SENT!r} within {wait:g} s: {app.status.message!r}"
            await reply_again(pilot, trial, wait)
            await app.workers.wait_for_complete()
    finally:
        set_latency(sandbox, 0)
        await client.aclose()
        store.close()


def copies(api: httpx.Client, conversation_id: int, body: str) -> int:
    response = api.get(f"/api/v1/conversations/{conversation_id}", params={"auto_mark_as_read": "false"})
    response.raise_for_status()
    return sum(1 for m in response.json()["messages"] if m["body"] == body)


def baseline(sandbox: RunningSandbox, api: httpx.Client, conversation_id: int, posts: int, latency_ms: float) -> list[float]:
    times = []
    for n in range(posts):
        body = f"baseline {n} {uuid.uuid4().hex[:8]}"
        set_latency(sandbox, latency_ms)
        began = time.perf_counter()
        response = api.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": body})
        times.append(time.perf_counter() - began)
        set_latency(sandbox, 0)
        response.raise_for_status()
        found = copies(api, conversation_id, body)
        if found != 1:
            raise SystemExit(f"baseline: {found} copies of a message posted once")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20, help="trials of each variant (default 20)")
    parser.add_argument("--latency-ms", type=float, default=2000.0,
                        help="latency added to every answer during the send (default 2000)")
    parser.add_argument("--baseline", type=int, default=3, help="direct httpx posts for the baseline (default 3)")
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    if args.latency_ms < 0:
        parser.error("--latency-ms cannot be negative")
    if args.baseline < 1:
        parser.error("--baseline must be at least 1")

    print(f"{args.trials} trials of each of {len(VARIANTS)} variants, the real app headless against an in-process "
          f"sandbox, {args.latency_ms:g} ms added to every answer during the send")
    rows = [Row(v) for v in VARIANTS]
    notes: list[str] = []
    began = time.perf_counter()
    with RunningSandbox(Knobs(seed=1)) as sandbox, tempfile.TemporaryDirectory() as tmp, \
            httpx.Client(base_url=sandbox.base_url, timeout=30 + 2 * args.latency_ms / 1000,
                         headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}) as api:
        folder = Path(tmp)
        folder.chmod(0o700)
        for row in rows:
            for n in range(args.trials):
                trial = Trial(body=f"once {len(row.trials) + 1} {uuid.uuid4().hex[:10]}")
                asyncio.run(run_trial(sandbox, folder, row.variant, trial, args.latency_ms))
                row.trials.append(trial)
                row.copies.append(copies(api, trial.conversation_id, trial.body))
                if trial.note or trial.reopened_in_flight or row.copies[-1] != 1:
                    notes.append(f"{row.variant} #{n + 1}: {row.copies[-1]} copies"
                                 + (", the composer reopened while the send was in flight" if trial.reopened_in_flight else "")
                                 + (f", {trial.note}" if trial.note else ""))
            print(f"  {row.variant}: done ({time.perf_counter() - began:.0f} s so far)", flush=True)
        cid = rows[0].trials[0].conversation_id
        direct = baseline(sandbox, api, cid, args.baseline, args.latency_ms)

    print(f"\n{'variant':<28}{'trials':>7}{'duplicates':>12}{'lost':>6}{'drafts back':>13}{'unconfirmed':>13}"
          f"{'median s to sent':>18}")
    for row in rows:
        print(f"{row.variant:<28}{len(row.trials):>7}{row.duplicates:>12}{row.lost:>6}{row.drafts_back:>13}"
              f"{row.unconfirmed:>13}{row.median():>18}")
    print(f"{'baseline: httpx POST once':<28}{len(direct):>7}{0:>12}{0:>6}{'-':>13}{'-':>13}"
          f"{pct(direct, 0.5):>18.2f}")
    print("  duplicates: copies beyond the first of each trial's body; lost: trials with no copy; drafts back: "
          "replies that opened with a body after (or during) the send; unconfirmed: no 'Reply sent' on the status bar")
    print(f"  s to sent: first ctrl+s to 'Reply sent' (add_message, then the conversation fetched again); "
          f"baseline: one add_message, median of {len(direct)}")
    in_flight = rows[2]
    print(f"  {in_flight.variant}: `r` during the send was refused ('still being sent') in "
          f"{sum(t.refused for t in in_flight.trials)} of {len(in_flight.trials)} trials")
    for note in notes:
        print(f"  {note}")
    total = sum(row.duplicates for row in rows)
    print(f"\ngoal: 0 duplicates ({total} in {sum(len(r.trials) for r in rows)} trials):",
          "goal met" if total == 0 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
