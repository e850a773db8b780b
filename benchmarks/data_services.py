"""The sandbox as Data Services at 100 events a second to a slow subscriber: the sender's pool beside one POST at a time.

A sandbox (in this process, on its own thread) POSTs every event to a subscriber on
127.0.0.1 (a threaded stdlib HTTP server) that takes ``--answer-ms`` (default 50 ms) to
answer each POST, as a relay busy storing an event might. A student sends
``--events`` messages (default 500) to one conversation with the teacher at ``--rate``
per second (default 100), each an ``add_message`` POST over HTTP, so each is one
``conversation_message_created`` event, signed RS256 (the default).

Timed per event: from the moment the student's POST was answered (the sandbox publishes
the event before it answers) to the moment the subscriber read that event's POST (matched
on the body's message_id). Printed: delivered, p50 / p99 / max of that latency, and the
time from the first send to the last delivery, for:

  - pool: the sandbox's sender as configured (``ds_concurrency`` 8 in flight);
  - baseline: the same sender with one POST in flight (``ds_concurrency`` 1), a naive
    sequential sender, measured in the same run.

At 50 ms an answer, one POST at a time can deliver 20 events a second: at 100 a second
its queue grows by 80 a second and the latency with it. Eight in flight can deliver 160.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402

TEACHER_ID = 1


class SlowSubscriber:
    def __init__(self, answer_ms: float) -> None:
        self.arrivals: dict[str, float] = {}  # message_id -> when its POST was read
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.monotonic()
                claims = jwt.decode(body, options={"verify_signature": False})
                if claims["metadata"]["event_name"] == "conversation_message_created":
                    with outer.lock:
                        outer.arrivals.setdefault(claims["body"]["message_id"], arrived)
                time.sleep(answer_ms / 1000)  # the subscriber's own work before it answers
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/canvas/live-events"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def send_messages(sandbox: RunningSandbox, count: int, rate: float) -> dict[str, float]:
    """message_id -> when the student's POST was answered. Sends on a fixed schedule, not one after another."""
    token = sandbox.info.token_of("student")
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30, limits=httpx.Limits(max_connections=32)) as client:
        first = await client.post("/api/v1/conversations",
                                  data={"recipients[]": [str(TEACHER_ID)], "body": "start", "force_new": "true"})
        conversation_id = first.json()[0]["id"]
        start = time.monotonic()

        async def one(n: int) -> None:
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            answer = await client.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": f"m{n}"})
            answer.raise_for_status()
            answered[str(answer.json()["messages"][0]["id"])] = time.monotonic()

        await asyncio.gather(*(one(n) for n in range(count)))
    return answered


def run(concurrency: int, args) -> dict:
    subscriber = SlowSubscriber(args.answer_ms)
    sandbox = RunningSandbox(Knobs(seed=1, data_services_url=subscriber.url, ds_concurrency=concurrency)).start()
    try:
        sandbox.call(lambda: sandbox.state.keys.current)  # make the keys before timing (about 50 ms each)
        began = time.monotonic()
        answered = asyncio.run(send_messages(sandbox, args.events, args.rate))
        deadline = time.monotonic() + args.events / 10 + 30  # even the baseline drains at 20 a second
        while time.monotonic() < deadline:
            with subscriber.lock:
                if all(mid in subscriber.arrivals for mid in answered):
                    break
            time.sleep(0.05)
        with subscriber.lock:
            latencies = sorted(subscriber.arrivals[m] - t for m, t in answered.items() if m in subscriber.arrivals)
            last = max(subscriber.arrivals.values(), default=began)
        stats = sandbox.data_services_stats()
    finally:
        sandbox.stop()
        subscriber.close()
    return {"delivered": len(latencies), "sent": len(answered), "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "max": latencies[-1],
            "drained": last - began, "stats": stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="events a second")
    parser.add_argument("--answer-ms", type=float, default=50.0, help="how long the subscriber takes to answer")
    args = parser.parse_args()
    print(f"{args.events} events at {args.rate:g}/s, subscriber answers in {args.answer_ms:g} ms, signed RS256")
    print(f"{'sender':<22}{'delivered':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'drained s':>11}")
    for label, concurrency in (("pool (8 in flight)", 8), ("baseline (1 in flight)", 1)):
        r = run(concurrency, args)
        print(f"{label:<22}{r['delivered']:>6}/{r['sent']:<3}{r['p50'] * 1000:>10.1f}{r['p99'] * 1000:>10.1f}"
              f"{r['max'] * 1000:>10.1f}{r['drained']:>11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
