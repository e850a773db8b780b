"""The verbs' speed from a shell (issue 25): ``tui-inbox unread --json`` for a status bar, beside
``python -c pass`` in the same run, whole processes (interpreter start included).

A sandbox serves the teacher's account; a data folder holds the cache the app leaves behind
(its user known, its unread count, in step a moment ago), so ``unread`` answers from the cache,
as it does while the app is open or right after. Compiled modules are kept (as an install has
them). ``--runs`` rounds of both, alternating; the median, p90 and worst of each are printed,
and the difference (what the verb costs beyond starting Python). Bar: under 150 ms.

    python benchmarks/shell.py [--runs 30]
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
    for label, values in times.items():
        print(f"{label:16} {spread(values)}")
    cost = statistics.median(times["unread --json"])
    print(f"unread --json beyond python -c pass: {cost - statistics.median(times['python -c pass']):.1f} ms "
          f"(median); bar: under {BAR_MS:.0f} ms in all: {'holds' if cost < BAR_MS else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
