"""What a server whose pages never end costs the client: requests and seconds until the error.

A loopback server (tests/hostile_server.py, on this process's event loop) answers
``GET /api/v1/conversations`` with ten conversations a page and a ``Link`` header:
  - honest (the baseline): pages 1 to 3, the last with no ``next``;
  - loop: page 3's ``next`` is page 1 again (the issue: 3,700 requests in 120 s, never ending);
  - endless: every page's ``next`` is a new page (only the page limit ends it);
each read through ``CanvasClient.load_conversations`` (default limits: 2,000 pages) and
``get_conversations`` (page by page). A case still running after ``--cap`` seconds is stopped
and reported as "never ended" with the requests made by then.

Goal: loop and endless end with one error line, in at most the page limit's requests, in under 5 s.
Measured here (2 shared cores): loop, 4 requests and 0.03-0.08 s; endless, 2,000 requests and
3.0-7.5 s (the server shares this process); honest, 3 requests. The code before the fix, same
script: loop and endless still fetching at 20 s, after 8,000-8,800 requests.

    python benchmarks/pagination_loop.py [--cap 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.hostile_server import HostileServer, head  # noqa: E402
from tui_inbox.canvas import CanvasClient, CanvasError, RetryPolicy  # noqa: E402

PATH = "/api/v1/conversations"


def row(cid: int) -> dict:
    return {"id": cid, "subject": f"s{cid}", "workflow_state": "read", "last_message_at": "2024-01-01T00:00:00Z",
            "message_count": 1, "participants": [{"id": 1, "name": "Me"}]}


def pages(next_of) -> object:
    async def answer(writer, target: str) -> bool:
        page = int(parse_qs(urlsplit(target).query).get("page", ["1"])[0])
        following = next_of(page)
        body = json.dumps([row(page * 100 + i) for i in range(1, 11)]).encode()
        headers = {"Link": f'<{PATH}?page={following}&per_page=10>; rel="next"'} if following else {}
        writer.write(head(Content_Type="application/json", Content_Length=len(body), **headers) + body)
        await writer.drain()
        return True
    return answer


CASES = {
    "honest (baseline)": lambda page: page + 1 if page < 3 else None,
    "loop (3 -> 1)": lambda page: page + 1 if page < 3 else 1,
    "endless": lambda page: page + 1,
}


async def one(case: str, how: str, cap: float) -> tuple[int, float, str]:
    async with HostileServer({PATH: pages(CASES[case])}) as server:
        async with CanvasClient(server.base_url, "a-token", retry=RetryPolicy(attempts=1)) as client:
            started = time.perf_counter()
            if how == "load_conversations":
                call = client.load_conversations()
            else:
                async def iterate() -> list:
                    return [c async for c in client.get_conversations()]
                call = iterate()
            try:
                rows = await asyncio.wait_for(call, cap)
                outcome = f"{len(rows)} rows"
            except CanvasError as error:
                outcome = f"error: {error}"
            except TimeoutError:
                outcome = f"never ended (stopped at {cap:g} s)"
            took = time.perf_counter() - started
        return len(server.requests), took, outcome


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=30.0)
    args = parser.parse_args()
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the server's cancelled answers at the end of a case
    print(f"{'case':<20} {'read by':<20} {'requests':>9} {'seconds':>8}  outcome")
    for case in CASES:
        for how in ("load_conversations", "get_conversations"):
            requests, took, outcome = await one(case, how, args.cap)
            print(f"{case:<20} {how:<20} {requests:>9,} {took:>8.2f}  {outcome[:150]}")


if __name__ == "__main__":
    asyncio.run(main())
