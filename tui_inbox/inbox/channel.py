"""The change channel: every listener hears each change (changes.py), in the order it happened.

The parts of the core are given this as their change sink; the UI (and the local cache) listen.
"""

from __future__ import annotations

import logging
from typing import Callable, Generic, TypeVar

from ..canvas.errors import AuthError
from .changes import Change, Failed
from .outcome import Outcome

Listener = Callable[[Change], None]  # hears each change as it happens
log = logging.getLogger("tui_inbox.inbox")
T = TypeVar("T")


class Listeners(Generic[T]):
    """Everyone who hears a kind of change, each in turn, in the order they came."""

    def __init__(self, who: str) -> None:
        self._listeners: list[Callable[[T], None]] = []
        self._who = who  # named in the log when one of them fails

    def on_change(self, listener: Callable[[T], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, change: T) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken listener (the UI) must not turn a done action into a failure
                log.exception("%s listener failed on %s", self._who, type(change).__name__)


class Channel(Listeners[Change]):
    def __init__(self) -> None:
        super().__init__("an inbox")
        # The last failure, said or not (benchmarks read it): a refresh after a sent message that
        # failed is kept here without a line, the message went all the same.
        self.last_error: str | None = None

    def fail(self, error: Exception) -> Outcome:
        """Say what went wrong, in one line; the outcome of an action that ends here."""
        self.last_error = str(error)
        self.emit(Failed(self.last_error, signed_out=isinstance(error, AuthError)))
        return Outcome(False, self.last_error)

    def note(self, error: Exception) -> None:
        """Keep a failure that needs no line (what failed after the action itself went)."""
        self.last_error = str(error)
