"""A conversation's messages laid out as a thread: order, nesting of forwards, who wrote what."""

from __future__ import annotations

from dataclasses import dataclass

from ..canvas.models import Conversation, Message
from .formatting import display_name


@dataclass(slots=True)
class ThreadItem:
    message: Message
    depth: int  # 0 for the conversation's own messages, +1 per level of forwarding
    author: str
    generated: bool
    pronouns: str | None = None  # the author's, shown beside the name (not in a quote's "X wrote:")

    @property
    def forwarded(self) -> bool:
        return self.depth > 0


def author_names(conversation: Conversation) -> dict[int, str]:
    return {p.id: display_name(p.name, p.full_name) for p in conversation.participants}


def thread_items(conversation: Conversation, order: str = "oldest") -> list[ThreadItem]:
    """Messages oldest first (or newest first), each followed by what it forwards, indented."""
    names = author_names(conversation)
    pronouns = {p.id: p.pronouns for p in conversation.participants}
    messages = list(conversation.messages or [])  # Canvas sends newest first
    if order == "oldest":
        messages.reverse()
    items: list[ThreadItem] = []

    def add(message: Message, depth: int) -> None:
        author = names.get(message.author_id or -1) or (f"user {message.author_id}" if message.author_id else "someone")
        items.append(ThreadItem(message, depth, author, message.generated, pronouns.get(message.author_id or -1)))
        for inner in message.forwarded_messages:
            add(inner, depth + 1)

    for message in messages:
        add(message, 0)
    return items
