"""What a reply answers, and the message quoted into its body on request (``ctrl+o``)."""

from __future__ import annotations

from ..canvas.models import Conversation, Message
from .formatting import full_date
from .text import clean
from .thread import ThreadItem, thread_items


def answered(conversation: Conversation, me: int) -> ThreadItem | None:
    """The message a reply answers: the newest one someone else wrote, else the newest one."""
    items = [item for item in thread_items(conversation, "newest") if not item.forwarded and not item.generated]
    return next((item for item in items if item.message.author_id != me), items[0] if items else None)


def quote(item: ThreadItem) -> str:
    """The message as a quote to answer below: "On <date>, <author> wrote:" and its lines after "> "."""
    message: Message = item.message
    lines = clean(message.body).rstrip().splitlines() or ["(no text)"]
    when = full_date(message.created_at)
    intro = f"On {when}, {item.author} wrote:" if when else f"{item.author} wrote:"
    return "\n".join([intro, *(f"> {line}" if line else ">" for line in lines)]) + "\n\n"
