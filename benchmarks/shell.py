"""The verbs' speed from a shell (issue 25): ``tui-inbox unread --json`` for a status bar, beside
``python -c pass`` in the same run, whole processes (interpreter start included); and how soon
``tui-inbox watch --ndjson`` prints a message that arrives live, beside the sandbox's own stream
read directly by a websocket client in the same run.

A sandbox serves the teacher's account; a data folder holds the cache the app leaves behind
(its user known, its unread count, in step a moment ago), so ``unread`` answers from the cache,
as it does while the app is open or right after. Compiled modules are kept (as an install has
them). ``--runs`` rounds of both, alternating; the median, p90 and worst of each are printed,
and the difference (what the verb costs beyond starting Python). Bar: under 150 ms.

Watch: ``--messages`` times a student writes to the teacher; for each, the time from the POST's
answer to the line on watch's standard output, and to the frame on a websocket of the teacher's
own opened on the sandbox's /live (the floor: what the stream itself takes). Bar: within a second.

    python benchmarks/shell.py [--runs 30] [--messages 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui_inbox.sandbox.server import RunningSandbox  # noqa: E402
from tui_inbox.sandbox.state import Knobs  # noqa: E402
from tui_inbox.store.cache import Cache  # noqa: E402
from tui_inbox.store.known_users import remember_user  # noqa: E402
from tui_inbox.store.paths import account_key, cache_path  # noqa: E402

BAR_MS = 150.0


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-3:])} failed: {done.stderr.strip()}")
    return elapsed


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(values):6.1f} ms   p90 {p90:6.1f} ms   worst {ordered[-1]:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    with RunningSandbox(Knobs(seed=1)) as sandbox, tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        token = sandbox.info.token_of("teacher")
        config = Path(folder) / "config.toml"
        config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "{token}"\n')
        remember_user(data / "known_users.json", sandbox.base_url, token, 1)
        cache = Cache(cache_path(data, account_key(sandbox.base_url, 1)))
        cache.save_value("unread_count", 12)
        cache.mark_synced(datetime.now(timezone.utc))
        cache.close()
        env = {**os.environ, "TUI_INBOX_DATA": str(data), "PYTHONPYCACHEPREFIX": str(Path(folder) / "pycache"),
               "PYTHONPATH": str(REPO)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("CANVAS_TOKEN", None)
        unread = [sys.executable, "-m", "tui_inbox.cli", "--config", str(config), "unread", "--json", "--max-age", "86400"]
        bare = [sys.executable, "-c", "pass"]
        answer = subprocess.run(unread, env=env, capture_output=True, text=True)  # compiles the modules once
        assert json.loads(answer.stdout)["accounts"][0]["source"] == "cache", answer.stdout
        times: dict[str, list[float]] = {"python -c pass": [], "unread --json": []}
        for _ in range(args.runs):
            times["python -c pass"].append(timed(bare, env))
            times["unread --json"].append(timed(unread, env))
        watch_times = watch_latency(sandbox, Path(folder), env, args.messages)
    for label, values in times.items():
        print(f"{label:16} {spread(values)}")
    cost = statistics.median(times["unread --json"])
    print(f"unread --json beyond python -c pass: {cost - statistics.median(times['python -c pass']):.1f} ms "
          f"(median); bar: under {BAR_MS:.0f} ms in all: {'holds' if cost < BAR_MS else 'OVER'}")
    for label, values in watch_times.items():
        print(f"{label:30} {spread(values)}")
    worst = max(watch_times["watch --ndjson line"])
    print(f"watch: every message's line within {worst:.0f} ms of its POST; bar: within 1,000 ms: "
          f"{'holds' if worst < 1000 else 'OVER'}")
    return 0


def watch_latency(sandbox, folder: Path, env: dict[str, str], messages: int) -> dict[str, list[float]]:
    """Per message: POST answered -> watch's line, and -> the frame on a direct websocket."""
    import asyncio
    import threading

    import httpx
    import websockets

    config = folder / "watch.toml"
    teacher = sandbox.info.token_of("teacher")
    config.write_text(f'[[accounts]]\nname = "state"\nbase_url = "{sandbox.base_url}"\ntoken = "{teacher}"\n'
                      f'live_url = "{sandbox.live_url}"\n')
    watch = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "--config", str(config), "watch", "--ndjson"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: dict[str, float] = {}  # message id -> when its line came
    frames: dict[str, float] = {}
    ready = threading.Event()

    def read_watch() -> None:
        for line in watch.stdout:
            item = json.loads(line)
            if item["kind"] == "resync":
                ready.set()
            elif item["message_id"] is not None:
                lines[str(item["message_id"])] = time.perf_counter()

    threading.Thread(target=read_watch, daemon=True).start()
    jane = next(u["token"] for u in sandbox.info.users if u["id"] == 10)

    async def run() -> dict[str, list[float]]:
        async with websockets.connect(sandbox.live_url, additional_headers={"Authorization": f"Bearer {teacher}"}) as ws:
            async def read_frames() -> None:
                async for frame in ws:
                    body = json.loads(frame).get("body", {})
                    if body.get("message_id") is not None:
                        frames[str(body["message_id"])] = time.perf_counter()

            reader = asyncio.ensure_future(read_frames())
            await asyncio.to_thread(ready.wait, 60)
            result: dict[str, list[float]] = {"watch --ndjson line": [], "sandbox stream frame (floor)": []}
            async with httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {jane}"}) as api:
                for n in range(messages):
                    answer = await api.post("/api/v1/conversations/1/add_message", data={"body": f"question {n}"})
                    sent = time.perf_counter()
                    message_id = str(answer.json()["messages"][0]["id"])
                    deadline = sent + 10
                    while (message_id not in lines or message_id not in frames) and time.perf_counter() < deadline:
                        await asyncio.sleep(0.002)
                    if message_id not in lines or message_id not in frames:
                        raise SystemExit(f"message {message_id}: no line or frame within 10 s")
                    result["watch --ndjson line"].append((lines[message_id] - sent) * 1000)
                    result["sandbox stream frame (floor)"].append((frames[message_id] - sent) * 1000)
            reader.cancel()
            return result

    try:
        return asyncio.run(run())
    finally:
        watch.terminate()
        watch.wait(30)


if __name__ == "__main__":
    sys.exit(main())
