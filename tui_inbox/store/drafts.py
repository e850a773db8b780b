"""Drafts, saved as the user types and restored after a crash or a restart.

One SQLite file in the user's data folder. Each draft is keyed by the account (the
Canvas origin and user id, so two accounts never see each other's drafts) and by what
it answers: ``new``, ``reply:<conversation id>``, ``forward:<conversation id>``... Each
save is one committed transaction, so a crash loses at most the keystrokes since the
last save.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    content TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (account, key)
)
"""


class DraftStore:
    def __init__(self, path: Path, account: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.account = account
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)
        try:
            path.chmod(0o600)  # drafts are private messages
        except OSError:
            pass

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

    def keys(self) -> list[str]:
        rows = self._db.execute("SELECT key FROM drafts WHERE account = ? ORDER BY saved_at DESC", (self.account,))
        return [r[0] for r in rows]

    def close(self) -> None:
        self._db.close()
