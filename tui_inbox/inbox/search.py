"""Searching a view: every word must appear in the participants, the subject or the text."""

from __future__ import annotations

from typing import Callable

from ..canvas.models import Conversation
from .text import one_line


def haystack(conversation: Conversation) -> str:
    people = " ".join(f"{p.name} {p.full_name}" for p in conversation.participants)
    parts = [conversation.subject, conversation.last_message or "", conversation.last_authored_message or "", people,
             conversation.context_name or ""]
    return one_line(" ".join(parts)).casefold()


def matcher_for(query: str, me: int = 0) -> Callable[[Conversation], bool]:
    words = [w.casefold() for w in query.split()]

    def matches(conversation: Conversation) -> bool:
        text = haystack(conversation)
        return all(w in text for w in words)

    return matches
