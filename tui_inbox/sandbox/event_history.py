"""The sandbox's recent events, so a client that reconnects can resume (live-stream.md, "Resuming").

Canvas itself has no such stream (its Live Events go account-wide to SQS or HTTPS, canvas-api.md
section 8), so the contract is the project's own; its resume follows Server-Sent Events (WHATWG
HTML, "Server-sent events": the client sends the last ``id`` it saw as ``Last-Event-ID``) and
Mercure (a hub replays its history after that id, and says when it cannot). The relay keeps the
same history in JetStream; this is the sandbox's, in memory.

An id is ``<run>-<sequence>``: the sequence counts every published event (whoever its audience),
so the history knows it holds *every* event after an id when that id is its oldest event's
predecessor or later. The run (random per sandbox) makes an id from an earlier sandbox on the
same port unknown here instead of wrongly "known". Events older than the window, or beyond the
count bound, are forgotten; an id before what is kept, from another run, from the future, or not
an id at all means the client must resynchronise.

Each event keeps the audience it was published to, and a replay gives a user only the events
whose audience held them: the same rule as live delivery, decided once, at publish time.
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

_ID = re.compile(r"\A([0-9a-f]{8})-([0-9]{1,18})\Z")


@dataclass(frozen=True, slots=True)
class Recorded:
    sequence: int
    at: float  # on the sandbox's steady clock
    event: dict
    audience: frozenset[int]


class EventHistory:
    def __init__(self, clock: Callable[[], float], window_seconds: float = 900.0, limit: int = 10_000) -> None:
        self._clock = clock
        self.window = window_seconds
        self._kept: deque[Recorded] = deque(maxlen=max(1, limit))
        self._run = secrets.token_hex(4)
        self._last = 0  # the sequence of the newest event published (0: none yet)

    def id_of(self, sequence: int) -> str:
        return f"{self._run}-{sequence}"

    def add(self, event: dict, audience: frozenset[int]) -> str:
        """Keep a published event; returns its id."""
        self._last += 1
        self._kept.append(Recorded(self._last, self._clock(), event, audience))
        self._forget_old()
        return self.id_of(self._last)

    def since(self, last_id: str, user_id: int) -> list[tuple[str, dict]] | None:
        """Every kept event after ``last_id`` that ``user_id`` may see, oldest first; None when the
        history cannot say (the client must resynchronise)."""
        self._forget_old()
        match = _ID.match(last_id)
        if match is None or match.group(1) != self._run:
            return None
        after = int(match.group(2))
        oldest = self._kept[0].sequence if self._kept else self._last + 1
        if after > self._last or after < oldest - 1:  # from the future, or events after it are forgotten
            return None
        return [(self.id_of(r.sequence), r.event) for r in self._kept if r.sequence > after and user_id in r.audience]

    def _forget_old(self) -> None:
        cutoff = self._clock() - self.window
        while self._kept and self._kept[0].at < cutoff:
            self._kept.popleft()
