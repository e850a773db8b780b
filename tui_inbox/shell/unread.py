"""``tui-inbox unread``: the unread count, fast enough for a status bar (like ``notmuch count``).

From the cache when it is current: the app has the account open (it follows Canvas live or by
polling, and keeps the count in the cache as it changes), or the cache was brought in step
with Canvas less than ``--max-age`` seconds ago. Otherwise Canvas is asked
(``GET /api/v1/conversations/unread_count``); when Canvas cannot be reached, the cache's count
is given all the same, marked stale, so a status bar still shows something true about when.

Text: the total, one number. ``--json``: ``{"unread": total, "accounts": [{"account", "unread",
"source": "cache"|"canvas", "as_of", "stale"}]}``; an account with no answer at all has
``"unread": null`` and an ``"error"`` line, and the exit status is 1.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from ..config import Config
from .accounts import Known, chosen, known
from .printing import iso, print_json


def run_unread(config: Config, account: str | None, *, as_json: bool, max_age: float) -> int:
    answers = [count_of(config, known(config, settings), max_age) for settings in chosen(config, account, "unread")]
    failed = [a for a in answers if a["unread"] is None]
    total = sum(a["unread"] or 0 for a in answers)
    if as_json:
        print_json({"unread": total, "accounts": answers})
    else:
        for answer in failed:
            print(f"tui-inbox unread: {answer['account']}: {answer['error']}", file=sys.stderr)
        if len(failed) < len(answers):
            print(total)
    return 1 if failed else 0


def count_of(config: Config, account: Known, max_age: float) -> dict:
    """One account's count: from its cache when that is current, else from Canvas, else the cache's, stale."""
    kept = cached_count(account)
    now = datetime.now(timezone.utc)
    if kept is not None:
        count, synced = kept
        if account.app_open or (synced is not None and now - synced <= timedelta(seconds=max_age)):
            return answer(account, count, "cache", now if account.app_open else synced)
    try:
        return answer(account, asked_count(config, account), "canvas", now)
    except Exception as error:  # noqa: BLE001 - CanvasError or ConfigError: either way, one line
        reason = " ".join(str(error).split())
        if kept is not None:
            return {**answer(account, kept[0], "cache", kept[1]), "stale": True, "error": reason}
        return {"account": account.name, "unread": None, "source": None, "as_of": None, "stale": False,
                "error": reason}


def answer(account: Known, count: int, source: str, as_of: datetime | None) -> dict:
    return {"account": account.name, "unread": count, "source": source, "as_of": iso(as_of), "stale": False}


def cached_count(account: Known) -> tuple[int, datetime | None] | None:
    from ..store.cache_facts import read_facts, synced_at  # the facts alone: no model is decoded

    path = account.cache_file
    if path is None:
        return None
    try:
        facts = read_facts(path)
        count, synced = facts.get("unread_count"), synced_at(facts)
    except Exception:  # noqa: BLE001 - none this version reads, one the app is rewriting, a damaged one: ask Canvas
        return None
    return (count, synced) if isinstance(count, int) and not isinstance(count, bool) else None


def asked_count(config: Config, account: Known) -> int:
    import asyncio

    from ..canvas import CanvasClient
    from ..launch import account_of

    token = account_of(config, account.settings).token

    async def ask() -> int:
        async with CanvasClient(account.base_url, token, timeout=10) as client:
            return await client.unread_count()

    return asyncio.run(ask())
