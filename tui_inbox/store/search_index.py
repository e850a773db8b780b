"""The full-text index of every message seen: subjects, people's names and bodies (FTS5).

It lives in the account's cache file (``store/paths.cache_path``) as the component
"search": rebuildable, like the rest of the cache. One row per message; indexing a
conversation again replaces its rows.

SQLite here is 3.40: its ``trigram`` tokenizer has no ``remove_diacritics`` (3.45), so the
text is folded here before it is indexed and before it is searched (NFKD, combining marks
dropped, casefolded): ``zoe`` finds Zoë, ``muller`` finds Müller. Trigrams need no word
breaks, so Chinese, Japanese and Arabic text is found by any three characters of it. A term
shorter than three characters (two CJK characters are a word) has no trigram to look up:
it is matched by ``instr`` over the folded text, inside what the longer terms found, or
alone over the newest rows first with a cap on the results, so memory stays bounded.

The original text is kept beside the folded one, for showing the match in context.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..canvas.models import Conversation
from .database import Notice, migrate, open_database

COMPONENT = "search"
MIGRATIONS = [
    """
    CREATE TABLE search_conversations (
        id INTEGER PRIMARY KEY,
        last_message_at TEXT,   -- as Canvas said it when indexed: a newer one means index again
        subject TEXT NOT NULL,
        mailbox TEXT NOT NULL
    );
    CREATE TABLE search_messages (
        id INTEGER PRIMARY KEY,          -- the fts row id
        conversation_id INTEGER NOT NULL REFERENCES search_conversations (id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL,
        created_at TEXT,
        author TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX search_messages_conversation ON search_messages (conversation_id);
    CREATE VIRTUAL TABLE search_fts USING fts5(
        subject, people, body, created_at UNINDEXED, conversation_id UNINDEXED, tokenize = 'trigram'
    );
    """,
]
SHORTEST_INDEXED = 3  # a trigram
CONTEXT = 30  # characters of context each side of the first match


def fold(text: str) -> str:
    return fold_with_map(text)[0]


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original one it came from."""
    out: list[str] = []
    where: list[int] = []
    for index, character in enumerate(text):
        for part in unicodedata.normalize("NFKD", character):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                where.append(index)
    return "".join(out), where


def terms_of(text: str) -> list[str]:
    """The folded words of a search; ``"quoted words"`` stay one term."""
    terms: list[str] = []
    for i, part in enumerate(text.split('"')):
        if i % 2:
            if part.strip():
                terms.append(fold(" ".join(part.split())))
        else:
            terms.extend(fold(word) for word in part.split())
    return [t for t in terms if t]


@dataclass(frozen=True)
class Hit:
    conversation_id: int
    message_id: int
    subject: str
    author: str
    created_at: datetime | None
    mailbox: str
    snippet: list[tuple[str, bool]]  # pieces of one line: (text, is it a match)


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int  # messages matching (hits holds at most the limit asked)


def snippet(text: str, terms: list[str], width: int = CONTEXT) -> list[tuple[str, bool]]:
    """One line around the first match of any term, every match in it marked."""
    line = one_line(text)
    folded, where = fold_with_map(line)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            spans.append((where[start], where[start + len(term) - 1] + 1))
            start = folded.find(term, start + len(term))
    if not spans:
        return [(line[: 2 * width], False)]
    spans.sort()
    first = spans[0][0]
    lo, hi = max(0, first - width), min(len(line), first + width + 2 * max(len(t) for t in terms))
    pieces: list[tuple[str, bool]] = [("…", False)] if lo else []
    at = lo
    for start, end in spans:
        if start < at or start >= hi:
            continue
        pieces.append((line[at:start], False))
        pieces.append((line[start:min(end, hi)], True))
        at = min(end, hi)
    pieces.append((line[at:hi], False))
    if hi < len(line):
        pieces.append(("…", False))
    return [(text_, match) for text_, match in pieces if text_]


def one_line(text: str | None) -> str:
    """Whitespace runs folded into one space (the UI removes control characters as it shows it)."""
    return " ".join((text or "").split())


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _locked(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return run


class SearchIndex:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        # The app searches in a thread while the indexer writes on the event loop: one
        # connection, one user at a time (a search must not run inside a half-written put).
        self.lock = threading.RLock()

    @classmethod
    def open(cls, path: Path, notice: Notice | None = None) -> "SearchIndex":
        return cls(open_database(path, setup, rebuildable=True, notice=notice))

    def close(self) -> None:
        self.db.close()

    # -- writing -------------------------------------------------------------------------
    def put(self, conversation: Conversation, mailbox: str = "Inbox") -> None:
        """Index a whole conversation (its messages as shown), replacing what it had."""
        if conversation.workflow_state == "archived":
            mailbox = "Archived"
        names = {p.id: p.name or p.full_name for p in conversation.participants}
        people = fold(" ".join(f"{p.name} {p.full_name}" for p in conversation.participants))
        subject = one_line(conversation.subject)
        rows = []
        for message in conversation.messages or []:
            body = "\n".join([message.body] + [m.body for m in message.forwarded_messages])
            rows.append((message.id, _stamp(message.created_at), names.get(message.author_id, ""), body))
        with self.lock:
            self._put(conversation, mailbox, subject, people, rows)

    def _put(self, conversation: Conversation, mailbox: str, subject: str, people: str, rows: list) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._drop(conversation.id)
            self.db.execute("INSERT INTO search_conversations (id, last_message_at, subject, mailbox) VALUES (?, ?, ?, ?)",
                            (conversation.id, _stamp(conversation.last_message_at), subject, mailbox))
            for message_id, created, author, body in rows:
                cursor = self.db.execute(
                    "INSERT INTO search_messages (conversation_id, message_id, created_at, author, body) "
                    "VALUES (?, ?, ?, ?, ?)", (conversation.id, message_id, created, author, body))
                self.db.execute("INSERT INTO search_fts (rowid, subject, people, body, created_at, conversation_id) "
                                "VALUES (?, ?, ?, ?, ?, ?)",
                                (cursor.lastrowid, fold(subject), people, fold(body), created, conversation.id))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def forget(self, conversation_ids: Iterable[int]) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            for conversation_id in conversation_ids:
                self._drop(conversation_id)
            self.db.execute("COMMIT")

    def _drop(self, conversation_id: int) -> None:
        self.db.execute("DELETE FROM search_fts WHERE rowid IN "
                        "(SELECT id FROM search_messages WHERE conversation_id = ?)", (conversation_id,))
        self.db.execute("DELETE FROM search_messages WHERE conversation_id = ?", (conversation_id,))
        self.db.execute("DELETE FROM search_conversations WHERE id = ?", (conversation_id,))

    # -- reading -------------------------------------------------------------------------
    @_locked
    def indexed(self) -> dict[int, datetime | None]:
        """Every indexed conversation with the last_message_at it was indexed at."""
        return {cid: _when(at) for cid, at in self.db.execute("SELECT id, last_message_at FROM search_conversations")}

    @_locked
    def is_current(self, conversation_id: int, last_message_at: datetime | None) -> bool:
        row = self.db.execute("SELECT last_message_at FROM search_conversations WHERE id = ?",
                              (conversation_id,)).fetchone()
        return row is not None and row[0] == _stamp(last_message_at)

    @_locked
    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM search_conversations").fetchone()[0]

    def _where(self, terms: list[str]) -> tuple[str, list]:
        """The FTS condition for the long terms and ``instr`` for the short ones (no trigram)."""
        long = [t for t in terms if len(t) >= SHORTEST_INDEXED]
        short = [t for t in terms if len(t) < SHORTEST_INDEXED]
        clauses, params = [], []
        if long:
            clauses.append("search_fts MATCH ?")
            params.append(" AND ".join(_quoted(t) for t in long))
        for term in short:
            clauses.append("(instr(body, ?) OR instr(subject, ?) OR instr(people, ?))")
            params += [term, term, term]
        return " AND ".join(clauses), params

    @_locked
    def conversations_matching(self, text: str) -> set[int]:
        """Ids of the conversations one of whose messages (or subject, or people) holds every word."""
        terms = terms_of(text)
        if not terms:
            return set()
        where, params = self._where(terms)
        return {row[0] for row in self.db.execute(f"SELECT DISTINCT conversation_id FROM search_fts WHERE {where}",
                                                  params)}

    @_locked
    def body_matching(self, word: str) -> set[int]:
        """Ids of the conversations one of whose message bodies holds ``word`` (folded)."""
        term = fold(word)
        if not term:
            return set()
        if len(term) >= SHORTEST_INDEXED:
            sql, params = "SELECT DISTINCT conversation_id FROM search_fts WHERE search_fts MATCH ?", [
                "body : " + _quoted(term)]
        else:
            sql, params = "SELECT DISTINCT conversation_id FROM search_fts WHERE instr(body, ?)", [term]
        return {row[0] for row in self.db.execute(sql, params)}

    def search(self, text: str, limit: int = 200) -> Found:
        """Messages holding every word of ``text``, newest first, each with its words in context."""
        with self.lock:
            return self._search(text, limit)

    def _search(self, text: str, limit: int) -> Found:
        terms = terms_of(text)
        if not terms:
            return Found([], 0)
        where, params = self._where(terms)
        total = self.db.execute(f"SELECT count(*) FROM search_fts WHERE {where}", params).fetchone()[0]
        if not total:
            return Found([], 0)
        rows = self.db.execute(
            f"SELECT m.conversation_id, m.message_id, c.subject, m.author, m.created_at, c.mailbox, m.body "
            f"FROM (SELECT rowid AS id, created_at FROM search_fts WHERE {where} "
            f"      ORDER BY created_at DESC LIMIT ?) AS f "
            f"JOIN search_messages AS m ON m.id = f.id JOIN search_conversations AS c ON c.id = m.conversation_id "
            f"ORDER BY f.created_at DESC", params + [limit]).fetchall()
        hits = []
        for cid, mid, subject, author, created, mailbox, body in rows:
            shown = body if any(t in fold(body) for t in terms) else f"{subject} · {author}"
            hits.append(Hit(cid, mid, subject, author, _when(created), mailbox, snippet(shown, terms)))
        return Found(hits, total)


def setup(db: sqlite3.Connection) -> None:
    migrate(db, COMPONENT, MIGRATIONS)
