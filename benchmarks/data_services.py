"""The sandbox as Data Services at 100 events a second to a slow subscriber: the sender's pool beside one POST at a time.

A sandbox (in this process, on its own thread and loop, as the tests run it) POSTs every
event to a subscriber on 127.0.0.1 (a threaded stdlib HTTP server) that takes
``--answer-ms`` (default 50 ms) to answer each POST, as a relay busy storing an event
might. ``--events`` (default 500) ``conversation_message_created`` events, in the seeds'
shape and signed RS256 (the default), are published at ``--rate`` per second (default
100) on the sandbox's loop through ``state.hub.publish``, exactly where messaging.py
publishes a message's event. They are published there rather than caused over REST
because on the 2-core build machine the sandbox's REST handling of 100 ``add_message``
POSTs a second is itself the bottleneck (8 to 30 ms each, measured), which would hide
the sender being measured.

Timed per event: from its publication to the moment the subscriber read its POST
(matched on the body's message_id; both clocks are this process's monotonic clock).
Printed: delivered, p50 / p99 / max of that latency, and the time from the first
publication to the last delivery, for:

  - pool: the sandbox's sender as configured (``ds_concurrency`` 8 in flight);
  - baseline: the same sender with one POST in flight (``ds_concurrency`` 1), a naive
    sequential sender, measured in the same run.

At 50 ms an answer, one POST at a time can deliver 20 events a second: at 100 a second
its queue grows by 80 a second and the latency with it. Eight in flight can deliver 160.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui_inbox.sandbox.events import Origin, conversation_message_created  # noqa: E402
from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402


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


async def publish(state, count: int, rate: float) -> dict[str, float]:
    """On the sandbox's loop: message_id -> when its event was published, on a fixed schedule."""
    student = next(u for u in state.world.users.values() if u.role == "student")
    published: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        now = state.now()
        message_id = 10_000_000 + n
        event = conversation_message_created(Origin(user=student), now, 1, message_id, student.id, now)
        published[str(message_id)] = time.monotonic()
        state.hub.publish(event, [1, student.id])
    return published


def run(concurrency: int, args) -> dict:
    subscriber = SlowSubscriber(args.answer_ms)
    sandbox = RunningSandbox(Knobs(seed=1, data_services_url=subscriber.url, ds_concurrency=concurrency)).start()
    try:
        sandbox.call(lambda: sandbox.state.keys.current)  # make the keys before timing (about 50 ms each)
        published = asyncio.run_coroutine_threadsafe(publish(sandbox.state, args.events, args.rate),
                                                     sandbox.loop).result(args.events / args.rate + 60)
        deadline = time.monotonic() + args.events / 10 + 30  # even the baseline drains at 20 a second
        while time.monotonic() < deadline:
            with subscriber.lock:
                if len(subscriber.arrivals) >= len(published):
                    break
            time.sleep(0.05)
        with subscriber.lock:
            latencies = sorted(subscriber.arrivals[m] - t for m, t in published.items() if m in subscriber.arrivals)
            last = max(subscriber.arrivals.values())
        stats = sandbox.data_services_stats()
    finally:
        sandbox.stop()
        subscriber.close()
    return {"delivered": len(latencies), "sent": len(published), "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "max": latencies[-1],
            "drained": last - min(published.values()), "failed": stats["failed"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="events a second")
    parser.add_argument("--answer-ms", type=float, default=50.0, help="how long the subscriber takes to answer")
    args = parser.parse_args()
    print(f"{args.events} events at {args.rate:g}/s, subscriber answers in {args.answer_ms:g} ms, signed RS256")
    print(f"{'sender':<24}{'delivered':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'drained s':>11}{'failed':>8}")
    for label, concurrency in (("pool (8 in flight)", 8), ("baseline (1 in flight)", 1)):
        r = run(concurrency, args)
        print(f"{label:<24}{r['delivered']:>6}/{r['sent']:<3}{r['p50'] * 1000:>10.1f}{r['p99'] * 1000:>10.1f}"
              f"{r['max'] * 1000:>10.1f}{r['drained']:>11.2f}{r['failed']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
