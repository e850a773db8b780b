"""``tui-inbox export``: whole threads of a mailbox (a course, a period) into one file.

The conversations are chosen as the Inbox shows them (a mailbox's scope, Canvas's course
filter, the last message's date); each thread comes from the local cache when the cache
holds it as it is now, else from Canvas, read with ``auto_mark_as_read=0`` (an export must
not mark anything read). The file is written beside its final name, private (0600: it holds
people's messages), flushed to disk, then linked into place: an existing file is never
overwritten, and an interrupted export leaves no half file.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation
from .export_formats import FORMATS, WRITERS, Thread, write_mbox
from .mailboxes import BY_ID
from .query import course_holds

# Every mailbox a conversation can be in; "all" reads the three that hold every conversation once.
EVERY = ("inbox", "sent", "archived")
MAILBOXES = ("all",) + tuple(m for m in BY_ID if BY_ID[m].scope is not None)
CONCURRENT_THREADS = 4  # Canvas's rate limit is shared with the user's open app

Progress = Callable[[int, int], None]  # (threads done, threads in all)
Cached = Callable[[Conversation], Conversation | None]  # the cached thread, if it is as current as the row


class ExportError(Exception):
    """A mistake in what was asked (an unknown course, a file that exists): one line, nothing written."""


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    format: str
    mailbox: str = "all"
    course: str | None = None  # a course code or name, or a group name, as the user types it
    since: datetime | None = None


def check_request(request: ExportRequest) -> None:
    """What can be told before the network: a known format and mailbox, a new file in a folder that exists."""
    if request.format not in FORMATS:
        raise ExportError(f"unknown format {request.format!r}: use one of {', '.join(FORMATS)}")
    if request.mailbox not in MAILBOXES:
        raise ExportError(f"unknown mailbox {request.mailbox!r}: use one of {', '.join(MAILBOXES)}")
    if request.path.exists() or request.path.is_symlink():
        raise ExportError(f"{request.path} exists; an export never overwrites a file: give a new name")
    if not request.path.parent.is_dir():
        raise ExportError(f"{request.path.parent} is not a folder")


async def context_codes_of(client: CanvasClient, course: str) -> list[str]:
    """The context codes (``course_1``, ``group_3``) of every course and group the words name, by the
    rule of the list's ``course:`` pattern: ``BIO`` is BIO 101, ``world`` World History."""
    wanted = course.strip()
    if not wanted:
        raise ExportError("--course is empty: give a course's code or name (e.g. BIO), or leave it out")
    courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
    codes = [c.context_code for c in courses if course_holds(wanted, c.course_code, c.name, c.context_code)]
    codes += [g.context_code for g in groups if course_holds(wanted, g.name, g.context_code)]
    if codes:
        return codes
    known = sorted({c.course_code or c.name for c in courses} | {g.name for g in groups})
    raise ExportError(f"no course or group {course!r} in this account; yours: {', '.join(known) or 'none'}")


def course_label(conversation: Conversation, courses, groups) -> str | None:
    """The short course code, as the list shows it: by context code, else by the course name
    Canvas gave (a thread's answer may carry only ``context_name``)."""
    for c in courses:
        if conversation.context_code == c.context_code or (not conversation.context_code
                                                            and conversation.context_name == c.name):
            return c.course_code or c.name
    for g in groups:
        if conversation.context_code == g.context_code:
            return g.name
    return conversation.context_name


async def choose(client: CanvasClient, request: ExportRequest) -> list[Conversation]:
    """The rows to export, newest first, each once (a conversation is in one of inbox/sent/archived
    at a time, but Canvas's sent scope also holds inbox ones: the first seen wins)."""
    filters = await context_codes_of(client, request.course) if request.course is not None else None
    scopes = EVERY if request.mailbox == "all" else (request.mailbox,)
    found = await asyncio.gather(*(client.load_conversations(BY_ID[m].scope, filters) for m in scopes))
    rows: dict[int, Conversation] = {}
    for scope_rows in found:
        for row in scope_rows:
            rows.setdefault(row.id, row)
    chosen = [r for r in rows.values()
              if request.since is None or (r.last_message_at or r.last_authored_message_at or _EPOCH) >= request.since]
    return sorted(chosen, key=lambda r: r.last_message_at or r.last_authored_message_at or _EPOCH, reverse=True)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


