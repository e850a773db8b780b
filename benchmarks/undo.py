"""Does undo restore everything it changed, on the server and on screen (issue 10, point 1)?

The real app (`InboxApp` on an `InboxSession` with a `CanvasClient`) is driven headless through
Textual's `run_test()` pilot with keys, against a sandbox started in this process
(`RunningSandbox(Knobs(seed=..., conversations=...))`, a fresh one per condition). Each round
acts on the whole Inbox and undoes it, for each action in turn:
  - archive: `*` (select everything in the view), `a`;
  - star:    `*`, `s`;
  - read:    `M`, `y` (mark everything read, confirmed);
then `u`, and `u` again while the status line says "Press u to try again" (at most --presses).
Two conditions: no faults, and the sandbox's `fail_rate` (default 0.3) turned on after sign-in
(half of the failed requests fail after Canvas made the change: the answer is lost).

Judged after each act and after each undo through a plain httpx client, with faults off while
judging (fail_rate set to 0, then back; not timed):
  - acted: conversations the action changed, judged before the undo (proof it did something);
  - left changed: conversations whose (workflow_state, starred) differ from before the action
    (every conversation of the inbox and archived scopes);
  - missing / extra: the inbox list's row ids on screen (`app.list.rows`) against the ids
    Canvas lists in scope=inbox;
  - undo presses needed, seconds for the act (keys to settled) and for the undo (all presses).

Baseline, measured on the same sandbox in the same condition after the app's rounds: the
same action and its reverse as a plain canvasapi script would do them. It lists the Inbox
(ids and states, with `get_conversations`), acts (`conversations_batch_update` in chunks of
500 for archive and star, `conversations_mark_all_as_read` for read), waits for each Progress,
then puts back what it listed (mark_as_read / mark_as_unread / unstar, grouped by earlier
state). Every change is asked once: a failed call is counted and the script goes on (the
listing and the progress polls, reads safe to repeat, are tried again).

Goal: with and without faults, 0 conversations left changed and 0 rows missing on screen.

    python benchmarks/undo.py [--rounds 10] [--fail-rate 0.3] [--conversations 0] [--presses 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import requests
from canvasapi import Canvas
from canvasapi.exceptions import CanvasException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import pct  # noqa: E402  (beside this script)

from tui_inbox.canvas import CanvasClient  # noqa: E402
from tui_inbox.inbox.session import InboxSession  # noqa: E402
from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402
from tui_inbox.ui.app import InboxApp  # noqa: E402

ACTIONS = ("archive", "star", "read")
CHUNK = 500
TRY_AGAIN = "Press u to try again"


def median(samples: list[float]) -> float:
    return pct(samples, 0.5) if samples else float("nan")


@dataclass
class Round:
    action: str
    acted: int  # conversations the act changed (judged before the undo): proof it did something
    changed: int
    missing: int
    extra: int
    presses: int
    act_s: float
    undo_s: float
    note: str = ""


@dataclass
class Condition:
    name: str
    app: list[Round] = field(default_factory=list)
    script: list[Round] = field(default_factory=list)


# -- judging through a plain client, faults off --------------------------------------------------

def api(sandbox: RunningSandbox) -> httpx.Client:
    token = sandbox.info.token_of("teacher")
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def scope_ids(client: httpx.Client, scope: str) -> set[int]:
    response = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"})
    response.raise_for_status()
    return set(response.json()["conversation_ids"])


def states(client: httpx.Client) -> dict[int, tuple[str, bool]]:
    """Every conversation's (workflow_state, starred) for the teacher."""
    out = {}
    for scope in ("inbox", "archived"):
        page = 1
        while True:
            response = client.get("/api/v1/conversations", params={"scope": scope, "per_page": 100, "page": page})
            response.raise_for_status()
            rows = response.json()
            if not rows:
                break
            out.update({r["id"]: (r["workflow_state"], r["starred"]) for r in rows})
            page += 1
    return out


class Faults:
    """The sandbox's fail_rate, turned off while judging and back on after."""

    def __init__(self, sandbox: RunningSandbox, rate: float) -> None:
        self.sandbox, self.rate = sandbox, rate

    def set(self, rate: float) -> None:
        self.sandbox.state.knobs = dataclasses.replace(self.sandbox.state.knobs, fail_rate=rate)

    def on(self) -> None:
        self.set(self.rate)

    def off(self) -> None:
        self.set(0.0)


def changed_count(before: dict, after: dict) -> int:
    return sum(1 for cid in before.keys() | after.keys() if before.get(cid) != after.get(cid))


# -- the app, with keys -------------------------------------------------------------------------

