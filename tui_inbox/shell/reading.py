"""``tui-inbox list``, ``show`` and ``search``: reading the inbox from a script, changing nothing.

- ``list`` gives a mailbox as Canvas scopes it (``--mailbox``, default inbox), Canvas's course
  filter (``--course``, by the rule of the app's ``course:``), then the app's patterns
  (``--pattern``, exactly as ``/`` narrows the list), newest first, at most ``--limit``.
  When Canvas cannot be reached, the cache's copy of that mailbox is given, and a line on
  standard error says since when.
- ``show ID`` gives one whole conversation, oldest message first, without marking it read
  unless ``--mark-read`` asks (Canvas's ``auto_mark_as_read=0``).
- ``search WORDS`` asks the search index ``S`` searches in the app (``tui-inbox index`` fills
  it), read-only.

With several accounts, ``list`` and ``search`` cover every one (``--account`` narrows), each
item with its ``account``; ``show`` needs the account when there are several.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone
from typing import Callable

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation
from ..config import Config, ConfigError
from ..config_accounts import one_account
from ..inbox.export import ExportError, context_codes_of, course_label
from ..inbox.formatting import display_name
from ..inbox.mailboxes import BY_ID
from ..inbox.query import QueryError, compile_query
from ..inbox.text import clean, one_line  # server text: no escape sequence reaches the terminal
from ..launch import account_of, check_account
from ..store.cache import view_name
from ..store.database import StoreError
from .accounts import Known, asked, chosen, known
from .commands import VerbFailed
from .shapes import hit_json, iso, print_json, row_json, thread_json

MAILBOXES = tuple(m for m in BY_ID if BY_ID[m].scope is not None)  # inbox, unread, starred, sent, archived


# -- list ------------------------------------------------------------------------------------------
def run_list(config: Config, account: str | None, *, mailbox: str, course: str | None, pattern: str | None,
             limit: int, output: str) -> int:
    accounts = [known(config, settings) for settings in chosen(config, account, "list")]
    names = [a.name for a in accounts]
    listed: list[tuple[Known, Conversation, str | None]] = []
    for one in accounts:
        rows = asyncio.run(_rows_of(config, one, mailbox, course, pattern, limit, names))
        listed += [(one, row, label) for row, label in rows]
    # Several accounts: one list, newest first, as the app's merged Inbox.
    listed.sort(key=lambda item: _when(item[1]), reverse=True)
    if limit:
        listed = listed[:limit]
    shapes = [row_json(one.name, row, label) for one, row, label in listed]
    if output == "json":
        print_json(shapes)
    elif output == "ndjson":
        for shape in shapes:
            print_json(shape)
    else:
        for one, row, label in listed:
            print(row_line(one.name if len(accounts) > 1 else None, row, label))
    return 0 if listed else 1


async def _rows_of(config: Config, one: Known, mailbox: str, course: str | None, pattern: str | None, limit: int,
                   names: list[str]) -> list[tuple[Conversation, str | None]]:
    settings = one.settings
    token = account_of(config, settings).token
    async with CanvasClient(one.base_url, token, timeout=15) as client:
        try:
            me = one.user_id if one.user_id is not None else (await client.get_self()).id
            courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
            filters = await context_codes_of(client, course) if course is not None else None
        except ExportError as error:
            raise ConfigError(f"list: {error}") from None
        except CanvasError as error:
            return _cached_rows(one, mailbox, course, pattern, limit, names, error)
        label: Callable[[Conversation], str | None] = lambda row: course_label(row, courses, groups)  # noqa: E731
        matches = _matcher(pattern, me, label, one.name, names)
        found: list[tuple[Conversation, str | None]] = []
        try:
            async for row in client.get_conversations(BY_ID[mailbox].scope, filters, per_page=100):
                if matches(row):
                    found.append((row, label(row)))
                    if limit and len(found) >= limit:
                        break
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}") from None
        return found


def _cached_rows(one: Known, mailbox: str, course: str | None, pattern: str | None, limit: int,
                 names: list[str], error: CanvasError) -> list[tuple[Conversation, str | None]]:
    """Canvas cannot be reached: the cache's copy of the mailbox, said so on standard error."""
    cache = one.cache()
    if cache is None or course is not None:
        why = "no cached copy to show" if cache is None else "--course needs Canvas's filter"
        raise VerbFailed(f"{one.name}: {error}; {why}")
    try:
        kept = cache.account()
        courses, groups = (kept[1], kept[2]) if kept else ([], [])
        label = lambda row: course_label(row, courses, groups)  # noqa: E731
        matches = _matcher(pattern, one.user_id or 0, label, one.name, names)
        rows = [(row, label(row)) for row in cache.iter_rows(view_name(mailbox, None)) if matches(row)]
        synced = cache.synced_at
    finally:
        cache.close()
    when = iso(synced) or "an unknown time"
    print(f"tui-inbox list: {one.name}: Canvas cannot be reached ({' '.join(str(error).split())}); "
          f"from the cache as of {when}", file=sys.stderr)
    return rows[:limit] if limit else rows


