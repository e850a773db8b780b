"""The relay's intake: how long Canvas waits for its 2xx, against a bare HTTP round trip (issue 13).

A relay runs in this process (its own nats-server child, JetStream on disk, a JWKS
served on loopback); --events distinct conversation events, each a JWT signed RS256, are
POSTed to /canvas/live-events one after another and then --concurrency at a time. Every
answer must be 202; the stream must then hold exactly every event once.

Baseline, same relay, same run: GET /healthz the same number of times (HTTP and the
app, without verification or the broker). Also shown: the signature check alone
(Verifier.verify in process), and a Canvas retry (a duplicate, answered 200).

    python benchmarks/relay_ingest.py [--events 500] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx
import nats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.relay_signing import KeyServer, SigningKey, sign  # noqa: E402
from tui_inbox.relay.jwks import JwksCache  # noqa: E402
from tui_inbox.relay.server import RunningRelay  # noqa: E402
from tui_inbox.relay.settings import RelaySettings  # noqa: E402
from tui_inbox.relay.subjects import STREAM  # noqa: E402
from tui_inbox.relay.verify import Verifier  # noqa: E402


def event(n: int) -> dict:
    return {"metadata": {"event_name": "conversation_message_created", "user_id": "10000000000001",
                         "event_time": "2026-11-24T12:00:00Z"},
            "body": {"conversation_id": str(n), "message_id": str(n), "author_id": "1"}}


def ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


async def timed(client: httpx.AsyncClient, method: str, url: str, body=None, expect=200) -> float:
    start = time.perf_counter()
    answer = await client.request(method, url, content=body)
    elapsed = time.perf_counter() - start
    assert answer.status_code == expect, (answer.status_code, answer.text)
    return elapsed


async def main(args) -> None:
    key = SigningKey("bench")
    bodies = [sign(event(n), key) for n in range(2 * args.events)]
    with KeyServer([key]) as keys:
        settings = RelaySettings("http://127.0.0.1:9", admin_token="unused", jwks_url=keys.url)
        with RunningRelay(settings) as relay:
            verifier = Verifier(JwksCache(keys.url), issuer=settings.issuer)
            verify_times = []
            for body in bodies[:args.events]:
                start = time.perf_counter()
                await verifier.verify(body.encode())
                verify_times.append(time.perf_counter() - start)
            await verifier.jwks.aclose()

            async with httpx.AsyncClient(timeout=15) as client:
                health = [await timed(client, "GET", relay.base_url + "/healthz") for _ in range(args.events)]
                sequential = [await timed(client, "POST", relay.info.events_url, body, 202)
                              for body in bodies[:args.events]]
                retries = [await timed(client, "POST", relay.info.events_url, body, 200)
                           for body in bodies[:args.events]]
                gate = asyncio.Semaphore(args.concurrency)

                async def one(body):
                    async with gate:
                        return await timed(client, "POST", relay.info.events_url, body, 202)

                start = time.perf_counter()
                concurrent = await asyncio.gather(*(one(body) for body in bodies[args.events:]))
                wall = time.perf_counter() - start

            nc = await nats.connect(relay.nats_child.url)
            stored = (await nc.jetstream().stream_info(STREAM)).state.messages
            await nc.close()
    assert stored == 2 * args.events, stored

    print(f"relay intake, {args.events} events per series, all answered and stored once ({stored} in the stream)")
    print(f"  baseline GET /healthz          {ms(health)}")
    print(f"  verify only (in process)       {ms(verify_times)}")
    print(f"  POST new event, one at a time  {ms(sequential)}")
    print(f"  POST a retry (duplicate, 200)  {ms(retries)}")
    print(f"  POST new event, {args.concurrency:>2} at a time  {ms(concurrent)}  "
          f"({args.events / wall:,.0f} events/s)")
    print("  Canvas's limit: 15000 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(main(parser.parse_args()))
