"""The cache's tables, and its account facts read on their own (the unread count, when it was in step).

Apart from cache.py, which decodes rows into the Canvas models: ``tui-inbox unread`` reads one
number for a status bar, and importing the models (with the HTTP client behind them) was most
of its time.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from .database import open_read_only

COMPONENT = "cache"
MIGRATIONS = [
    """
    CREATE TABLE account (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE rows (id INTEGER PRIMARY KEY, row TEXT NOT NULL);
    CREATE TABLE members (view TEXT NOT NULL, id INTEGER NOT NULL, stamp REAL NOT NULL, PRIMARY KEY (view, id));
    CREATE INDEX members_order ON members (view, stamp DESC, id DESC);
    CREATE TABLE threads (id INTEGER PRIMARY KEY, thread TEXT NOT NULL);
    """,
]


def facts_of(db: sqlite3.Connection) -> dict:
    """The ``account`` table: me, courses, groups, ``unread_count``, ``synced_at``, as JSON values."""
    return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM account")}


def synced_at(facts: dict) -> datetime | None:
    value = facts.get("synced_at")
    return datetime.fromisoformat(value) if value else None


def read_facts(path: Path) -> dict:
    """The facts of the cache at ``path``, read-only (StoreError when there is none to read)."""
    db = open_read_only(path, COMPONENT, len(MIGRATIONS))
    try:
        return facts_of(db)
    finally:
        db.close()
