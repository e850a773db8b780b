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
ROWIDS_PER_SECOND = 2**20  # row ids are the message's second * this + its id modulo this
# Words of one or two characters (two CJK characters are a word) have no trigram: they are
# found by reading the text, and only the newest SHORT_SCAN messages, so a search stays quick
# and its memory small in any mailbox (a longer word beside them uses the index again).
SHORT_SCAN = 20_000
COUNT_CAP = 1000  # "1,000+ found": counting every match of a common word would cost more than the search
CONTEXT = 30  # characters of context each side of the first match
# Messages written per transaction of a long conversation (``put``): about 60 ms under the lock.
PUT_STEP = 500


class _FoldTable(dict):
    """Code point -> its folded text, filled as characters are met, for ``str.translate`` (which
    then folds in C): a mailbox uses few distinct characters."""

    def __missing__(self, code: int) -> str:
        folded = "".join(part for part in unicodedata.normalize("NFKD", chr(code))
                         if not unicodedata.combining(part)).casefold()
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def _fold_character(character: str) -> str:
    return _FOLD[ord(character)]


def fold(text: str) -> str:
    """NFKD, combining marks dropped, casefolded: ``Zoë Müller`` is ``zoe muller``."""
    if text.isascii():
        return text.lower()  # casefold of ASCII is lower
    return text.translate(_FOLD)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original one it came from."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for index, character in enumerate(text):
        folded = _fold_character(character)
        out.append(folded)
        where.extend([index] * len(folded))
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
    total: int  # messages matching, counted up to COUNT_CAP (hits holds at most the limit asked)
    more: bool = False  # more than COUNT_CAP match
    scanned: int | None = None  # only words under three characters: only this many newest messages were scanned


def snippet(text: str, terms: list[str], width: int = CONTEXT) -> list[tuple[str, bool]] | None:
    """One line around the first match of any term, every match in it marked; None if none is in it."""
    line = one_line(text)
    folded = fold(line)
    firsts = [at for at in (folded.find(term) for term in terms) if at >= 0]
    if not firsts:
        return None
    # Folding keeps nearly every character one for one (a dropped accent was its own code
    # point), so the match is near the same place in the original: map only a window of it.
    longest = max(len(t) for t in terms)
    lo = max(0, min(firsts) - width - 8)
    hi = min(len(line), min(firsts) + width + 2 * longest + 8)
    pieces = _marked(line, lo, hi, terms)
    if pieces is None:
        pieces = _marked(line, 0, len(line), terms)  # folding moved things further: the whole line
    return pieces


