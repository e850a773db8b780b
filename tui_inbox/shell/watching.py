"""``tui-inbox watch``: what changes, one line each, for hooks and notifications.

Each account's live stream (its ``live_url``), else polls of its unread count (``poll_seconds``),
exactly as the app follows it (live/feed.py): a line per event as it arrives, ``resync`` when
the feed may have missed something (a script then lists again), and ``unread`` when a poll saw
the count change. Until Ctrl-C (or TERM), which ends it with status 0.

Text: ``TIME ACCOUNT EVENT [conversation N] [by USER]``. ``--ndjson``: one object a line,
``{"account", "kind": "event"|"resync"|"unread", "at", "event_name", "conversation_id",
"message_id", "topic_id", "actor_id", "title", "text", "unread"}`` (what a kind has not is null).
How the feed is doing (live, polling, offline) goes to standard error, a line when it changes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import datetime, timezone

from ..canvas import CanvasClient
from ..config import Config
from ..inbox.text import one_line
from ..launch import account_of, feed_for
from .accounts import chosen
from .shapes import iso, print_json


def run_watch(config: Config, account: str | None, *, ndjson: bool) -> int:
    accounts = [(settings.name, account_of(config, settings)) for settings in chosen(config, account, "watch")]
    asyncio.run(_watch(config, accounts, ndjson))
    return 0


async def _watch(config: Config, accounts: list, ndjson: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    watching = [asyncio.ensure_future(_follow(config, name, account, ndjson)) for name, account in accounts]
    try:
        await stop.wait()
    finally:
        for task in watching:
            task.cancel()
        await asyncio.gather(*watching, return_exceptions=True)


async def _follow(config: Config, name: str, account, ndjson: bool) -> None:
    async with CanvasClient(account.base_url, account.token) as client:
        feed = feed_for(config, account, client)
        said: list[str] = []

        def state_changed(status) -> None:
            line = status.state.value + (f" ({one_line(status.error)})" if status.error else "")
            if not said or said[-1] != line:
                said.append(line)
                print(f"tui-inbox watch: {name}: {line}", file=sys.stderr, flush=True)

        unsubscribe = feed.state.subscribe(state_changed)
        async with feed:
            try:
                async for change in feed:
                    shape = change_json(name, change)
                    if ndjson:
                        print_json(shape)
                    else:
                        print(change_line(shape))
                    sys.stdout.flush()  # a hook reads each line as it comes, not when a buffer fills
            finally:
                unsubscribe()  # the feed closing as watch ends is no news (it would say "offline")


def change_json(account: str, change) -> dict:
    event = change.event
    kind = {"event": "event", "resync": "resync", "unread_count": "unread"}[change.kind]
    return {
        "account": account,
        "kind": kind,
        "at": iso(event.time if event is not None and event.time else datetime.now(timezone.utc)),
        "event_name": event.name if event is not None else None,
        "conversation_id": event.conversation_id if event is not None else None,
        "message_id": event.message_id if event is not None else None,
        "topic_id": event.topic_id if event is not None else None,
        "actor_id": event.actor_id if event is not None else None,
        "title": event.title if event is not None else None,
        "text": event.text if event is not None else None,
        "unread": change.unread_count,
    }


def change_line(shape: dict) -> str:
    parts = [shape["at"] or "", shape["account"]]
    if shape["kind"] == "unread":
        parts.append(f"unread {shape['unread']}")
    elif shape["kind"] == "resync":
        parts.append("resync")
    else:
        parts.append(shape["event_name"] or "event")
        if shape["conversation_id"] is not None:
            parts.append(f"conversation {shape['conversation_id']}")
        if shape["topic_id"] is not None:
            parts.append(f"topic {shape['topic_id']}")
        if shape["actor_id"] is not None:
            parts.append(f"by {shape['actor_id']}")
        if shape["title"]:
            parts.append(one_line(shape["title"]))
    return " ".join(parts)
