"""Bringing a cached view back in step with Canvas in as few requests as Canvas allows.

Canvas gives a scope's exact ids, in its order, in one request (``include_all_conversation_ids``);
the same for ``scope=unread`` and ``scope=starred`` gives the read and star state of every
conversation. From those three answers alone the view knows which rows are gone (drop them),
which are new, and which moved up or turned unread (they got a new message: their preview,
count and date are stale). Only those are fetched, by the pages of 100 that hold them: fifty new messages
sit at the top of the mailbox, on the first page, so they cost one request. Everything else keeps
its cached row with its state set from the id lists.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

from ..canvas import CanvasClient
from ..canvas.models import Conversation

PAGE = 100  # Canvas's largest page


@dataclass
class Reconciled:
    rows: list[Conversation]  # the view as Canvas has it now, in its order
    requests: int
    fetched: set[int] = field(default_factory=set)  # new or moved: their rows came fresh from Canvas
    gone: set[int] = field(default_factory=set)
    restated: set[int] = field(default_factory=set)  # changed otherwise (read, starred): cached row restated

    @property
    def changed(self) -> int:
        return len(self.fetched | self.gone | self.restated)


def moved_up(old_order: Sequence[int], new_order: Sequence[int]) -> set[int]:
    """The cached rows that got a new message since the cache was written.

    Rows nobody wrote in keep their relative order and lie below those that got a message
    (Canvas orders by the last message). So, read from the bottom of the new order up, the
    cached rows come in decreasing old positions until the first one that got a message:
    that row and every cached row above it are stale. (A row with a message at the very
    top, already first, is found by its unread state instead: see ``reconcile``.)
    """
    old_position = {cid: i for i, cid in enumerate(old_order)}
    both = [cid for cid in new_order if cid in old_position]
    below = len(old_order)
    for index in range(len(both) - 1, -1, -1):
        position = old_position[both[index]]
        if position > below:
            return set(both[: index + 1])
        below = position
    return set()


def restate(row: Conversation, unread: bool, starred: bool) -> Conversation:
    """A cached row with the read and star state Canvas gave in the id lists (archived stays archived
    unless it is unread: a new message brings it back to the inbox as unread)."""
    state = "unread" if unread else ("read" if row.workflow_state == "unread" else row.workflow_state)
    if state == row.workflow_state and starred == row.starred:
        return row
    return dataclasses.replace(row, workflow_state=state, starred=starred)


async def reconcile(client: CanvasClient, scope: str, filters: list[str] | None,
                    cached: Sequence[Conversation]) -> Reconciled:
    ids, unread, starred = await asyncio.gather(
        client.conversation_ids(scope, filters), client.conversation_ids("unread", filters),
        client.conversation_ids("starred", filters))
    requests = 3
    unread_ids, starred_ids = set(unread), set(starred)
    by_id = {row.id: row for row in cached}
    # New here, moved up, or unread now and read in the cache (a new message marks it unread,
    # even one at the top that had nowhere to move): their rows are fetched.
    wanted = ({cid for cid in ids if cid not in by_id} | moved_up([row.id for row in cached], ids)
              | {cid for cid in ids if cid in unread_ids and cid in by_id and not by_id[cid].unread})
    fresh: dict[int, Conversation] = {}
    if wanted:
        position = {cid: i for i, cid in enumerate(ids)}
        pages = sorted({position[cid] // PAGE + 1 for cid in wanted})
        answers = await asyncio.gather(*(client.get_conversations_page(scope, filters, page=p, per_page=PAGE)
                                         for p in pages))
        requests += len(pages)
        for page in answers:
            for row in page:
                fresh[row.id] = row
        # Canvas's order moved between the id list and the pages (a message arrived meanwhile):
        # the few rows that slipped off their page are asked for one by one.
        missing = [cid for cid in wanted if cid not in fresh]
        if missing:
            singles = await asyncio.gather(*(client.get_conversation(cid, auto_mark_as_read=False, scope=scope)
                                             for cid in missing))
            requests += len(missing)
            for row in singles:
                fresh[row.id] = dataclasses.replace(row, messages=None)
    rows, restated = [], set()
    for cid in ids:
        row = fresh.get(cid)
        if row is not None and cid not in wanted and row != by_id.get(cid):
            restated.add(cid)  # on a fetched page and changed (read elsewhere, say): taken as Canvas gave it
        if row is None:
            old = by_id.get(cid)
            if old is None:
                continue
            row = restate(old, cid in unread_ids, cid in starred_ids)
            if row is not old:
                restated.add(cid)
        rows.append(row)
    gone = set(by_id) - set(ids)
    return Reconciled(rows, requests, set(wanted), gone, restated)
