"""What the MCP server reads: the same rows, threads and hits as ``tui-inbox list``, ``show`` and
``search`` (shell/reading.py), as JSON values, in the server's event loop. Nothing is marked
read unless asked (``mark_read``), and the store is only read.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation
from ..config import Config, ConfigError, data_dir
from ..config_accounts import one_account
from ..inbox.export import course_label
from ..inbox.mailboxes import BY_ID
from ..launch import account_of
from ..store.database import StoreError
from ..store.paths import account_key, cache_path
from .accounts import Known, chosen, known
from .commands import VerbFailed
from .reading import _rows_of
from .shapes import hit_json, row_json, thread_json

MAILBOXES = tuple(m for m in BY_ID if BY_ID[m].scope is not None)  # inbox, unread, starred, sent, archived


def client_of(config: Config, one: Known) -> CanvasClient:
    return CanvasClient(one.base_url, account_of(config, one.settings).token, timeout=15)


def the_account(config: Config, name: str | None, verb: str) -> Known:
    """The one account a tool acts on: the only one, or the one named (a ConfigError says which exist)."""
    return known(config, one_account(config, name or None, verb))


async def user_id_of(client: CanvasClient, one: Known) -> int:
    """The user's id: as this machine knows it, else asked of Canvas (nothing is written)."""
    return one.user_id if one.user_id is not None else (await client.get_self()).id


async def list_rows(config: Config, account: str | None, *, mailbox: str, course: str | None, pattern: str | None,
                    limit: int) -> list[dict]:
    """``tui-inbox list --json``: every account's rows (or the one named), newest first."""
    if mailbox not in MAILBOXES:
        raise ConfigError(f"mailbox must be one of {', '.join(MAILBOXES)} (it is {mailbox!r})")
    accounts = [known(config, settings) for settings in chosen(config, account or None, "list_conversations")]
    names = [a.name for a in accounts]
    listed: list[tuple[Known, Conversation, str | None]] = []
    for one in accounts:
        rows = await _rows_of(config, one, mailbox, course or None, pattern or None, limit, names)
        listed += [(one, row, label) for row, label in rows]
    listed.sort(key=lambda item: item[1].last_message_at or item[1].last_authored_message_at or _EPOCH, reverse=True)
    if limit:
        listed = listed[:limit]
    return [row_json(one.name, row, label) for one, row, label in listed]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


async def read_thread(config: Config, account: str | None, conversation_id: int, *, mark_read: bool,
                      verb: str = "read_conversation") -> dict:
    """``tui-inbox show --json``: one whole conversation, oldest message first, not marked read
    unless ``mark_read`` (Canvas's ``auto_mark_as_read``)."""
    one = the_account(config, account, verb)
    try:
        async with client_of(config, one) as client:
            thread = await client.get_conversation(conversation_id, auto_mark_as_read=mark_read)
            courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
    except CanvasError as error:
        raise VerbFailed(f"conversation {conversation_id}: {error}") from None
    return thread_json(one.name, thread, course_label(thread, courses, groups))


async def search_hits(config: Config, account: str | None, words: str, *, limit: int) -> dict:
    """``tui-inbox search --json``: what the search index holds (``tui-inbox index`` and the app
    fill it), read-only; ``missing`` names the accounts with no index yet."""
    from ..store.search_index import SearchIndex

    if not words.strip():
        raise ConfigError("give the words to look for, e.g. lab report")
    hits: list[dict] = []
    missing: list[str] = []
    for one in [known(config, settings) for settings in chosen(config, account or None, "search_messages")]:
        user_id = one.user_id
        if user_id is None:
            try:
                async with client_of(config, one) as client:
                    user_id = await user_id_of(client, one)
            except CanvasError as error:
                raise VerbFailed(f"{one.name}: {error}") from None
        path = cache_path(data_dir(), account_key(one.base_url, user_id))
        try:
            if not path.exists():
                raise StoreError("never opened here")
            index = SearchIndex.read_only(path)
        except StoreError:
            missing.append(one.name)
            continue
        try:
            found = await asyncio.to_thread(index.search, words, limit=limit or 100)
        finally:
            index.close()
        hits += [hit_json(one.name, hit) for hit in found.hits]
    hits.sort(key=lambda hit: hit["created_at"] or "", reverse=True)
    return {"hits": hits[:limit] if limit else hits, "no_index_yet": missing}