def _marked(line: str, lo: int, hi: int, terms: list[str]) -> list[tuple[str, bool]] | None:
    window = line[lo:hi]
    folded, where = fold_with_map(window)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            spans.append((where[start], where[start + len(term) - 1] + 1))
            start = folded.find(term, start + len(term))
    if not spans:
        return None
    spans.sort()
    first = spans[0][0]
    lo2, hi2 = max(0, first - CONTEXT), min(len(window), first + CONTEXT + 2 * max(len(t) for t in terms))
    pieces: list[tuple[str, bool]] = [("…", False)] if lo + lo2 > 0 else []
    at = lo2
    for start, end in spans:
        if start < at or start >= hi2:
            continue
        pieces.append((window[at:start], False))
        pieces.append((window[start:min(end, hi2)], True))
        at = min(end, hi2)
    pieces.append((window[at:hi2], False))
    if lo + hi2 < len(line):
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
        with self.lock:  # not under a search running in its thread
            self.db.close()

    # -- writing -------------------------------------------------------------------------
    def put(self, conversation: Conversation, mailbox: str = "Inbox") -> None:
        """Index a whole conversation (its messages as shown), replacing what it had.

        A long one goes in steps of ``PUT_STEP`` messages, each its own transaction: a search
        waits for the lock (a ``body:`` pattern on the event loop), so it waits for one step,
        never for the whole thread (20,000 messages take 2.5 s). Its row says it is current
        only once the last step is in, so a write cut short is done again by the next run."""
        messages = conversation.messages or []
        if len(messages) <= PUT_STEP:
            self.put_many([(conversation, mailbox)])
            return
        for start in range(0, len(messages), PUT_STEP):
            with self.lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    if start == 0:
                        self._put_row(conversation, mailbox, current=False)
                    self._put_messages(conversation, messages[start:start + PUT_STEP])
                    if start + PUT_STEP >= len(messages):
                        self.db.execute("UPDATE search_conversations SET last_message_at = ? WHERE id = ?",
                                        (_stamp(conversation.last_message_at), conversation.id))
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise

    def put_many(self, conversations: Iterable[tuple[Conversation, str]]) -> None:
        """Index many conversations in one transaction (one commit, not one per conversation)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for conversation, mailbox in conversations:
                    self._put_row(conversation, mailbox)
                    self._put_messages(conversation, conversation.messages or [])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _put_row(self, conversation: Conversation, mailbox: str, current: bool = True) -> None:
        """The conversation's row, in place of what it had; ``current=False``: not yet as it is now."""
        if conversation.workflow_state == "archived":
            mailbox = "Archived"
        self._drop(conversation.id)
        self.db.execute("INSERT INTO search_conversations (id, last_message_at, subject, mailbox) VALUES (?, ?, ?, ?)",
                        (conversation.id, _stamp(conversation.last_message_at) if current else None,
                         one_line(conversation.subject), mailbox))

    def _put_messages(self, conversation: Conversation, messages: list) -> None:
        names = {p.id: p.name or p.full_name for p in conversation.participants}
        people = fold(" ".join(f"{p.name} {p.full_name}" for p in conversation.participants))
        folded_subject = fold(one_line(conversation.subject))
        for message in messages:
            body = "\n".join([message.body] + [m.body for m in message.forwarded_messages])
            created = _stamp(message.created_at)
            rowid = self._free_rowid(message.created_at, message.id)
            self.db.execute("INSERT INTO search_messages (id, conversation_id, message_id, created_at, author, body) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (rowid, conversation.id, message.id, created, names.get(message.author_id, ""), body))
            self.db.execute("INSERT INTO search_fts (rowid, subject, people, body, created_at, conversation_id) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (rowid, folded_subject, people, fold(body), created, conversation.id))

    def _free_rowid(self, created: datetime | None, message_id: int) -> int:
        """A row id that sorts by the message's time: FTS5 then hands out the newest matches first
        (``ORDER BY rowid DESC``) and stops at the limit, without sorting every match."""
        seconds = int(created.timestamp()) if created else 0
        rowid = max(0, seconds) * ROWIDS_PER_SECOND + message_id % ROWIDS_PER_SECOND
        while self.db.execute("SELECT 1 FROM search_messages WHERE id = ?", (rowid,)).fetchone():
            rowid += 1  # two messages of one second with the same id modulo 2**20: next to it
        return rowid

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
        """The FTS condition for the long terms, and ``instr`` for the short ones (no trigram)
        over what the long ones found."""
        long = [t for t in terms if len(t) >= SHORTEST_INDEXED]
        short = [t for t in terms if len(t) < SHORTEST_INDEXED]
        clauses, params = ["search_fts MATCH ?"], [" AND ".join(_quoted(t) for t in long)]
        for term in short:
            clauses.append("(instr(body, ?) OR instr(subject, ?) OR instr(people, ?))")
            params += [term, term, term]
        return " AND ".join(clauses), params

    def _scan(self, terms: list[str], column: str = "") -> tuple[str, list]:
        """Only short terms: read the folded text itself (FTS5 keeps it in its ``_content`` table:
        c0 subject, c1 people, c2 body, c4 the conversation), the newest SHORT_SCAN messages."""
        clauses, params = ["id >= ?"], [self._scan_floor() or 0]
        for term in terms:
            clauses.append(f"instr({column}, ?)" if column else "(instr(c2, ?) OR instr(c0, ?) OR instr(c1, ?))")
            params += [term] if column else [term, term, term]
        return " AND ".join(clauses), params

    def _scan_floor(self) -> int | None:
        """The row id of the SHORT_SCAN-th newest message, or None when there are fewer."""
        row = self.db.execute("SELECT id FROM search_messages ORDER BY id DESC LIMIT 1 OFFSET ?",
                              (SHORT_SCAN - 1,)).fetchone()
        return row[0] if row else None

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
            where, params = self._scan([term], "c2")
            sql = f"SELECT DISTINCT c4 FROM search_fts_content WHERE {where}"
        return {row[0] for row in self.db.execute(sql, params)}

    def search(self, text: str, limit: int = 100) -> Found:
        """Messages holding every word of ``text``, newest first, each with its words in context."""
        with self.lock:
            return self._search(text, limit)

    def _search(self, text: str, limit: int) -> Found:
        terms = terms_of(text)
        if not terms:
            return Found([], 0)
        if all(len(t) < SHORTEST_INDEXED for t in terms):
            where, params = self._scan(terms)
            found = [row[0] for row in self.db.execute(
                f"SELECT id FROM search_fts_content WHERE {where} ORDER BY id DESC LIMIT ?", params + [COUNT_CAP + 1])]
            total, ids, scanned = len(found), found[:limit], SHORT_SCAN
        else:
            # One pass, newest first: the first ``limit`` are shown, the rest up to the cap counted.
            where, params = self._where(terms)
            found = [row[0] for row in self.db.execute(
                f"SELECT rowid FROM search_fts WHERE {where} ORDER BY rowid DESC LIMIT ?", params + [COUNT_CAP + 1])]
            total, ids, scanned = len(found), found[:limit], None
        rows = {row[0]: row[1:] for row in self.db.execute(
            f"SELECT m.id, m.conversation_id, m.message_id, c.subject, m.author, m.created_at, c.mailbox, m.body "
            f"FROM search_messages AS m JOIN search_conversations AS c ON c.id = m.conversation_id "
            f"WHERE m.id IN ({','.join('?' * len(ids))})", ids)}
        hits = []
        named: set[int] = set()  # conversations already listed for a word of their subject or people
        for rowid in ids:
            cid, mid, subject, author, created, mailbox, body = rows[rowid]
            pieces = snippet(body, terms)
            if not pieces:
                # The words are in the subject or the people, which every message of the thread
                # shares: the newest message stands for the conversation, once, not one line each.
                if cid in named:
                    total -= 1
                    continue
                named.add(cid)
                pieces = snippet(f"{subject} · {author}", terms) or [(one_line(body)[:60], False)]
            hits.append(Hit(cid, mid, subject, author, _when(created), mailbox, pieces))
        return Found(hits, min(total, COUNT_CAP), total > COUNT_CAP, scanned)


def setup(db: sqlite3.Connection) -> None:
    migrate(db, COMPONENT, MIGRATIONS)
