"""A message to the 150 students of a course: one bulk send against 150 private sends (issue 11).

The sandbox is started in this process with BIO 101 filled to --students students
(`Knobs(course_students=..., latency_ms=..., send_item_seconds=...)`): every answer waits
--latency-ms, and an async batch spends --send-item-ms per recipient in the background
(the sandbox's stand-in for Canvas's job making each conversation).

The app's way: `InboxSession.send` of a new-message draft to "Students in BIO 101" (count
from recipient search), which sends `bulk_message` + `group_conversation` + `mode=async`
(`POST /api/v1/conversations`, one request), then follows `GET /api/v1/conversations/batches`
every --poll seconds (the app's default) until the batch is gone. Timed: until the composer
would be free (the 202), and until the app saw the batch done. Requests counted at the
client's transport.

Baseline, same sandbox, same run: what a script does without the batch API, one private
conversation at a time: `POST /api/v1/conversations` with `recipients[]=<student>` for each
student in turn, with httpx.

Each round checks through the API that both ended with exactly --students conversations
(one per student) under the teacher's sent scope.

    python benchmarks/bulk_send.py [--students 150] [--latency-ms 50] [--send-item-ms 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tui_inbox.canvas import CanvasClient  # noqa: E402
from tui_inbox.inbox.compose import Draft, RecipientRef  # noqa: E402
from tui_inbox.inbox.session import InboxSession  # noqa: E402
from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting requests by method and path."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: Counter = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen[(request.method, request.url.path)] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def students_of(base_url: str, token: str) -> list[int]:
    """BIO 101's students, from recipient search (bookmark pages followed by their Link)."""
    found: list[int] = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        page = await http.get("/api/v1/search/recipients", params={"context": "course_1_students", "per_page": 100})
        while True:
            found += [int(r["id"]) for r in page.json()]
            following = page.links.get("next")
            if not following:
                return found
            page = await http.get(following["url"])


async def sent_count(base_url: str, token: str, body: str) -> tuple[int, int]:
    """(conversations in Sent whose last message of mine is this body, distinct students they go to).
    By body, not subject: a private send goes into the private conversation that exists (Canvas
    ignores the subject), which is the baseline's way from its second round on."""
    async with CanvasClient(base_url, token) as client:
        rows = [c for c in await client.load_conversations("sent") if c.last_authored_message == body]
    return len(rows), len({c.audience[0] for c in rows if c.audience})


async def app_round(base_url: str, token: str, subject: str, body: str, poll: float) -> dict:
    counting = Counting()
    client = CanvasClient(base_url, token, transport=counting)
    session = InboxSession(client)
    session.bulk.poll_seconds = poll
    session.me = await client.get_self()
    counts = await session.role_counts("course_1")
    counting.seen.clear()  # the search the composer made while the user typed is not the send
    draft = Draft(kind="new", to=[RecipientRef("course_1_students", "Students in BIO 101", counts["course_1_students"])],
                  subject=subject, body=body)
    start = time.perf_counter()
    outcome = await session.send(draft)
    answered = time.perf_counter() - start
    assert outcome.ok, outcome.message
    await session.bulk.wait()
    done = time.perf_counter() - start
    await session.aclose()
    await client.aclose()
    return {"answered": answered, "done": done, "requests": sum(counting.seen.values()),
            "posts": counting.seen[("POST", "/api/v1/conversations")],
            "polls": counting.seen[("GET", "/api/v1/conversations/batches")]}


async def baseline_round(base_url: str, token: str, ids: list[int], subject: str, body: str) -> dict:
    requests = 0
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for uid in ids:
            answer = await http.post("/api/v1/conversations", data={
                "recipients[]": str(uid), "subject": subject, "body": body})
            requests += 1
            answer.raise_for_status()
    return {"done": time.perf_counter() - start, "requests": requests}


async def run(args: argparse.Namespace) -> int:
    knobs = Knobs(seed=1, course_students=args.students, latency_ms=args.latency_ms,
                  send_item_seconds=args.send_item_ms / 1000.0)
    with RunningSandbox(knobs) as sandbox:
        base, token = sandbox.base_url, sandbox.info.token_of("teacher")
        ids = await students_of(base, token)
        assert len(ids) == args.students, f"BIO 101 has {len(ids)} students, not {args.students}"
        apps, bases, wrong = [], [], 0
        for index in range(args.rounds):
            body = f"The field trip bus leaves at 8 (bulk, round {index})."
            apps.append(await app_round(base, token, "Field trip", body, args.poll))
            if await sent_count(base, token, body) != (args.students, args.students):
                wrong += 1
            body = f"The field trip bus leaves at 8 (one at a time, round {index})."
            bases.append(await baseline_round(base, token, ids, "Field trip", body))
            if await sent_count(base, token, body) != (args.students, args.students):
                wrong += 1

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    print(f"bulk send to {args.students} students, latency {args.latency_ms:g} ms, "
          f"batch {args.send_item_ms:g} ms per recipient, {args.rounds} rounds (median)")
    print(f"{'':34}{'seconds':>10}{'requests':>10}")
    print(f"{'app: bulk async, until the 202':34}{med(apps, 'answered'):10.2f}{med(apps, 'posts'):10.0f}")
    print(f"{'app: bulk async, until seen done':34}{med(apps, 'done'):10.2f}{med(apps, 'requests'):10.0f}"
          f"   (GET batches: 1 before sending, {med(apps, 'polls') - 1:.0f} following every {args.poll:g} s)")
    print(f"{'baseline: 1 private POST each':34}{med(bases, 'done'):10.2f}{med(bases, 'requests'):10.0f}")
    print(f"rounds where Sent did not hold exactly {args.students} conversations, one per student: {wrong}")
    return 1 if wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=150)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--send-item-ms", type=float, default=10.0)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between batch polls (the app's default)")
    parser.add_argument("--rounds", type=int, default=3)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
