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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..canvas.models import Conversation
from .database import Notice, migrate, open_database, open_read_only, rollback

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
    subject_marks: list[tuple[str, bool]] = field(default_factory=list)  # the subject, its matches marked


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int  # hits there are, of the first COUNT_CAP messages matching (hits holds at most the limit asked)
    more: bool = False  # more than COUNT_CAP messages match: there may be more hits
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


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where each (folded) term is found in ``text``, as spans of the text itself, in order."""
    folded, where = fold_with_map(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            spans.append((where[start], where[start + len(term) - 1] + 1))
            start = folded.find(term, start + len(term))
    return sorted(spans)


def _marked(line: str, lo: int, hi: int, terms: list[str]) -> list[tuple[str, bool]] | None:
    window = line[lo:hi]
    spans = _spans(window, terms)
    if not spans:
        return None
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


def mailbox_of(conversation: Conversation) -> str:
    """Where Canvas lists a conversation for this user (CC ``infer_scope``): archived ones under
    Archived; one no one has answered yet (no ``last_message_at``: not visible) only under Sent;
    every other one in the Inbox (Sent lists it too, the Inbox first)."""
    if conversation.workflow_state == "archived":
        return "Archived"
    return "Inbox" if conversation.last_message_at is not None else "Sent"


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

    @classmethod
    def read_only(cls, path: Path) -> "SearchIndex":
        """The index as the app keeps it, for a script's searches: nothing is written (StoreError
        when there is none this version can read)."""
        return cls(open_read_only(path, COMPONENT, len(MIGRATIONS)))

    def close(self) -> None:
        with self.lock:  # not under a search running in its thread
            self.db.close()

    # -- writing -------------------------------------------------------------------------
    def put(self, conversation: Conversation) -> None:
        """Index a whole conversation (its messages as shown), replacing what it had.

        A long one goes in steps of ``PUT_STEP`` messages, each its own transaction: a search
        waits for the lock (a ``body:`` pattern on the event loop), so it waits for one step,
        never for the whole thread (20,000 messages take 2.5 s). Its row says it is current
        only once the last step is in, so a write cut short is done again by the next run."""
        messages = conversation.messages or []
        if len(messages) <= PUT_STEP:
            self.put_many([conversation])
            return
        for start in range(0, len(messages), PUT_STEP):
            with self.lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    if start == 0:
                        self._put_row(conversation, current=False)
                    self._put_messages(conversation, messages[start:start + PUT_STEP])
                    if start + PUT_STEP >= len(messages):
                        self.db.execute("UPDATE search_conversations SET last_message_at = ? WHERE id = ?",
                                        (_stamp(conversation.last_message_at), conversation.id))
                    self.db.execute("COMMIT")
                except BaseException:
                    rollback(self.db)
                    raise

    def put_many(self, conversations: Iterable[Conversation]) -> None:
        """Index many conversations in one transaction (one commit, not one per conversation)."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for conversation in conversations:
                    self._put_row(conversation)
                    self._put_messages(conversation, conversation.messages or [])
                self.db.execute("COMMIT")
            except BaseException:
                rollback(self.db)
                raise

    def restate(self, conversations: Iterable[Conversation]) -> None:
        """The mailbox of each indexed conversation as these rows now say (archived here or on
        another device, moved back to the Inbox): a hit names where the conversation is now."""
        changes = [(mailbox_of(c), c.id) for c in conversations]
        if not changes:
            return
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("UPDATE search_conversations SET mailbox = ? WHERE id = ? AND mailbox != ?",
                                    [(mailbox, cid, mailbox) for mailbox, cid in changes])
                self.db.execute("COMMIT")
            except BaseException:
                rollback(self.db)
                raise

    def _put_row(self, conversation: Conversation, current: bool = True) -> None:
        """The conversation's row, in place of what it had; ``current=False``: not yet as it is now."""
        self._drop(conversation.id)
        self.db.execute("INSERT INTO search_conversations (id, last_message_at, subject, mailbox) VALUES (?, ?, ?, ?)",
                        (conversation.id, _stamp(conversation.last_message_at) if current else None,
                         one_line(conversation.subject), mailbox_of(conversation)))

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
            try:
                for conversation_id in conversation_ids:
                    self._drop(conversation_id)
                self.db.execute("COMMIT")
            except BaseException:
                rollback(self.db)
                raise

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
            scanned = SHORT_SCAN
        else:
            # One pass, newest first, up to the cap: what is shown is chosen from these.
            where, params = self._where(terms)
            found = [row[0] for row in self.db.execute(
                f"SELECT rowid FROM search_fts WHERE {where} ORDER BY rowid DESC LIMIT ?", params + [COUNT_CAP + 1])]
            scanned = None
        chosen = self._shown_messages(found[:COUNT_CAP], terms)
        ids = chosen[:limit]
        rows = {row[0]: row[1:] for row in self.db.execute(
            f"SELECT m.id, m.conversation_id, m.message_id, c.subject, m.author, m.created_at, c.mailbox, m.body "
            f"FROM search_messages AS m JOIN search_conversations AS c ON c.id = m.conversation_id "
            f"WHERE m.id IN ({','.join('?' * len(ids))})", ids)}
        hits = []
        for rowid in ids:
            cid, mid, subject, author, created, mailbox, body = rows[rowid]
            pieces = snippet(body, terms) or opening(body)
            hits.append(Hit(cid, mid, subject, author, _when(created), mailbox, pieces, marked(subject, terms)))
        return Found(hits, len(chosen), len(found) > COUNT_CAP, scanned)

    def _shown_messages(self, found: list[int], terms: list[str]) -> list[int]:
        """The messages to show for what was found, newest first. Each message whose own words hold
        a term is one. A conversation found only for its subject or its people (which every one of
        its messages shares) is one, by the message that matched: the newest written by someone a
        term names, else the one that opened the conversation and gave it its subject."""
        if not found:
            return []
        # FTS5 keeps the folded text in its content table: c2 the body, c4 the conversation.
        said = " OR ".join("instr(c2, ?)" for _ in terms)
        facts = self.db.execute(
            f"SELECT id, c4, ({said}) > 0 FROM search_fts_content WHERE id IN ({','.join('?' * len(found))})",
            [*terms, *found]).fetchall()
        chosen: list[int] = []
        saying: set[int] = set()  # conversations with a message of their own words
        shared: dict[int, list[int]] = {}  # the others: the row ids found of each
        for rowid, cid, own_words in facts:
            if own_words:
                chosen.append(rowid)
                saying.add(cid)
            else:
                shared.setdefault(cid, []).append(rowid)
        named = [cid for cid in shared if cid not in saying]
        if not named:
            chosen.sort(reverse=True)
            return chosen
        marks = ",".join("?" * len(named))
        openers = dict(self.db.execute(f"SELECT conversation_id, min(id) FROM search_messages "
                                       f"WHERE conversation_id IN ({marks}) GROUP BY conversation_id", named))
        rows = [rowid for cid in named for rowid in shared[cid]]
        authors = dict(self.db.execute(f"SELECT id, author FROM search_messages WHERE id IN "
                                       f"({','.join('?' * len(rows))})", rows))
        for cid in named:
            by_name = [rowid for rowid in shared[cid] if any(t in fold(authors.get(rowid, "")) for t in terms)]
            chosen.append(max(by_name) if by_name else openers.get(cid, max(shared[cid])))
        chosen.sort(reverse=True)  # row ids follow the messages' times
        return chosen


def marked(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """A short line whole (a subject), every match of a term marked: why a conversation found by
    its subject was found, when the words shown below it are the message's own."""
    line = one_line(text)
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in _spans(line, terms):
        if start >= at:
            pieces += [(line[at:start], False), (line[start:end], True)]
            at = end
    pieces.append((line[at:], False))
    return [(piece, match) for piece, match in pieces if piece]


def opening(body: str, width: int = 2 * CONTEXT) -> list[tuple[str, bool]]:
    """The first words of a message found for its conversation's subject or people, not its words."""
    line = one_line(body)
    return [(line[:width] + ("…" if len(line) > width else ""), False)] if line else []


def setup(db: sqlite3.Connection) -> None:
    migrate(db, COMPONENT, MIGRATIONS)
