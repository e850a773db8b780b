"""The JSON the verbs print: one stable shape per thing, documented in the README ("Scripting").

Ids are numbers, times ISO-8601 in UTC with a ``Z``, text as Canvas gave it (a script decides
how to show it). Every object carries its ``account`` (the config's name for it), so the output
of several accounts stays unambiguous: conversation 12 at one school is not 12 at another.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..canvas.models import Conversation, Message
from ..inbox.formatting import display_name
from .printing import iso, print_json  # noqa: F401  (the verbs print with these)


def person(participant) -> dict:
    return {"id": participant.id, "name": display_name(participant.name, participant.full_name)}


def row_json(account: str, row: Conversation, course: str | None) -> dict:
    """A conversation as a listing shows it (no messages)."""
    return {
        "account": account,
        "id": row.id,
        "subject": row.subject,
        "workflow_state": row.workflow_state,
        "starred": row.starred,
        "subscribed": row.subscribed,
        "last_message": row.last_message,
        "last_message_at": iso(row.last_message_at or row.last_authored_message_at),
        "message_count": row.message_count,
        "has_attachments": row.has_attachments,
        "course": course,
        "context_code": row.context_code,
        "participants": [person(p) for p in row.participants],
    }


def message_json(thread: Conversation, message: Message) -> dict:
    author = thread.participant(message.author_id)
    return {
        "id": message.id,
        "created_at": iso(message.created_at),
        "author": {"id": message.author_id,
                   "name": display_name(author.name, author.full_name) if author else None},
        "body": message.body,
        "generated": message.generated,
        "attachments": [{"name": a.display_name, "content_type": a.content_type, "size": a.size}
                        for a in message.attachments],
        "forwarded_messages": [message_json(thread, m) for m in message.forwarded_messages],
    }


def thread_json(account: str, thread: Conversation, course: str | None) -> dict:
    """A whole conversation: the row's facts and its messages, oldest first."""
    messages = sorted(thread.messages or [], key=lambda m: (m.created_at or _EPOCH, m.id))
    return {**row_json(account, thread, course), "messages": [message_json(thread, m) for m in messages]}


def hit_json(account: str, hit) -> dict:
    """A search hit (store/search_index.py ``Hit``), as ``search --json`` and the MCP tool give it."""
    return {"account": account, "conversation_id": hit.conversation_id, "message_id": hit.message_id,
            "subject": hit.subject, "author": hit.author, "created_at": iso(hit.created_at),
            "mailbox": hit.mailbox, "snippet": "".join(text for text, _ in hit.snippet)}


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


