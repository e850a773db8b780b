"""What merging several accounts' rows costs (inbox/merged_view.py), beside one account.

Builds sessions with no server (nothing here makes a request: the rows are put in each
session's Inbox view directly, as a load would leave them) and times, in one run:
  - one account of N (default 100,000) rows, and two accounts of N/2 each (the same dates
    interleaved, and the same ids at both: ids collide across Canvas instances);
  - the first merge (a ``MergedView`` made over loaded views: every row's sort key and one merge);
  - a re-merge after one account's change (one row archived there: that account's view makes a
    new rows list, so its keys are worked out again and the runs merged once); only the
    re-merge is timed apart from the session's own update of its view (which one account pays
    today, with no merge: printed first, for scale);
  - a re-merge when nothing changed (what a repaint asks after a burst that left the rows alone);
  - ``view[a:b]`` for a screenful (40 rows) and ``position(key)`` for one row.
Each figure is the median of --runs (default 5). Prints one table.

    python benchmarks/merged_rows.py [--rows 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.models import Conversation, Participant
from tui_inbox.inbox.accounts import Accounts
from tui_inbox.inbox.merged_view import MergedView
from tui_inbox.inbox.session import InboxSession

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
ME = Participant(1, "Pat Teacher", "Pat Teacher")


def rows(count: int, offset_seconds: int) -> list[Conversation]:
    """``count`` rows, ids 1..count, one every minute (shifted, so two accounts interleave)."""
    return [Conversation(cid, f"Subject {cid}", "read", "last", START + timedelta(minutes=cid, seconds=offset_seconds),
                         None, None, 1, True, True, False, [], [], {}, None, [ME], True, None, None)
            for cid in range(1, count + 1)]


def session_with(count: int, offset_seconds: int) -> InboxSession:
    session = InboxSession(CanvasClient("https://canvas.invalid", "not-used"))
    session.view.replace(rows(count, offset_seconds))
    return session


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(accounts: Accounts, runs: int) -> dict[str, float]:
    first = timed(lambda: MergedView(accounts), runs)
    merged = MergedView(accounts)
    changed = accounts.session(accounts.names[-1])
    ids = iter(row.id for row in changed.view.rows)

    times, own = [], []
    for _ in range(runs):
        started = time.perf_counter()
        changed.update_many([next(ids)], workflow_state="archived")  # leaves the Inbox: a new rows list
        between = time.perf_counter()
        assert merged.refresh()
        times.append(time.perf_counter() - between)
        own.append(between - started)
    change = statistics.median(times) * 1000
    still = timed(lambda: merged.refresh(), runs)
    window = timed(lambda: merged[len(merged) // 2: len(merged) // 2 + 40], runs)
    key = merged[len(merged) // 3].key

    def fresh_position() -> None:
        merged._where = None  # as after a merge: the first ask builds the inverse of the order
        merged.position(key)

    position = timed(fresh_position, runs)
    return {"the session's own update (no merge)": statistics.median(own) * 1000,
            "first merge": first, "re-merge after one change": change, "re-merge, nothing changed": still,
            "a screenful (40 rows)": window, "position of a row (first ask)": position}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one = Accounts([("one", session_with(args.rows, 0))])
    two = Accounts([("State U", session_with(args.rows // 2, 0)), ("City College", session_with(args.rows // 2, 30))])
    single = measure(one, args.runs)
    double = measure(two, args.runs)
    print(f"{'ms (median of ' + str(args.runs) + ')':36} {'1 x ' + format(args.rows, ','):>14} "
          f"{'2 x ' + format(args.rows // 2, ','):>14} {'ratio':>6}")
    for name in single:
        ratio = double[name] / single[name] if single[name] else float("nan")
        print(f"{name:36} {single[name]:14.2f} {double[name]:14.2f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
