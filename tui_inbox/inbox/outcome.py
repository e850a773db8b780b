"""What an action ended with: one line for the status bar."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    """What an action ended with, in one line for the status bar (and, for a sent message, the
    conversation it went into, for the key that opens it)."""

    ok: bool
    message: str
    conversation_id: int | None = None
    to: str | None = None  # who a reply went to, named, when it was not everyone in the conversation