async def threads_of(client: CanvasClient, rows: list[Conversation], *, cached: Cached | None = None,
                     progress: Progress | None = None) -> list[Conversation]:
    """Each row's whole thread, in the rows' order: from the cache when it is current, else from Canvas."""
    done = 0
    gate = asyncio.Semaphore(CONCURRENT_THREADS)

    async def one(row: Conversation) -> Conversation:
        nonlocal done
        thread = cached(row) if cached is not None else None
        if thread is None or thread.messages is None:
            async with gate:
                thread = await client.get_conversation(row.id, auto_mark_as_read=False)
        done += 1
        if progress is not None:
            progress(done, len(rows))
        return thread

    return list(await asyncio.gather(*(one(row) for row in rows)))


async def export(client: CanvasClient, request: ExportRequest, *, cached: Cached | None = None,
                 progress: Progress | None = None, now: datetime | None = None) -> tuple[int, int]:
    """Write the export; returns (conversations, messages) written."""
    check_request(request)
    threads = await threads_to_export(client, request, cached=cached, progress=progress)
    host = urlsplit(str(client.http.base_url)).hostname or "canvas"
    write_new_file(request.path, lambda temp: _write(request.format, threads, host, temp, now))
    return len(threads), sum(len(t.messages) for t in threads)


async def threads_to_export(client: CanvasClient, request: ExportRequest, *, cached: Cached | None = None,
                            progress: Progress | None = None, account: str | None = None) -> list[Thread]:
    """One account's threads for the export, newest first; ``account`` names it in each thread."""
    rows = await choose(client, request)
    courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
    full = await threads_of(client, rows, cached=cached, progress=progress)
    host = None
    if account is not None:  # the account's name in it too: two accounts may be at one host (and ids collide)
        host = f"{account}.{urlsplit(str(client.http.base_url)).hostname or 'canvas'}".casefold()
    return [Thread(c, course_label(c, courses, groups), account, host) for c in full]


async def export_accounts(clients: dict[str, CanvasClient], request: ExportRequest, *,
                          progress: Progress | None = None, now: datetime | None = None) -> tuple[int, int]:
    """Every account's threads in one file, newest first, each marked with its account's name.

    ``--course`` takes the courses of every account that has one by that name; it is a mistake only
    when no account has one. Returns (conversations, messages) written."""
    check_request(request)
    threads: list[Thread] = []
    missing: list[str] = []
    for name, client in clients.items():  # one account at a time: the progress bar counts one
        try:
            threads += await threads_to_export(client, request, progress=progress, account=name)
        except CanvasError as error:  # say which account: the others may be fine
            raise CanvasError(f"account {name}: {error}", status=error.status) from None
        except ExportError as error:
            if request.course is None:
                raise
            missing.append(f"{name}: {error}")
    if missing and len(missing) == len(clients):
        raise ExportError("; ".join(missing))
    threads.sort(key=lambda t: t.conversation.last_message_at or t.conversation.last_authored_message_at or _EPOCH,
                 reverse=True)
    write_new_file(request.path, lambda temp: _write(request.format, threads, "canvas", temp, now))
    return len(threads), sum(len(t.messages) for t in threads)


def _write(fmt: str, threads: list[Thread], host: str, temp: Path, now: datetime | None) -> None:
    if fmt == "mbox":
        write_mbox(threads, host, temp)
        return
    temp.write_bytes(WRITERS[fmt](threads, now or datetime.now(timezone.utc)))


def write_new_file(path: Path, fill: Callable[[Path], None]) -> None:
    """Make ``path`` with what ``fill`` writes into a private temporary file beside it, or nothing.

    The link is the step that cannot overwrite: it fails if the name was taken meanwhile."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)  # 0600
    os.close(fd)
    temp = Path(name)
    try:
        fill(temp)
        os.chmod(temp, 0o600)  # mailbox may have rewritten the file
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            raise ExportError(f"{path} was made while exporting; an export never overwrites a file") from None
    finally:
        temp.unlink(missing_ok=True)
