"""Search everywhere, seen from the app: what was found and how much of the mailbox the index covers.

The UI asks ``find`` in a worker (the query runs in a thread: SQLite would hold the event
loop) and shows the hits and the coverage line; ``unindexed`` counts the rows a ``body:``
pattern cannot judge yet; ``count_line`` says how many rows a pattern matches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Iterable

from ..canvas.models import Conversation
from ..store.search_index import Found, SearchIndex
from .indexer import IndexProgress
from .query import searches_bodies
from .view import ConversationView


@dataclass(frozen=True)
class Results:
    found: Found
    coverage: str  # "in 812 of 1,000 indexed conversations"

    def line(self) -> str:
        total = self.found.total
        plus = "+" if self.found.more else ""
        shown = f" (the newest {len(self.found.hits):,} shown)" if len(self.found.hits) < total else ""
        line = f"{total:,}{plus} found{shown} {self.coverage}"
        if self.found.scanned:
            line += f"; words under 3 characters: the newest {self.found.scanned:,} messages (add a longer word for all)"
        return line


def coverage(index: SearchIndex, progress: IndexProgress | None) -> str:
    if progress is None or progress.total == 0:
        return f"in {index.count():,} indexed conversations"
    if progress.finished:
        return f"in all {progress.total:,} indexed conversations"
    return f"in {progress.done:,} of {progress.total:,} indexed conversations"


async def find(index: SearchIndex, text: str, progress: IndexProgress | None, limit: int = 100) -> Results:
    found = await asyncio.to_thread(index.search, text, limit)
    return Results(found, coverage(index, progress))


def count_line(matching: int, views: list[tuple[ConversationView, SearchIndex | None]], pattern: str) -> str:
    """What the pattern's prompt says of it: "6 of 137 match" over the views shown (one per account,
    each with its search index), and how many rows a ``body:`` term cannot judge yet. Worked out
    again whenever the views change, so it never outlives the rows."""
    line = f"{matching:,} of {sum(view.total for view, _ in views):,} match"
    if searches_bodies(pattern):
        missing = sum(unindexed(view.all(), index) for view, index in views if index is not None)
        if missing:
            line += f" ({missing:,} not indexed yet)"
    return line


def unindexed(rows: Iterable[Conversation], index: SearchIndex) -> int:
    """Rows of a view whose messages the index does not hold yet (a ``body:`` term cannot match them)."""
    have = index.indexed()
    return sum(1 for row in rows if row.id not in have)
