"""Where the stream can resume from, and which events were already handled (live-stream.md, "Resuming").

As a Server-Sent Events client keeps its "last event ID buffer" (WHATWG HTML, "Server-sent
events"): the id of the last event received is sent back as ``Last-Event-ID`` when reconnecting,
and the server replays what came after it. A replay may repeat events the client already had
(the relay sends a newcomer a conversation's recent events; a server may start its replay a
little early), so the ids handled recently are remembered, a bounded number of them, and a
repeat is dropped.

Ids are opaque strings from a server we may not control: one that is not a short, printable,
header-safe string is never remembered nor sent (a newline in it would be a forged header, a
megabyte would be a megabyte per handshake); its event is still handled, once, as if it had none.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

MAX_ID_LENGTH = 256
_USABLE = re.compile(r"\A[\x21-\x7e]{1,%d}\Z" % MAX_ID_LENGTH)  # visible ASCII: safe in an HTTP header


def usable_id(value: Any) -> str | None:
    """The id, if it may be remembered and sent back; None otherwise."""
    return value if isinstance(value, str) and _USABLE.match(value) else None


class ResumePoint:
    def __init__(self, remembered: int = 4096) -> None:
        self.last_id: str | None = None  # sent as Last-Event-ID on the next connect
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered

    def __len__(self) -> int:
        return len(self._recent)

    def first_time(self, event_id: str) -> bool:
        """Record an event's id as received; False when it was handled already (drop it)."""
        if event_id in self._recent:
            return False
        self._recent[event_id] = None
        if len(self._recent) > self._remembered:
            self._recent.popitem(last=False)  # the oldest: a replay that old would be a resync
        self.last_id = event_id
        return True
