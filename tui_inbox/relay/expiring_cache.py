"""What the router asked Canvas, remembered for a while: bounded in size and in age.

Two caches use it (routing.py): who is in a conversation (conversation id -> participant
user ids: every message names only its actor, so without it each event would cost a
Canvas request), and who may see a discussion topic (topic_audience.py). The router
drops an entry when Canvas says it changed (``conversation_forwarded``,
``discussion_topic_updated``); the age limit bounds how long anything else (a
participant removed by an admin) can go unnoticed, and the size limit bounds memory
whatever the school's traffic.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

MAX_ENTRIES = 50_000
MAX_AGE_SECONDS = 3600.0

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    def __init__(self, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_entries
        self._max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry[0] > self._max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)


# conversation id -> its participants' user ids
ParticipantCache = ExpiringCache[int, tuple[int, ...]]
