"""The sandbox's notion of now: the real time, or a fixed instant for reproducible runs."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """``fixed`` pins the start; time still moves forward from it, so ordering by time works."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._start = fixed
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(timezone.utc)
        return self._start + timedelta(seconds=time.monotonic() - self._mono0)

    @property
    def start(self) -> datetime:
        return self._start or datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    """Canvas writes timestamps as ISO-8601 UTC with a ``Z``."""
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
