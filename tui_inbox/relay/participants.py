"""Who is in a conversation, remembered: conversation id -> participant user ids.

Every message of a conversation names only its actor, so without this each event
would cost a Canvas request. Participants change only when people are added (Canvas's
``conversation_forwarded``), and the router drops the entry then; the age limit bounds
how long anything else (a participant removed by an admin) can go unnoticed, and the
size limit bounds memory whatever the school's traffic.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

MAX_CONVERSATIONS = 50_000
MAX_AGE_SECONDS = 3600.0


class ParticipantCache:
    def __init__(self, max_entries: int = MAX_CONVERSATIONS, max_age: float = MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_entries
        self._max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[int, tuple[float, tuple[int, ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, conversation_id: int) -> tuple[int, ...] | None:
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        if self._clock() - entry[0] > self._max_age:
            del self._entries[conversation_id]
            return None
        self._entries.move_to_end(conversation_id)
        return entry[1]

    def put(self, conversation_id: int, participant_ids: tuple[int, ...] | list[int]) -> None:
        self._entries[conversation_id] = (self._clock(), tuple(participant_ids))
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, conversation_id: int) -> None:
        self._entries.pop(conversation_id, None)
