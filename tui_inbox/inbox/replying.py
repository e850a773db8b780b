"""Who an answer goes to, and how to name them: one copy of the rules the composer, the
session and the Outbox all state.

A plain reply (``r``) in a group conversation goes to the last person other than the
user who wrote in it (a line Canvas generated, "X was added", is nobody's message);
reply all (``R``) to everyone in it. Canvas's own ``add_message`` takes the recipients
the client names (conversations_controller.rb ``add_message``: ``recipients[]``).
"""

from __future__ import annotations

from ..canvas.models import Conversation, Participant


def newest_human_messages(conversation: Conversation):
    """The messages people wrote, newest first (a thread lists them newest first)."""
    return (m for m in conversation.messages or [] if not m.generated)


def reply_target(conversation: Conversation, me_id: int | None) -> Participant | None:
    """The one person a plain reply in a group conversation goes to; None: everyone in it
    (a private conversation, or nobody else has written)."""
    if conversation.private:
        return None
    author = next((m.author_id for m in newest_human_messages(conversation) if m.author_id != me_id), None)
    return next((p for p in conversation.participants if p.id == author), None) if author is not None else None


def last_message_is_mine(conversation: Conversation, me_id: int | None) -> bool:
    """Whether the newest message a person wrote in the thread is the user's own."""
    newest = next(newest_human_messages(conversation), None)
    return newest is not None and newest.author_id == me_id


def everyone_else(conversation: Conversation, me_id: int | None) -> list[Participant]:
    """Whom reply all (and a reply's first draft) goes to: everyone in the conversation but the user."""
    return [p for p in conversation.participants if p.id != me_id]


def is_last_message(conversation: Conversation, message_id: int) -> bool:
    """Whether no message a person wrote is left once this one is deleted: Canvas then removes the
    generated lines too, and the conversation is gone for the user."""
    return all(m.generated for m in conversation.messages or [] if m.id != message_id)


def already_in(conversation: Conversation, user_ids: list[str]) -> list[str]:
    """The ids (as the composer keeps them) of people who are in the conversation already."""
    present = {str(p.id) for p in conversation.participants}
    return [u for u in user_ids if u in present]


def name_people(labels: list[str], *, whole_up_to: int = 3) -> str:
    """Everyone named, or counted: "Jane Doe", "Jane Doe and Bob Ma", "A, B and C",
    "9 people: A, B and 7 more". Never two names standing for nine people."""
    labels = [label for label in labels if label]
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    if len(labels) <= whole_up_to:
        return ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"{len(labels)} people: {labels[0]}, {labels[1]} and {len(labels) - 2} more"
