"""The sandbox's notion of now: the real time, or a fixed instant for reproducible runs."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """``fixed`` pins the start; time still moves forward from it, so ordering by time works."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._start = fixed
        self._mono0 = time.monotonic()
        self._skipped = 0.0

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(timezone.utc) + timedelta(seconds=self._skipped)
        return self._start + timedelta(seconds=self.monotonic() - self._mono0)

    def monotonic(self) -> float:
        """Seconds on a steady clock (the throttle's): the real one, plus what ``skip`` added."""
        return time.monotonic() + self._skipped

    def skip(self, seconds: float) -> None:
        """Let ``seconds`` pass at once: a test's client waits for the throttle's bucket to leak
        without sitting through the wait."""
        self._skipped += seconds

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
