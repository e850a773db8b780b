"""The account's cache: what Canvas last said, so the app opens at once and reads offline.

Kept in ``cache.sqlite3`` (store/paths.py) under the component name "cache" (the search
index shares the file under its own). Everything here can be rebuilt from Canvas, so a
file that cannot be read is set aside and started again (store/database.py says so in
one line, which ``notice`` hands to the status bar).

- ``account``: me, courses, groups, the unread count and ``synced_at`` (when the cache was
  last in step with Canvas), as JSON values;
- ``rows``: each conversation's row as Canvas gave it (store/row_codec.py), one per id;
- ``members``: which rows each view (scope and course filter) holds, with the stamp Canvas
  orders that scope by, so a view is read back in Canvas's order without storing positions
  (a row that moves is one UPDATE, not a renumbering of the 100,000 below it);
- ``threads``: each opened conversation with its messages, for reading offline.

Every change set is one transaction. The connection is shared by the UI's thread and the
writer's (``asyncio.to_thread``), so a lock keeps them one at a time.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from ..canvas.models import Conversation, Course, Group, User
from .database import Notice, migrate, open_database, open_read_only, rollback
from ..canvas.sharing import Shared
from .row_codec import as_plain, decode, encode, encode_rows
from .cache_facts import COMPONENT, MIGRATIONS, facts_of
from .cache_facts import synced_at as _synced_at

READ_PAGE = 2000  # rows read from SQLite at once


def view_name(mailbox_id: str, filter_code: str | None) -> str:
    return f"{mailbox_id}|{filter_code or ''}"


class Cache:
    def __init__(self, path: Path, *, notice: Notice | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.db = open_database(path, lambda db: migrate(db, COMPONENT, MIGRATIONS), rebuildable=True, notice=notice)

    @classmethod
    def read_only(cls, path: Path) -> "Cache":
        """The cache as another process (the open app) keeps it, for reading only: nothing is
        created, migrated or written, so a script never changes the app's files. Raises
        StoreError when there is no cache of this version to read."""
        cache = cls.__new__(cls)
        cache.path, cache._lock = path, threading.Lock()
        cache.db = open_read_only(path, COMPONENT, len(MIGRATIONS))
        return cache

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def _write(self) -> "_Transaction":
        return _Transaction(self.db, self._lock)

    # -- the account -----------------------------------------------------------------------
    def save_account(self, me: User | None, courses: list[Course], groups: list[Group]) -> None:
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO account (key, value) VALUES (?, ?)", [
                ("me", json.dumps(as_plain(me) if me else None)),
                ("courses", json.dumps([as_plain(c) for c in courses])),
                ("groups", json.dumps([as_plain(g) for g in groups])),
            ])

    def account(self) -> tuple[User | None, list[Course], list[Group]] | None:
        values = self._values()
        if "me" not in values:
            return None
        me = values["me"]
        return (User(**me) if me else None, [Course(**c) for c in values.get("courses") or []],
                [Group(**g) for g in values.get("groups") or []])

    def save_value(self, key: str, value) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO account (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def value(self, key: str):
        return self._values().get(key)

    def _values(self) -> dict:
        with self._lock:
            return facts_of(self.db)

    def mark_synced(self, when: datetime) -> None:
        self.save_value("synced_at", when.isoformat())

    @property
    def synced_at(self) -> datetime | None:
        return _synced_at(self._values())

    # -- views and their rows -----------------------------------------------------------------
    def save_view(self, view: str, rows: Iterable[tuple[float, Conversation]], *, complete: bool = True) -> None:
        """The rows of a view with their order stamps; ``complete`` drops the rows it no longer holds."""
        rows = list(rows)
        with collector_paused():
            encoded = encode_rows(c for _, c in rows)
        with self._write() as db:
            if complete:
                db.execute("DELETE FROM members WHERE view = ?", (view,))
            db.executemany("INSERT OR REPLACE INTO rows (id, row) VALUES (?, ?)", encoded)
            db.executemany("INSERT OR REPLACE INTO members (view, id, stamp) VALUES (?, ?, ?)",
                           [(view, c.id, stamp) for stamp, c in rows])

    def change(self, rows: Iterable[Conversation], memberships: Iterable[tuple[str, int, float | None]]) -> None:
        """One change set: these rows as they now are, and (view, id, stamp) in or (view, id, None) out."""
        encoded = encode_rows(rows)
        inside, outside = [], []
        for view, cid, stamp in memberships:
            (outside if stamp is None else inside).append((view, cid) if stamp is None else (view, cid, stamp))
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO rows (id, row) VALUES (?, ?)", encoded)
            db.executemany("INSERT OR REPLACE INTO members (view, id, stamp) VALUES (?, ?, ?)", inside)
            db.executemany("DELETE FROM members WHERE view = ? AND id = ?", outside)

    def forget(self, ids: Iterable[int]) -> None:
        """Conversations gone for the user (deleted): out of every view, their rows and threads too."""
        pairs = [(i,) for i in ids]
        with self._write() as db:
            db.executemany("DELETE FROM members WHERE id = ?", pairs)
            db.executemany("DELETE FROM rows WHERE id = ?", pairs)
            db.executemany("DELETE FROM threads WHERE id = ?", pairs)

    def views(self) -> list[str]:
        with self._lock:
            return [v for (v,) in self.db.execute("SELECT DISTINCT view FROM members")]

    def has_view(self, view: str) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM members WHERE view = ? LIMIT 1", (view,)).fetchone() is not None

    def rows(self, view: str, limit: int | None = None) -> list[Conversation]:
        """A view's rows in Canvas's order (newest first), the first ``limit`` of them if given."""
        return list(self.iter_rows(view, limit))

    def iter_rows(self, view: str, limit: int | None = None) -> Iterator[Conversation]:
        """The rows, read a page at a time: only one page's JSON texts are held at once. Read all
        together, 100,000 texts (45 MB) were freed after the decoding, but the allocator kept that
        memory as the process's, and a mailbox opened from the cache held a third more than one
        loaded from Canvas."""
        sql = "SELECT members.stamp, members.id, rows.row FROM members JOIN rows ON rows.id = members.id WHERE members.view = ? "
        order = " ORDER BY members.stamp DESC, members.id DESC LIMIT ?"
        shared = Shared()  # rows read together share their repeated values, as a listing's do
        after: tuple[float, int] | None = None
        left = limit
        while left is None or left > 0:
            size = READ_PAGE if left is None else min(READ_PAGE, left)
            with self._lock:
                if after is None:
                    page = self.db.execute(sql + order, (view, size)).fetchall()
                else:  # keyset paging: the next rows in the order, whatever was written in between
                    page = self.db.execute(sql + "AND (members.stamp, members.id) < (?, ?)" + order,
                                           (view, *after, size)).fetchall()
            if not page:
                return
            with collector_paused():
                decoded = [decode(text, shared) for _, _, text in page]
            yield from decoded
            if len(page) < size:
                return
            after = (page[-1][0], page[-1][1])
            if left is not None:
                left -= len(page)

    def ids(self, view: str) -> list[int]:
        with self._lock:
            return [i for (i,) in self.db.execute(
                "SELECT id FROM members WHERE view = ? ORDER BY stamp DESC, id DESC", (view,))]

    # -- threads ------------------------------------------------------------------------------
    def save_thread(self, conversation: Conversation) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO threads (id, thread) VALUES (?, ?)",
                       (conversation.id, encode(conversation, with_messages=True)))

    def thread(self, conversation_id: int) -> Conversation | None:
        with self._lock:
            found = self.db.execute("SELECT thread FROM threads WHERE id = ?", (conversation_id,)).fetchone()
        return decode(found[0]) if found else None


@contextmanager
def collector_paused():
    """Making 100,000 rows at once: the collector's passes over them (all alive, none garbage)
    would triple the time, so it waits until they are made."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Transaction:
    """``with cache._write() as db``: the lock held, one BEGIN ... COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, kind, error, trace) -> None:
        try:
            if kind is None:
                self.db.execute("COMMIT")
            else:
                rollback(self.db)
        finally:
            self.lock.release()
