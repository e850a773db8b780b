"""A flood of websocket handshakes with made-up tokens, from a process of its own.

    python -m tests.handshake_flood LIVE_URL --count 1000 --distinct 100 --prefix P [--source 127.0.0.2]
        [--forwarded-for ADDR]

Opens ``count`` connections at once, each sending an upgrade request with one of
``distinct`` made-up tokens (``bogus_token(prefix, i)``), from ``--source`` (or as a proxy
would, with ``--forwarded-for``), prints ``sent`` once every request
is written, then one JSON line: how many answers had each status. Its own process, so that
the test that measures a legitimate handshake meanwhile does not share a core's time (or
the GIL) with the thousand connections of the flood.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter

from tests.relay_handshakes import raw_handshake


def bogus_token(prefix: str, index: int) -> str:
    return f"1~{prefix}-made-up-{index:05d}"


async def flood(args) -> None:
    written: list[int] = []
    tasks = [asyncio.ensure_future(raw_handshake(args.live_url, bogus_token(args.prefix, i % args.distinct),
                                                 args.forwarded_for, written=written, source=args.source))
             for i in range(args.count)]
    while len(written) < args.count and not all(t.done() for t in tasks):
        await asyncio.sleep(0.005)  # the instrument polls its own progress; no test waits on a guess
    print("sent", flush=True)
    statuses = await asyncio.gather(*tasks, return_exceptions=True)
    counted = Counter(s if isinstance(s, int) else -1 for s in statuses)
    print(json.dumps({str(k): v for k, v in counted.items()}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("live_url")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=100)
    parser.add_argument("--prefix", default="flood")
    parser.add_argument("--forwarded-for")
    parser.add_argument("--source", help="the address to connect from (any 127.x.y.z is this machine's loopback)")
    args = parser.parse_args()
    asyncio.run(flood(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
