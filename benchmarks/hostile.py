"""What a hostile server costs the app: peak memory growth and seconds until the error.

A loopback server in its own process (so its buffers are not counted) answers:
  - baseline: an honest 1 MB JSON body (``{"unread_count": 1, "padding": "xxx..."}``);
  - declared: ``Content-Length: 5000000000``, then zeros as fast as the socket takes them
    (the issue's case: 3.9 GB of memory before the caps);
  - undeclared: chunked zeros, fast, with no length at all (the cap must hold while reading);
  - gzip bomb: 32 kB of gzip, honest length, that inflates to 1 GB;
  - download: chunked zeros streamed to a file under ``max_download`` (128 MB here), then refused.
Each case runs through ``CanvasClient`` with its default limits (32 MB per API body) in a
fresh client; this process's RSS is sampled every 2 ms by a thread (psutil) and the peak
over the RSS just before the case is reported, with the wall time until the answer or
the error.

Goal: every hostile case grows the process by less than 100 MB.

    python benchmarks/hostile.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tui_inbox.canvas import CanvasClient, CanvasError  # noqa: E402

MB = 1024 * 1024
ZEROS = bytes(256 * 1024)
BASELINE = b'{"unread_count": 1, "padding": "' + b"x" * (MB - 40) + b'"}'
BOMB = gzip.compress(bytes(1024 * MB), compresslevel=9)


def _answer(connection: socket.socket) -> None:
    with connection:
        request = b""
        while b"\r\n\r\n" not in request:
            piece = connection.recv(65536)
            if not piece:
                return
            request += piece
        path = request.split(b" ", 2)[1].split(b"?")[0]
        try:
            if path == b"/api/v1/conversations/unread_count":  # the baseline
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                                   b"Content-Length: %d\r\n\r\n" % len(BASELINE) + BASELINE)
            elif path == b"/declared":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 5000000000\r\n\r\n")
                while True:
                    connection.sendall(ZEROS)
            elif path in (b"/undeclared", b"/files/1/download"):
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n")
                chunk = b"%x\r\n%s\r\n" % (len(ZEROS), ZEROS)
                while True:
                    connection.sendall(chunk)
            elif path == b"/bomb":
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                                   b"Content-Length: %d\r\n\r\n" % len(BOMB) + BOMB)
        except OSError:
            pass  # the client hung up: what it should do


def serve(listener: socket.socket) -> None:
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_answer, args=(connection,), daemon=True).start()


class PeakRSS:
    """The highest RSS of this process while the block runs, sampled by a thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()

    def __enter__(self) -> "PeakRSS":
        self.before = self.process.memory_info().rss
        self.peak = self.before
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc) -> None:
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / MB


async def one(base_url: str, case: str, folder: Path) -> tuple[float, float, str]:
    async with CanvasClient(base_url, "a-token", max_download=128 * MB) as client:
        with PeakRSS() as rss:
            started = time.perf_counter()
            try:
                if case == "baseline":
                    outcome = f"ok ({await client.unread_count()} unread)"
                elif case == "download":
                    await client.download(f"{base_url}/files/1/download", folder)
                    outcome = "saved?!"
                else:
                    await client.http.json("GET", f"/{case.split()[0]}")
                    outcome = "read?!"
            except CanvasError as error:
                outcome = str(error)
            seconds = time.perf_counter() - started
    return rss.growth_mb, seconds, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    listener = socket.create_server(("127.0.0.1", 0))
    server = multiprocessing.get_context("fork").Process(target=serve, args=(listener,), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    cases = ["baseline", "declared", "undeclared", "bomb", "download"]
    results: dict[str, list[tuple[float, float, str]]] = {case: [] for case in cases}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for _ in range(args.runs):
                for case in cases:  # interleaved, so no case always runs on a warmer process
                    results[case].append(asyncio.run(one(base_url, case, Path(folder))))
            leftovers = list(Path(folder).iterdir())
    finally:
        server.kill()

    print(f"python {sys.version.split()[0]}, {args.runs} runs per case, this process's RSS sampled every 2 ms")
    print(f"{'case':<12} {'peak RSS growth (MB)':>22} {'seconds to answer/error':>25}   outcome")
    for case in cases:
        growth = [g for g, _, _ in results[case]]
        seconds = [s for _, s, _ in results[case]]
        print(f"{case:<12} {statistics.median(growth):>12.1f} (max {max(growth):5.1f}) "
              f"{statistics.median(seconds):>14.3f} (max {max(seconds):6.3f})   {results[case][-1][2][:90]}")
    worst = max(g for case in cases[1:] for g, _, _ in results[case])
    print(f"files left in the downloads folder: {len(leftovers)}")
    print(f"goal: every hostile case grows the process by < 100 MB: worst {worst:.1f} MB -> "
          f"{'met' if worst < 100 and not leftovers else 'NOT met'}")


if __name__ == "__main__":
    main()
