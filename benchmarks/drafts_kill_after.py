"""How much of a draft is restored when the app is killed 0.3 s after the last key.

The same run as benchmarks/drafts_crash.py (the real app in a pty, a reply typed one key every
`--every` seconds, 40 keys, then SIGKILL), but killed `--after` seconds (0.3 by default) after the
last key: how long a user may stop typing before a crash and still find every character.
  - kill after: killed `--after` s after the last key (goal: 40 of 40);
  - baseline: killed `--pause` s (2 by default) after it, every save long done: what the store holds at best.
Each is run `--runs` times (3 by default); every run is printed, and the lowest of each.

Run from the repository: `python benchmarks/drafts_kill_after.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.drafts_crash import compare  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every", type=float, default=0.1, help="seconds between keys")
    parser.add_argument("--after", type=float, default=0.3, help="seconds from the last key to the kill")
    parser.add_argument("--pause", type=float, default=2.0, help="the baseline's seconds before the kill")
    args = parser.parse_args()
    compare({f"kill -9 {args.after:g} s after the last key": args.after,
             f"baseline (kill -9 {args.pause:g} s after)": args.pause},
            runs=args.runs, every=args.every, title="characters restored after kill -9")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