def _matcher(pattern: str | None, me: int, label, account: str, names: list[str],
             verb: str = "list") -> Callable[[Conversation], bool]:
    if not pattern or not pattern.strip():
        return lambda row: True
    try:
        return compile_query(pattern, me=me, now=lambda: datetime.now(timezone.utc), course_of=label,
                             account=account, accounts=names if len(names) > 1 else ())
    except QueryError as error:
        raise ConfigError(f"{verb}: --pattern: {error}") from None


def _when(row: Conversation) -> datetime:
    return row.last_message_at or row.last_authored_message_at or _EPOCH


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def row_line(account: str | None, row: Conversation, course: str | None) -> str:
    """``ID  DATE  FLAGS  PEOPLE  SUBJECT  [COURSE]``: one line, tab-separated, server text as one line."""
    flags = ("U" if row.unread else "-") + ("*" if row.starred else "-") + ("A" if row.archived else "-")
    people = ", ".join(display_name(p.name, p.full_name) for p in row.participants)
    fields = [str(row.id), iso(_when(row)) or "", flags, one_line(people), one_line(row.subject) or "(no subject)",
              course or ""]
    return "\t".join(([account] if account else []) + fields)


# -- show ------------------------------------------------------------------------------------------
def run_show(config: Config, account: str | None, conversation_id: int, *, mark_read: bool, as_json: bool) -> int:
    one = known(config, one_account(config, account, "show"))
    token = account_of(config, one.settings).token

    async def fetch() -> tuple[Conversation, str | None]:
        async with CanvasClient(one.base_url, token, timeout=15) as client:
            thread = await client.get_conversation(conversation_id, auto_mark_as_read=mark_read)
            courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
            return thread, course_label(thread, courses, groups)

    try:
        thread, label = asyncio.run(fetch())
    except CanvasError as error:
        raise VerbFailed(f"{conversation_id}: {error}") from None
    if as_json:
        print_json(thread_json(one.name, thread, label))
    else:
        print(thread_text(thread, label))
    return 0


def thread_text(thread: Conversation, course: str | None) -> str:
    """The thread as a reader wants it in a terminal or a file: headers, then each message."""
    people = ", ".join(display_name(p.name, p.full_name) for p in thread.participants)
    lines = [f"Subject: {one_line(thread.subject) or '(no subject)'}", f"With: {one_line(people)}"]
    if course:
        lines.append(f"Course: {one_line(course)}")
    for message in sorted(thread.messages or [], key=lambda m: (m.created_at or _EPOCH, m.id)):
        author = thread.participant(message.author_id)
        name = display_name(author.name, author.full_name) if author else "someone no longer in the conversation"
        lines += ["", f"--- {one_line(name)}, {iso(message.created_at) or ''}", clean(message.body).rstrip()]
        lines += [f"[attachment: {one_line(a.display_name)}]" for a in message.attachments]
    return "\n".join(lines)


# -- search ----------------------------------------------------------------------------------------
def run_search(config: Config, account: str | None, words: str, *, limit: int, output: str) -> int:
    from ..store.search_index import SearchIndex

    if not words.strip():
        raise ConfigError("search: give the words to look for, e.g. tui-inbox search lab report")
    hits: list[dict] = []
    for one in [asked(config, known(config, settings)) for settings in chosen(config, account, "search")]:
        try:
            if one.cache_file is None:
                raise StoreError("never opened here")
            index = SearchIndex.read_only(one.cache_file)
        except StoreError:
            print(f"tui-inbox search: {one.name}: no search index yet; `tui-inbox index` fills it "
                  "(the app does too, in the background)", file=sys.stderr)
            continue
        try:
            found = index.search(words, limit=limit or 100)
        finally:
            index.close()
        hits += [hit_json(one.name, hit) for hit in found.hits]
    hits.sort(key=lambda hit: hit["created_at"] or "", reverse=True)
    if limit:
        hits = hits[:limit]
    if output == "json":
        print_json(hits)
    elif output == "ndjson":
        for hit in hits:
            print_json(hit)
    else:
        for hit in hits:
            print("\t".join([hit["account"], str(hit["conversation_id"]), hit["created_at"] or "",
                             one_line(hit["author"]), one_line(hit["subject"]), one_line(hit["snippet"])]))
    return 0 if hits else 1
