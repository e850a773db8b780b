"""Routing conversation events (issue 13): the participants cache against asking Canvas for every event.

A sandbox is started in this process with every answer delayed --latency-ms (a Canvas
across the network). The admin token routes --events conversation_message_created events
spread over --conversations of the teacher's conversations, as the relay's router does:
`Router.subjects_for`, which fetches the conversation as the actor (as_user_id,
auto_mark_as_read=0) unless its participants are cached.

Baseline, same sandbox, same run: the same Router with a cache that keeps nothing
(`ParticipantCache(max_entries=0)`), i.e. one masqueraded GET per event. Requests are
counted at the transport; both must give every event the same subjects.

Then the fanout: --events events published on core NATS (a nats-server child) to one
course subject that --connections local queues are attached to; timed until every
queue has every event.

    python benchmarks/relay_routing.py [--events 500] [--conversations 20] [--latency-ms 20] [--connections 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui_inbox.relay.fanout import Fanout  # noqa: E402
from tui_inbox.relay.nats_child import NatsChild  # noqa: E402
from tui_inbox.relay.expiring_cache import ParticipantCache  # noqa: E402
from tui_inbox.relay.routing import Router  # noqa: E402
from tui_inbox.relay.subjects import DIGEST_HEADER, course_subject  # noqa: E402
from tui_inbox.sandbox.events import global_id  # noqa: E402
from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402


class Counting(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.count = 0

    async def handle_async_request(self, request):
        self.count += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def events_for(sandbox: RunningSandbox, n: int, conversations: int) -> list[dict]:
    teacher = sandbox.state.demo_user_id
    with httpx.Client(base_url=sandbox.base_url,
                      headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}) as client:
        ids = [c["id"] for c in client.get("/api/v1/conversations", params={"per_page": conversations}).json()]
    return [{"metadata": {"event_name": "conversation_message_created", "user_id": global_id(teacher)},
             "body": {"conversation_id": str(ids[i % len(ids)]), "author_id": str(teacher), "message_id": str(i)}}
            for i in range(n)]


async def route_all(sandbox: RunningSandbox, events: list[dict], cache: ParticipantCache) -> tuple[float, int, list]:
    counting = Counting()
    async with httpx.AsyncClient(transport=counting) as http:
        router = Router(sandbox.base_url, sandbox.info.token_of("admin"), http=http, participants=cache)
        started = time.perf_counter()
        subjects = [await router.subjects_for(e) for e in events]
        elapsed = time.perf_counter() - started
        await router.aclose()
    return elapsed, counting.count, subjects


async def fanout_all(nats_url: str, n: int, connections: int) -> float:
    nc = await nats.connect(nats_url)
    publisher = await nats.connect(nats_url)
    try:
        fanout = Fanout(nc)
        queues = [asyncio.Queue(maxsize=n) for _ in range(connections)]
        for queue in queues:
            await fanout.attach(queue, [course_subject(1)])
        body = b'{"metadata":{"event_name":"discussion_entry_created"},"body":{}}'
        started = time.perf_counter()
        for i in range(n):
            await publisher.publish(course_subject(1), body, headers={DIGEST_HEADER: f"d{i}"})
        await publisher.flush()
        while any(q.qsize() < n for q in queues):
            await asyncio.sleep(0.001)  # a benchmark's poll of the finish line, not a test's wait
        return time.perf_counter() - started
    finally:
        await publisher.close()
        await nc.close()


async def main(args) -> None:
    with RunningSandbox(Knobs(seed=1, conversations=args.conversations, latency_ms=args.latency_ms)) as sandbox:
        events = events_for(sandbox, args.events, args.conversations)
        base_time, base_requests, base_subjects = await route_all(sandbox, events, ParticipantCache(max_entries=0))
        cached_time, cached_requests, cached_subjects = await route_all(sandbox, events, ParticipantCache())
    assert cached_subjects == base_subjects and all(base_subjects)
    print(f"routing {args.events} events over {args.conversations} conversations, Canvas answering in "
          f"{args.latency_ms:g} ms:")
    print(f"  baseline, no cache:  {base_time:7.2f} s  {args.events / base_time:8.0f} events/s  "
          f"{base_requests} requests")
    print(f"  participants cache:  {cached_time:7.2f} s  {args.events / cached_time:8.0f} events/s  "
          f"{cached_requests} requests")
    with NatsChild() as child:
        elapsed = await fanout_all(child.url, args.events, args.connections)
    print(f"fanout: {args.events} events to {args.connections} local connections of one course: {elapsed:.2f} s, "
          f"{args.events * args.connections / elapsed:,.0f} deliveries/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
