"""Search everywhere over several accounts: each account's own index asked at once (each in a
thread, searching.py's ``find``), their hits merged newest first, each with its account.

A hit's conversation id means something only at its own Canvas, so every hit carries its account
and is opened there. With one account the results, and the line that says them, are exactly
that account's.
"""

from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass
from datetime import datetime

from ..store.search_index import Hit, SearchIndex
from .indexer import IndexProgress
from .searching import Results, find

Tagged = tuple[str, Hit]  # a hit with the account whose index found it


@dataclass(frozen=True)
class Source:
    """One account's index, and the progress of its indexer now (None: no indexer running)."""

    account: str
    index: SearchIndex
    progress: IndexProgress | None = None


@dataclass(frozen=True)
class Everywhere:
    hits: list[Tagged]  # newest first across the accounts
    parts: list[tuple[str, Results]]  # each account's results, in the accounts' order

    def line(self) -> str:
        """How many were found, and in how much of each account's mail ("… at state and … at river")."""
        if len(self.parts) == 1:
            return self.parts[0][1].line()
        found = [results.found for _, results in self.parts]
        total = sum(f.total for f in found)
        plus = "+" if any(f.more for f in found) else ""
        shown = f" (the newest {len(self.hits):,} shown)" if len(self.hits) < total else ""
        where = " and ".join(f"{results.coverage} at {account}" for account, results in self.parts)
        line = f"{total:,}{plus} found{shown} {where}"
        scanned = max((f.scanned for f in found if f.scanned), default=None)
        if scanned:
            line += (f"; words under 3 characters: the newest {scanned:,} messages of each account "
                     "(add a longer word for all)")
        return line


def _newest_first(tagged: Tagged) -> float:
    when: datetime | None = tagged[1].created_at
    return -when.timestamp() if when is not None else float("inf")  # an undated hit goes last


async def find_everywhere(sources: list[Source], text: str, limit: int = 100) -> Everywhere:
    """Every account's hits for ``text`` (each index asked at once), newest first, at most ``limit``.
    Each account's own order is kept (its index ranks its hits); the accounts' are interleaved by date."""
    parts = await asyncio.gather(*(find(source.index, text, source.progress, limit) for source in sources))
    merged = heapq.merge(*([(source.account, hit) for hit in results.found.hits]
                           for source, results in zip(sources, parts)), key=_newest_first)
    hits = [tagged for _, tagged in zip(range(limit), merged)]
    return Everywhere(hits, [(source.account, results) for source, results in zip(sources, parts)])
