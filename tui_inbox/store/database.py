"""Opening the store's SQLite files: private, versioned, and set aside when broken.

Two kinds of database live in the user's data folder, one per account:

- a **cache** (``cache.sqlite3``): what Canvas said, always rebuildable from Canvas. When it
  cannot be read (corrupt, not a database, from a newer version we cannot migrate) it is
  renamed aside and a new one is made, with one line saying so;
- the **user's own data** (drafts, outbox): never thrown away. A broken one is also renamed
  aside (kept, for the user to recover) and a new one started, with a line naming the file.
  It is small, so it is checked whole (``quick_check``) and, before SQLite opens it, for the
  damage SQLite would pass over in silence (store/damage.py: a truncated file, a damaged log).

Each component of the store owns its tables and migrates them itself with ``migrate``:
its version is kept in the ``schema_versions`` table, so the cache, the search index and
the outbox can each change their tables without a global schema number. Every file is
0600 in a 0700 folder from the moment it exists (store/drafts.py explains why that covers
SQLite's ``-wal`` and ``-shm`` files too).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Callable, Sequence

from .damage import damage
from .drafts import COMPANIONS, private_file, private_folder, tighten

Notice = Callable[[str], None]


class StoreError(Exception):
    """A database that cannot be used even after setting it aside (a folder we cannot write)."""


class NewerSchema(sqlite3.DatabaseError):
    """The file was written by a newer version of tui-inbox: it cannot be read safely."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a private database file (created 0600 in a 0700 folder), in WAL mode."""
    private_folder(path.parent)
    private_file(path)
    for suffix in COMPANIONS:
        tighten(path.with_name(path.name + suffix), 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it safe on a crash; FULL costs an fsync per commit
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    return db


def rollback(db: sqlite3.Connection) -> None:
    """End a failed transaction. SQLite has already rolled back after some errors (a full disk:
    "database or disk is full"); a second ROLLBACK then raises "cannot rollback", which would
    hide the error that says what is wrong."""
    if db.in_transaction:
        db.execute("ROLLBACK")


def unreadable(error: sqlite3.DatabaseError) -> bool:
    """Whether ``error`` says the file itself is bad (to set aside), rather than that it cannot be
    written now (a full or read-only disk, a lock): a good file is never renamed for those."""
    name = getattr(error, "sqlite_errorname", None)
    return name is None or name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def migrate(db: sqlite3.Connection, component: str, migrations: Sequence[str]) -> None:
    """Bring ``component``'s tables to ``len(migrations)``: each step is SQL run once, in order,
    each in its own transaction. A version above what this code knows raises ``NewerSchema``."""
    row = db.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
    version = row[0] if row else 0
    if version > len(migrations):
        raise NewerSchema(f"{component} tables are version {version}; this tui-inbox knows {len(migrations)}")
    for number in range(version, len(migrations)):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(migrations[number]):
                db.execute(statement)
            db.execute("INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                       "ON CONFLICT (component) DO UPDATE SET version = excluded.version", (component, number + 1))
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit the open transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def set_aside(path: Path) -> Path:
    """Rename a broken database (and its companions) out of the way; return the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    path.rename(aside)
    for suffix in COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    return aside


def open_database(path: Path, setup: Callable[[sqlite3.Connection], None], *, rebuildable: bool,
                  notice: Notice | None = None) -> sqlite3.Connection:
    """Open ``path`` and run ``setup`` (its components' ``migrate`` calls) on it.

    A file that SQLite cannot read, or whose tables are from a newer version, is set aside
    and a new one is made; ``notice`` hears one line saying so (the cache "will be rebuilt
    from Canvas"; the user's data "was kept as ..."). Anything else (a folder we may not
    write) raises ``StoreError`` with one line.
    """
    for attempt in (1, 2):
        db = None
        try:
            problem = None if rebuildable else damage(path)
            if problem:
                raise sqlite3.DatabaseError(problem)
            db = connect(path)
            # Reading the schema fails at once on a file that is not a database or whose header or
            # schema is damaged; a full ``quick_check`` would read every page (0.5 s for a
            # 100,000-row cache) before the first frame, the moment the cache exists to shorten.
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if not rebuildable:  # the user's own data is small: read it all, and know now
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
                if verdict != "ok":  # its first finding, one line ("*** in database main ***" heads the list)
                    found = [line for line in verdict.splitlines() if line.strip() and not line.startswith("***")]
                    raise sqlite3.DatabaseError(f"damaged: {(found or [verdict])[0].strip()}")
            setup(db)
            return db
        except sqlite3.DatabaseError as error:
            if db is not None:
                db.close()
            if not unreadable(error):  # full, read-only, locked: the file is fine, the folder is not
                raise StoreError(f"{path}: {error}") from None
            if attempt == 2:
                raise StoreError(f"{path}: {error}") from None
            try:
                aside = set_aside(path)
            except OSError as rename_error:
                raise StoreError(f"{path} cannot be read ({error}) nor set aside ({rename_error.strerror})") from None
            if notice is not None:
                if rebuildable:
                    notice(f"The local cache could not be read ({error}); it is rebuilt from Canvas.")
                else:
                    notice(f"{path.name} could not be read ({error}); it was kept as {aside} and a new one started.")
        except OSError as error:
            if db is not None:
                db.close()
            raise StoreError(f"{path}: {error.strerror or error}") from None
    raise AssertionError("unreachable")


def open_read_only(path: Path, component: str, version: int) -> sqlite3.Connection:
    """A file another process (the open app) keeps, for reading only: nothing is created, migrated
    or written, so a script never changes the app's files. Raises StoreError when there is no
    file, or its ``component`` tables are not at ``version`` (the app brings them there)."""
    # A reader of a WAL database makes its -shm (and -wal) files when the app has not: private ones,
    # like every file of the store.
    mask = os.umask(0o077)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                             check_same_thread=False)
        found = db.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
    except sqlite3.Error as error:
        raise StoreError(f"nothing to read at {path} ({error})") from None
    finally:
        os.umask(mask)
    if found is None or found[0] != version:
        db.close()
        raise StoreError(f"{path} is of another version; open the app once to bring it up to date")
    return db
