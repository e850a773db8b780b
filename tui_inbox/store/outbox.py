"""The Outbox on disk: actions and messages waiting for Canvas, in the user's own data file.

It lives in ``drafts.sqlite3`` beside the drafts (component "outbox"), because it is the
user's data, never rebuildable from Canvas: a message written on a train is only here. One
file also lets a draft move into the Outbox (and back) in one transaction, so the text is
always in exactly one of the two. Items are kept in the order they were made (an
autoincrement position) and carried out in that order. Each item's state moves
``waiting`` -> ``sending`` -> ``done`` / ``failed`` / ``conflict``; ``sending`` is written
before the request leaves, so an item found in it after a crash is known to be uncertain.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from .database import rollback

MIGRATIONS = (
    """
    CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        targets TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX outbox_by_account ON outbox (account, state, position);
    """,
)

ACTION_KINDS = ("archive", "unarchive", "star", "unstar", "read", "unread", "delete")
MESSAGE = "message"
STATES = ("waiting", "sending", "done", "failed", "conflict")
OPEN_STATES = ("waiting", "sending")  # what the Outbox mailbox lists: not yet carried out


@dataclass
class Item:
    position: int
    kind: str  # one of ACTION_KINDS, or "message" (payload: the whole draft)
    targets: list[int]
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    due_at: float = 0.0
    state: str = "waiting"
    outcome: str = ""

    @property
    def is_message(self) -> bool:
        return self.kind == MESSAGE


class OutboxStore:
    """One account's Outbox, on a connection opened by ``DraftStore`` (the same file)."""

    def __init__(self, db: sqlite3.Connection, account: str) -> None:
        self._db = db
        self.account = account

    def add(self, kind: str, targets: list[int], payload: dict[str, Any] | None = None, *,
            due_at: float | None = None, take_draft: str | None = None) -> Item:
        """Queue an item; ``take_draft`` names a draft key to delete in the same transaction
        (the message moves from Drafts to the Outbox: never in both, never in neither)."""
        if kind not in ACTION_KINDS and kind != MESSAGE:
            raise ValueError(f"unknown outbox kind {kind!r}")
        now = time.time()
        due = now if due_at is None else due_at
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self._db.execute(
                "INSERT INTO outbox (account, kind, targets, payload, created_at, due_at, state) "
                "VALUES (?, ?, ?, ?, ?, ?, 'waiting')",
                (self.account, kind, json.dumps(targets), json.dumps(payload or {}, ensure_ascii=False), now, due))
            if take_draft is not None:
                self._db.execute("DELETE FROM drafts WHERE account = ? AND key = ?", (self.account, take_draft))
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise
        return Item(cursor.lastrowid, kind, list(targets), dict(payload or {}), now, due)

    def items(self, states: tuple[str, ...] = OPEN_STATES) -> list[Item]:
        marks = ", ".join("?" for _ in states)
        rows = self._db.execute(
            f"SELECT position, kind, targets, payload, created_at, due_at, state, outcome FROM outbox "
            f"WHERE account = ? AND state IN ({marks}) ORDER BY position", (self.account, *states))
        return [_item(row) for row in rows]

    def get(self, position: int) -> Item | None:
        row = self._db.execute(
            "SELECT position, kind, targets, payload, created_at, due_at, state, outcome FROM outbox "
            "WHERE account = ? AND position = ?", (self.account, position)).fetchone()
        return _item(row) if row else None

    def mark(self, position: int, state: str, outcome: str = "") -> None:
        if state not in STATES:
            raise ValueError(f"unknown outbox state {state!r}")
        self._db.execute("UPDATE outbox SET state = ?, outcome = ? WHERE account = ? AND position = ?",
                         (state, outcome, self.account, position))

    def due_now(self, position: int) -> None:
        """Make a waiting item due at once (quitting during the undo delay sends what is waiting)."""
        self._db.execute("UPDATE outbox SET due_at = ? WHERE account = ? AND position = ? AND due_at > ?",
                         (time.time(), self.account, position, time.time()))

    def take(self, position: int, *, to_draft: str | None = None) -> Item | None:
        """Take a waiting item out of the Outbox (undo, Enter, d); with ``to_draft`` its draft goes
        back to the drafts under that key in the same transaction. None if it already left."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            item = self.get(position)
            if item is None or item.state != "waiting":
                self._db.execute("ROLLBACK")
                return None
            self._db.execute("DELETE FROM outbox WHERE account = ? AND position = ?", (self.account, position))
            if to_draft is not None:
                self._save_draft(to_draft, item.payload)
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise
        return item

    def settle(self, position: int, state: str, outcome: str, *, to_draft: str | None = None) -> bool:
        """Record how an item ended; a message that was not delivered goes back to the drafts under
        ``to_draft`` in the same transaction, unless a draft is already kept under that key (then
        its text stays here, in a failed item, rather than overwrite the newer one). Returns
        whether the draft went back."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            back = False
            if to_draft is not None:
                taken = self._db.execute("SELECT 1 FROM drafts WHERE account = ? AND key = ?",
                                         (self.account, to_draft)).fetchone()
                if taken is None:
                    item = self.get(position)
                    if item is not None:
                        self._save_draft(to_draft, item.payload)
                        back = True
            self._db.execute("UPDATE outbox SET state = ?, outcome = ? WHERE account = ? AND position = ?",
                             (state, outcome, self.account, position))
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise
        return back

    def _save_draft(self, key: str, content: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO drafts (account, key, content, saved_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, key) DO UPDATE SET content = excluded.content, saved_at = excluded.saved_at",
            (self.account, key, json.dumps(content, ensure_ascii=False), time.time()))


def _item(row) -> Item:
    position, kind, targets, payload, created_at, due_at, state, outcome = row
    try:
        ids = [int(i) for i in json.loads(targets)]
    except (ValueError, TypeError):
        ids = []
    try:
        data = json.loads(payload)
    except ValueError:
        data = {}
    return Item(position, kind, ids, data if isinstance(data, dict) else {}, created_at, due_at, state, outcome)
