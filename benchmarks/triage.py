"""How long archiving many conversations takes: the app's bulk action against canvasapi's two ways.

Archives the first A (default 2,000) conversations of the seeded teacher's inbox (default
5,000 in the inbox scope) three ways, each against a fresh `tui-inbox sandbox
--conversations N --latency-ms MS` subprocess, so every way starts from the same seeded
state (the same seed gives the same ids; the script checks the ids are all in the inbox):
  - ours: from the app's core. An `InboxSession(CanvasClient(base_url, token))` is started
    and the whole inbox view loaded (`start()`, `wait_loaded()`; not timed), then what is
    timed is `session.triage.act("archive", ids, verb="archive")` for the first A rows of the
    view: the local update, `client.batch_update` (chunks of 500, a few at once, each
    Progress polled with growing intervals) and the unread count fetched again afterwards,
    as the app does after every action;
  - canvasapi one by one: `Conversation.edit(conversation={"workflow_state": "archived"})`
    for each id, one after another. The Conversation objects are built from the ids
    (`Conversation(requester, {"id": id})`) rather than fetched with `get_conversation`,
    which would add a request each (and mark them read); this is the cheapest one-by-one
    script. To keep the run short only the first `--sample` (default 200) are edited and
    the time and requests are extrapolated linearly to A (the output says so);
  - canvasapi batch, sequential: `canvas.conversations_batch_update(chunk, "archive")` for
    one chunk of 500 after another, each Progress polled with `canvas.get_progress(id)`
    every `--poll` seconds (default 0.1, what a script would do) until completed or failed
    before the next chunk is sent.
Requests are counted on the client side (an httpx request hook on our client's
`client.http._http`, a requests response hook on canvasapi's session) and split into
batch requests (`PUT /conversations`), progress polls (`GET /progress/:id`), single updates
(`PUT /conversations/:id`) and other requests (ours: the unread count). Every client makes
one untimed request first, so every timed run starts with a warm connection.
After each way the script checks through the API (`include_all_conversation_ids` on
scope=archived, minus what was archived before) that exactly the ids it acted on are
archived now, and for ours that the loaded view dropped exactly them.

Goal: ours sends at most ceil(A/500) batch requests (plus progress polls) and takes at
most half the time of the sequential batch path.

    python benchmarks/triage.py [--conversations 5434] [--archive 2000] [--latency-ms 50] [--sample 200] [--poll 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import subprocess
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import requests
from canvasapi import Canvas
from canvasapi.conversation import Conversation as CanvasapiConversation

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.inbox.session import InboxSession

CHUNK = 500
GOAL_SPEEDUP = 2.0
SINGLE = re.compile(r"^/api/v1/conversations/\d+$")


def kind_of(method: str, path: str) -> str:
    if method == "PUT" and path == "/api/v1/conversations":
        return "batch"
    if method == "GET" and path.startswith("/api/v1/progress/"):
        return "poll"
    if method == "PUT" and SINGLE.match(path):
        return "single"
    return "other"


@dataclass
class Result:
    name: str
    seconds: float
    made: Counter = field(default_factory=Counter)
    acted: int = 0  # how many conversations were really acted on (the sample, for one by one)
    note: str = ""

    @property
    def requests(self) -> int:
        return sum(self.made.values())


class Sandbox:
    """One sandbox subprocess, with an uncounted requests.Session to look at its state."""

    def __init__(self, conversations: int, latency_ms: float) -> None:
        cmd = [sys.executable, "-m", "tui_inbox.cli", "sandbox", "--conversations", str(conversations),
               "--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise SystemExit(f"the sandbox did not start (exit code {self.proc.returncode})")
        info = json.loads(line)
        self.base_url, self.token = info["base_url"], info["users"][0]["token"]
        self.look = requests.Session()
        self.look.headers["Authorization"] = f"Bearer {self.token}"

    def ids(self, scope: str) -> list[int]:
        response = self.look.get(f"{self.base_url}/api/v1/conversations",
                                 params={"scope": scope, "include_all_conversation_ids": "true", "per_page": 1})
        response.raise_for_status()
        return [int(i) for i in response.json()["conversation_ids"]]

    def close(self) -> None:
        self.look.close()
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def verify(box: Sandbox, before: set[int], acted: list[int], name: str) -> None:
    """Exactly the acted-on ids are archived now, beside what was archived before."""
    now = set(box.ids("archived"))
    added, lost = now - before, before - now
    assert not lost, f"{name}: {len(lost)} conversations were archived before and are not any more"
    assert added == set(acted), (f"{name}: {len(added)} newly archived, {len(set(acted) - added)} of the "
                                 f"{len(set(acted))} acted on are not, {len(added - set(acted))} others are")


def ours(box: Sandbox, archive: int) -> tuple[Result, list[int]]:
    made: Counter = Counter()
    counting = False

    async def count(request) -> None:
        if counting:
            made[kind_of(request.method, request.url.path)] += 1

    async def run() -> tuple[float, list[int], str, int]:
        nonlocal counting
        client = CanvasClient(box.base_url, box.token)
        client.http._http.event_hooks["request"].append(count)  # the client's own httpx.AsyncClient
        session = InboxSession(client)
        try:
            await session.start()
            await session.wait_loaded()  # the whole inbox view: not timed
            view = session.view
            loaded = view.total
            ids = [row.id for row in view.rows[:archive]]
            counting = True
            began = time.perf_counter()
            outcome = await session.triage.act("archive", ids, verb="archive")
            elapsed = time.perf_counter() - began
            counting = False
            left = {row.id for row in view.all()}
            assert not left & set(ids), "ours: archived rows are still in the inbox view"
            assert len(left) == loaded - len(ids), f"ours: the view has {len(left)} rows, not {loaded - len(ids)}"
        finally:
            await session.aclose()
            await client.aclose()
        return elapsed, ids, outcome, loaded

    elapsed, ids, outcome, loaded = asyncio.run(run())
    expected = f"Archived {len(ids):,} conversations"
    assert outcome == expected, f"ours: the outcome was {outcome!r}, not {expected!r}"
    return Result("ours", elapsed, made, len(ids), f"{loaded:,} rows loaded; {outcome!r}"), ids


def canvasapi_client(box: Sandbox, made: Counter) -> tuple[Canvas, requests.Session]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Canvas may respond unexpectedly ... HTTP URLs": it is loopback
        canvas = Canvas(box.base_url, box.token)
    session = canvas._Canvas__requester._session  # the requests.Session every call goes through
    counting = [False]

    def count(response, *args, **kwargs) -> None:
        if counting[0]:
            path = requests.utils.urlparse(response.request.url).path
            made[kind_of(response.request.method, path)] += 1

    session.hooks["response"].append(count)
    canvas.get_current_user()  # warm the connection, untimed
    counting[0] = True
    return canvas, session


def one_by_one(box: Sandbox, ids: list[int], sample: int) -> Result:
    made: Counter = Counter()
    canvas, session = canvasapi_client(box, made)
    requester = canvas._Canvas__requester
    edited = ids[:sample]
    try:
        began = time.perf_counter()
        for cid in edited:
            conversation = CanvasapiConversation(requester, {"id": cid})
            if not conversation.edit(conversation={"workflow_state": "archived"}):
                raise AssertionError(f"one by one: editing {cid} did not answer a conversation")
        elapsed = time.perf_counter() - began
    finally:
        session.close()
    return Result("one by one", elapsed, made, len(edited))


def sequential_batches(box: Sandbox, ids: list[int], poll: float) -> Result:
    made: Counter = Counter()
    canvas, session = canvasapi_client(box, made)
    try:
        began = time.perf_counter()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            progress = canvas.conversations_batch_update(chunk, "archive")
            while progress.workflow_state not in ("completed", "failed"):
                time.sleep(poll)
                progress = canvas.get_progress(progress.id)
            if progress.workflow_state != "completed" or progress.message != f"{len(chunk)} conversations processed":
                raise AssertionError(f"batch: a chunk ended {progress.workflow_state}: {progress.message!r}")
        elapsed = time.perf_counter() - began
    finally:
        session.close()
    return Result("batch, sequential", elapsed, made, len(ids))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=5434,
                        help="the sandbox's --conversations (default 5434: 5,000 in the inbox scope)")
    parser.add_argument("--archive", type=int, default=2000, help="how many inbox conversations to archive")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--sample", type=int, default=200,
                        help="how many canvasapi edits one by one to time (extrapolated to --archive)")
    parser.add_argument("--poll", type=float, default=0.1, help="canvasapi batch: seconds between progress polls")
    args = parser.parse_args()
    if args.archive < 2:
        parser.error("--archive must be at least 2 (a single conversation is not a bulk action)")
    if args.sample < 1:
        parser.error("--sample must be at least 1")
    sample = min(args.sample, args.archive)

    print(f"archiving {args.archive:,} inbox conversations of the sandbox's --conversations {args.conversations}, "
          f"{args.latency_ms:g} ms added latency per response; a fresh sandbox for each way")

    with Sandbox(args.conversations, args.latency_ms) as box:
        before = set(box.ids("archived"))
        mine, ids = ours(box, args.archive)
        verify(box, before, ids, "ours")
    if len(ids) < args.archive:
        raise SystemExit(f"the inbox has only {len(ids):,} conversations")

    with Sandbox(args.conversations, args.latency_ms) as box:
        inbox, before = set(box.ids("inbox")), set(box.ids("archived"))
        assert set(ids) <= inbox, "the fresh sandbox's inbox is not the same"
        single = one_by_one(box, ids, sample)
        verify(box, before, ids[:sample], "one by one")
    scale = len(ids) / single.acted
    if scale != 1:
        single = Result(single.name, single.seconds * scale,
                        Counter({k: round(v * scale) for k, v in single.made.items()}), single.acted,
                        f"timed {single.acted:,} edits ({single.seconds:.3f} s, {single.requests} requests), "
                        f"extrapolated linearly x{scale:g}")

    with Sandbox(args.conversations, args.latency_ms) as box:
        inbox, before = set(box.ids("inbox")), set(box.ids("archived"))
        assert set(ids) <= inbox, "the fresh sandbox's inbox is not the same"
        batch = sequential_batches(box, ids, args.poll)
        verify(box, before, ids, "batch, sequential")
    batch.note = f"chunks of {CHUNK}, each progress polled every {args.poll:g} s to completion"

    results = [mine, single, batch]
    print(f"\n{'way':<20}{'batch':>7}{'polls':>7}{'single':>8}{'other':>7}{'requests':>10}{'seconds':>10}"
          f"{'time/ours':>11}{'req/ours':>10}")
    for r in results:
        print(f"{r.name:<20}{r.made['batch']:>7}{r.made['poll']:>7}{r.made['single']:>8}{r.made['other']:>7}"
              f"{r.requests:>10}{r.seconds:>10.3f}{r.seconds / mine.seconds:>10.1f}x"
              f"{r.requests / mine.requests:>9.1f}x")
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")
    print(f"verified through the API after each way: exactly the conversations acted on are newly archived "
          f"({len(ids):,}; {single.acted:,} for one by one)")

    most = math.ceil(len(ids) / CHUNK)
    speedup = batch.seconds / mine.seconds
    met = mine.made["batch"] <= most and speedup >= GOAL_SPEEDUP
    print(f"\ngoal: ours at most {most} batch requests (plus progress polls) and at least {GOAL_SPEEDUP:g}x as fast "
          f"as the sequential batch path ({mine.made['batch']} batch requests, {speedup:.1f}x):",
          "goal met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
