"""Drafts, saved as the user types and restored after a crash or a restart.

One SQLite file in the user's data folder. Each draft is keyed by the account (the
Canvas origin and user id, so two accounts never see each other's drafts) and by what
it answers: ``new``, ``reply:<conversation id>``, ``forward:<conversation id>``... Each
save is one committed transaction, so a crash loses at most the keystrokes since the
last save.

Drafts are private messages, and SQLite writes their text into three files (the
database, its write-ahead log ``-wal`` and the log's index ``-shm``). The folder is 0700
and every file 0600 from the moment it exists, whatever the umask: the database file is
made 0600 before SQLite opens it, and SQLite gives the log and index files the
database's permissions when it creates them. Files an older version left readable are
tightened on open.

Every save sits in the log until a checkpoint folds it into the database file; ``fold``, on
quitting, does so and empties the log, so after a clean quit the drafts are in one file and
damage to a leftover log cannot take them (store/damage.py finds that damage after a crash).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any, Callable

# The "drafts" component's migrations (store/database.py). The first is IF NOT EXISTS: a file
# made before schema versions existed already has the table, with the user's drafts in it.
MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS drafts (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    content TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (account, key)
)
""",)


# The files SQLite keeps beside the database; each holds draft text at some moment.
COMPANIONS = ("-wal", "-shm", "-journal")


def private_folder(folder: Path) -> None:
    """Make ``folder`` and its missing parents, each 0700 (``mkdir(parents=True)`` would make the
    parents with the umask's mode: ``accounts/`` readable by all), and leave ``folder`` 0700 if it is ours."""
    missing = []
    step = folder
    while not step.exists() and step != step.parent:
        missing.append(step)
        step = step.parent
    for step in reversed(missing):
        step.mkdir(mode=0o700, exist_ok=True)
        tighten(step, 0o700)
    tighten(folder, 0o700)


def tighten(path: Path, wanted: int) -> None:
    """Set ``path`` to mode ``wanted`` if it is ours; a folder or file of another user is left alone."""
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != wanted:
            path.chmod(wanted)
    except OSError:
        pass  # missing, or a file system without permissions (FAT): nothing to tighten


def private_file(path: Path) -> None:
    """Create ``path`` as 0600 if it is missing (never readable by others, even for a moment)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # the umask can only take bits away from 0600
    try:
        info = os.fstat(fd)
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o600:
            try:
                os.fchmod(fd, 0o600)  # an old file was 0644; a umask such as 0o277 left it unwritable
            except OSError:
                pass  # a file system without permissions (FAT)
    finally:
        os.close(fd)


class DraftStore:
    """The user's data file: drafts, and the Outbox beside them (store/outbox.py) on one connection."""

    def __init__(self, path: Path, account: str, notice: Callable[[str], None] | None = None) -> None:
        from .database import migrate, open_database  # database.py imports this module's helpers
        from .outbox import MIGRATIONS as OUTBOX_MIGRATIONS, OutboxStore

        def setup(db: sqlite3.Connection) -> None:
            migrate(db, "drafts", MIGRATIONS)
            migrate(db, "outbox", OUTBOX_MIGRATIONS)

        self.path = path
        self.account = account
        # What opening had to say (a broken file set aside), for the status bar when no one listens.
        self.notices: list[str] = []
        # Never rebuildable: a broken file is kept aside under another name and a new one started.
        self._db = open_database(path, setup, rebuildable=False, notice=notice or self.notices.append)
        self._closed = False
        self.outbox = OutboxStore(self._db, account)

    def save(self, key: str, content: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO drafts (account, key, content, saved_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, key) DO UPDATE SET content = excluded.content, saved_at = excluded.saved_at",
            (self.account, key, json.dumps(content, ensure_ascii=False), time.time()),
        )

    def load(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT content FROM drafts WHERE account = ? AND key = ?", (self.account, key)).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def delete(self, key: str) -> None:
        self._db.execute("DELETE FROM drafts WHERE account = ? AND key = ?", (self.account, key))

    def entries(self) -> list[tuple[str, dict[str, Any], float]]:
        """Every draft of the account, newest first: (key, content, saved at); unreadable content is {}."""
        rows = self._db.execute("SELECT key, content, saved_at FROM drafts WHERE account = ? ORDER BY saved_at DESC",
                                (self.account,)).fetchall()
        found = []
        for key, content, saved_at in rows:
            try:
                value = json.loads(content)
            except ValueError:
                value = {}
            found.append((key, value if isinstance(value, dict) else {}, saved_at))
        return found

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM drafts WHERE account = ?", (self.account,)).fetchone()[0]

    def keys(self) -> list[str]:
        rows = self._db.execute("SELECT key FROM drafts WHERE account = ? ORDER BY saved_at DESC", (self.account,))
        return [r[0] for r in rows]

    def fold(self) -> None:
        """Fold the log into the database file and empty it (quitting). Raises sqlite3.Error."""
        if not self._closed:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.fold()
        except sqlite3.Error:
            pass  # a full disk: the log stays, and the next start reads it
        self._db.close()
        self._closed = True
