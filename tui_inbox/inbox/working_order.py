"""Where ``n`` goes after a reply: on through the list in the order the user was working in.

Replying moves a conversation to the top of its mailbox (Canvas orders by the last
message, the user's own included), so "the next one" counted from its new place walks
back over the ones already answered. When an answer is started, the conversations that
came after it are remembered; ``n`` from that conversation goes to the first of them
still in the view.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterable

REMEMBERED = 20  # answers remembered at once: a working session's worth
AHEAD = 50  # conversations remembered after each: enough to skip over those answered since


class WorkingOrder:
    def __init__(self) -> None:
        self._after: OrderedDict[int, tuple[int, ...]] = OrderedDict()

    def answering(self, conversation_id: int, row_ids: list[int]) -> None:
        """An answer to ``conversation_id`` is started while the list shows ``row_ids`` in this order."""
        try:
            place = row_ids.index(conversation_id)
        except ValueError:
            return
        self._after[conversation_id] = tuple(row_ids[place + 1: place + 1 + AHEAD])
        self._after.move_to_end(conversation_id)
        while len(self._after) > REMEMBERED:
            self._after.popitem(last=False)

    def next_after(self, conversation_id: int | None, in_view: Iterable[int]) -> int | None:
        """The conversation ``n`` goes to from an answered one (None: count from its place as usual)."""
        if conversation_id is None or conversation_id not in self._after:
            return None
        shown = set(in_view)
        ahead = self._after.pop(conversation_id)
        return next((cid for cid in ahead if cid in shown and cid != conversation_id), None)