async def settle(pilot) -> None:
    app = pilot.app
    await app.workers.wait_for_complete()
    await app.session.wait_loaded()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"the app did not get there within {timeout:g} s")
        await asyncio.sleep(0.01)


async def act_with_keys(pilot, action: str) -> None:
    app = pilot.app
    if action == "read":
        await pilot.press("M")
        await wait_for(lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
    else:
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press({"archive": "a", "star": "s"}[action])
    await settle(pilot)


async def app_rounds(sandbox: RunningSandbox, faults: Faults, rounds: int, presses_cap: int,
                     actions: list[str]) -> list[Round]:
    out: list[Round] = []
    app = InboxApp(InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))))
    with api(sandbox) as judge:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(lambda: app.session.me is not None and app.session.view.loaded
                           and app.session.unread_count is not None and not app.status.running)
            await settle(pilot)
            for number in range(rounds):
                for action in actions:
                    faults.off()
                    before = states(judge)
                    faults.on()
                    began = time.perf_counter()
                    await act_with_keys(pilot, action)
                    act_s = time.perf_counter() - began
                    acted = app.status.error or app.status.message
                    faults.off()
                    between = states(judge)
                    faults.on()
                    began = time.perf_counter()
                    presses = 0
                    while presses < presses_cap:
                        await pilot.press("u")
                        presses += 1
                        await settle(pilot)
                        if TRY_AGAIN not in app.status.error:
                            break
                    undo_s = time.perf_counter() - began
                    faults.off()
                    after = states(judge)
                    inbox = scope_ids(judge, "inbox")
                    faults.on()
                    screen = {row.id for row in app.list.rows}
                    line = app.status.error or app.status.message
                    note = ""
                    if app.status.error or not line.startswith("Undone:"):
                        note = f"act: {acted!r}; undo: {line!r}"
                    out.append(Round(action, changed_count(before, between), changed_count(before, after),
                                     len(inbox - screen),
                                     len(screen - inbox), presses, act_s, undo_s, note))
            faults.off()
    return out


# -- the baseline: a plain canvasapi script ----------------------------------------------------------

class Script:
    def __init__(self, sandbox: RunningSandbox) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Canvas may respond unexpectedly ... HTTP URLs": it is loopback
            self.canvas = Canvas(sandbox.base_url, sandbox.info.token_of("teacher"))
        self.errors = 0

    def call(self, do):
        try:
            return do()
        except (CanvasException, requests.RequestException):
            self.errors += 1
            return None

    def wait(self, progress) -> None:
        for _ in range(1000):
            if progress.workflow_state in ("completed", "failed"):
                return
            time.sleep(0.02)
            polled = self.call(lambda: self.canvas.get_progress(progress.id))
            progress = polled or progress

    def batch(self, ids: list[int], event: str) -> None:
        for start in range(0, len(ids), CHUNK):
            progress = self.call(lambda: self.canvas.conversations_batch_update(ids[start:start + CHUNK], event))
            if progress is not None:
                self.wait(progress)

    def listed(self) -> dict[int, tuple[str, bool]]:
        """The Inbox's ids and states, to put back; a read, so tried again until it comes."""
        for _ in range(100):
            got = self.call(lambda: [(c.id, c.workflow_state, c.starred)
                                     for c in self.canvas.get_conversations(scope="inbox", per_page=100)])
            if got is not None:
                return {cid: (state, starred) for cid, state, starred in got}
        raise SystemExit("canvasapi: the Inbox could not be listed in 100 tries")

    def act(self, action: str, listed: dict[int, tuple[str, bool]]) -> None:
        if action == "read":
            self.call(self.canvas.conversations_mark_all_as_read)
        else:
            self.batch(list(listed), {"archive": "archive", "star": "star"}[action])

    def reverse(self, action: str, listed: dict[int, tuple[str, bool]]) -> None:
        if action == "star":
            self.batch([cid for cid, (_, starred) in listed.items() if not starred], "unstar")
            return
        for state, event in (("read", "mark_as_read"), ("unread", "mark_as_unread")):
            group = [cid for cid, (was, _) in listed.items() if was == state]
            if group and (action == "archive" or state == "unread"):
                self.batch(group, event)


