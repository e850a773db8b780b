"""The rows of one mailbox (and course filter), narrowed by a search, in Canvas's order.

Canvas orders a scope by ``last_message_at`` (``sent`` by the user's last authored
message), newest first, ties by id. Rows that change (an action, a live event) are moved
to where that order puts them, so the list stays what a reload would give.

A view holds the rows and nothing per row beside them but an id-to-place index: a row's
place in the order is worked out from the row when needed (a search of the sorted rows
asks for about 17 of them), not kept as a key per row, which would cost more than a
shared-field row itself.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timezone
from typing import Callable, Iterable

from ..canvas.models import Conversation
from .mailboxes import Mailbox

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
Matcher = Callable[[Conversation], bool]


def sort_key(mailbox: Mailbox, conversation: Conversation) -> tuple:
    """Descending Canvas order as an ascending key (so ``insort`` can place a row)."""
    when = conversation.last_authored_message_at if mailbox.id == "sent" else conversation.last_message_at
    stamp = (when or EPOCH).timestamp()
    return (-stamp, -conversation.id)


class ConversationView:
    def __init__(self, mailbox: Mailbox, filter_code: str | None = None) -> None:
        self.mailbox = mailbox
        self.filter_code = filter_code
        self.loaded = False
        self._all: list[Conversation] = []
        self.query = ""
        self._matcher: Matcher | None = None
        self.rows: list[Conversation] = []
        self._positions: dict[int, int] = {}

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.mailbox.id, self.filter_code)

    @property
    def total(self) -> int:
        return len(self._all)

    def _key(self, conversation: Conversation) -> tuple:
        return sort_key(self.mailbox, conversation)

    def replace(self, conversations: Iterable[Conversation]) -> None:
        self._all = sorted(conversations, key=self._key)
        self.loaded = True
        self._refilter()

    def narrow(self, query: str, matcher: Matcher | None) -> None:
        self.query = query
        self._matcher = matcher
        self._refilter()

    def _refilter(self) -> None:
        self.rows = [c for c in self._all if self._matcher(c)] if self._matcher else list(self._all)
        self._positions = {c.id: i for i, c in enumerate(self.rows)}

    def all(self) -> list[Conversation]:
        return list(self._all)

    def count(self, matcher: Matcher) -> int:
        """How many of the view's rows a pattern matches, narrowed or not (what ``T`` would select)."""
        return sum(1 for c in self._all if matcher(c))

    def find(self, conversation_id: int) -> Conversation | None:
        index = self._positions.get(conversation_id)
        if index is not None:
            return self.rows[index]
        return next((c for c in self._all if c.id == conversation_id), None)

    def position(self, conversation_id: int) -> int | None:
        return self._positions.get(conversation_id)

    def admits(self, conversation: Conversation) -> bool:
        """Whether a conversation in this state is part of this view (its mailbox and course filter)."""
        if conversation.message_count == 0:
            return False
        if self.mailbox.id == "sent":
            in_mailbox = conversation.last_authored_message_at is not None
        else:
            in_mailbox = conversation.last_message_at is not None and self.mailbox.contains(
                conversation.workflow_state, conversation.starred)
        if not in_mailbox:
            return False
        code = self.filter_code
        if not code or conversation.context_code == code:
            return True
        kind, _, number = code.partition("_")
        contexts = conversation.audience_contexts.get("courses" if kind == "course" else "groups") or {}
        return number in {str(k) for k in contexts}

    def place(self, rows: Iterable[Conversation], keep: frozenset[int] | set[int] = frozenset()) -> set[int]:
        """Bring these rows up to date here in one pass: each is in, at the place Canvas's order
        gives it, when the view admits it (or its id is in ``keep``), and out when not. Returns
        the ids that entered or moved (new to where they now stand)."""
        incoming = {r.id: r for r in rows}
        if not incoming:
            return set()
        wanted = {cid: r for cid, r in incoming.items() if cid in keep or self.admits(r)}
        kept, placed = [], set()
        for row in self._all:
            if row.id in incoming:
                fresh = wanted.get(row.id)
                if fresh is None or self._key(fresh) != self._key(row):
                    continue  # out, or moving: inserted below at its new place
                row = fresh
                placed.add(row.id)
            kept.append(row)
        entering = [r for cid, r in wanted.items() if cid not in placed]
        if len(entering) > 64:  # many at once (an undo of thousands): one merge, not an insert each
            kept.extend(entering)
            kept.sort(key=self._key)
        else:
            for row in entering:
                kept.insert(bisect_left(kept, self._key(row), key=self._key), row)
        self._all = kept
        self._refilter()
        return {row.id for row in entering}

    def find_many(self, ids: set[int]) -> Iterable[Conversation]:
        """The loaded rows with these ids (without copying the view)."""
        return (row for row in self._all if row.id in ids)

    def remove(self, conversation_ids: Iterable[int]) -> None:
        drop = set(conversation_ids)
        if not drop:
            return
        self._all = [c for c in self._all if c.id not in drop]
        self._refilter()