def script_rounds(sandbox: RunningSandbox, faults: Faults, rounds: int, actions: list[str]) -> list[Round]:
    out: list[Round] = []
    script = Script(sandbox)
    with api(sandbox) as judge:
        for _ in range(rounds):
            for action in actions:
                faults.off()
                before = states(judge)
                faults.on()
                script.errors = 0
                began = time.perf_counter()
                listed = script.listed()
                script.act(action, listed)
                act_s = time.perf_counter() - began
                faults.off()
                between = states(judge)
                faults.on()
                began = time.perf_counter()
                script.reverse(action, listed)
                undo_s = time.perf_counter() - began
                faults.off()
                after = states(judge)
                out.append(Round(action, changed_count(before, between), changed_count(before, after), 0, 0, 1, act_s, undo_s,
                                 f"{script.errors} calls failed" if script.errors else ""))
    faults.off()
    return out


# -- the run ---------------------------------------------------------------------------------------

def run_condition(name: str, rate: float, args, actions: list[str]) -> Condition:
    condition = Condition(name)
    with RunningSandbox(Knobs(seed=args.seed, conversations=args.conversations)) as sandbox:
        faults = Faults(sandbox, rate)
        with api(sandbox) as judge:
            inbox = len(scope_ids(judge, "inbox"))
        print(f"{name}: {inbox:,} conversations in the Inbox; {args.rounds} rounds of {', '.join(actions)}",
              flush=True)
        condition.app = asyncio.run(app_rounds(sandbox, faults, args.rounds, args.presses, actions))
        condition.script = script_rounds(sandbox, faults, args.rounds, actions)
    return condition


def row(label: str, rounds: list[Round], baseline: bool = False) -> str:
    presses = "-" if baseline else str(max(r.presses for r in rounds))
    missing = "-" if baseline else str(sum(r.missing for r in rounds))
    extra = "-" if baseline else str(sum(r.extra for r in rounds))
    return (f"{label:<24}{len(rounds):>7}{sum(r.acted for r in rounds):>8}{sum(r.changed for r in rounds):>9}{missing:>9}{extra:>7}"
            f"{median([r.act_s for r in rounds]):>10.3f}{median([r.undo_s for r in rounds]):>10.3f}{presses:>9}")


def report(condition: Condition, actions: list[str]) -> None:
    print(f"\n{condition.name}")
    print(f"{'way, action':<24}{'rounds':>7}{'acted':>8}{'changed':>9}{'missing':>9}{'extra':>7}{'act s':>10}{'undo s':>10}"
          f"{'presses':>9}")
    for way, rounds, baseline in (("app", condition.app, False), ("canvasapi", condition.script, True)):
        for action in actions:
            print(row(f"{way}, {action}", [r for r in rounds if r.action == action], baseline))
        print(row(f"{way}, all", rounds, baseline))
    notes = [(way, n, r) for way, rounds in (("app", condition.app), ("canvasapi", condition.script))
             for n, r in enumerate(rounds) if r.note or r.changed or r.missing or r.extra]
    for way, n, r in notes:
        print(f"  {way} round {n // len(actions) + 1} {r.action}: acted {r.acted}, changed {r.changed}, missing {r.missing}, "
              f"extra {r.extra}, presses {r.presses}{'; ' + r.note if r.note else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="act-and-undo rounds per action and condition")
    parser.add_argument("--fail-rate", type=float, default=0.3, help="the sandbox's fail_rate in the faults condition")
    parser.add_argument("--conversations", type=int, default=0, help="the sandbox's extra inbox conversations")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--presses", type=int, default=10, help="most u presses per undo")
    parser.add_argument("--actions", default=",".join(ACTIONS), help=f"comma-separated, of {', '.join(ACTIONS)}")
    args = parser.parse_args()
    actions = [a.strip() for a in args.actions.split(",") if a.strip()]
    if not actions or any(a not in ACTIONS for a in actions):
        parser.error(f"--actions takes a comma-separated list of {', '.join(ACTIONS)}")
    if args.rounds < 1 or args.presses < 1:
        parser.error("--rounds and --presses must be at least 1")
    if not 0 < args.fail_rate < 1:
        parser.error("--fail-rate must be between 0 and 1 (exclusive)")

    conditions = [run_condition("no faults", 0.0, args, actions),
                  run_condition(f"fail_rate {args.fail_rate:g}", args.fail_rate, args, actions)]
    print("\nacted: conversations the action changed (judged before the undo), summed over rounds;"
          "\nchanged: conversations whose (workflow_state, starred) differ from before the action, after the undo;"
          "\nmissing / extra: Inbox rows on screen against Canvas's scope=inbox ids; seconds are medians;"
          "\npresses: most u presses one undo needed. Baseline: a plain canvasapi script, same sandbox.")
    for condition in conditions:
        report(condition, actions)
    met = all(sum(r.changed for r in c.app) == 0 and sum(r.missing for r in c.app) == 0 for c in conditions)
    print("\ngoal: 0 left changed and 0 missing on screen in both conditions:", "goal met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
