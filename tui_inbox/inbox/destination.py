"""Where a new message goes, said before it is sent and after.

Canvas puts a message to someone you already have a private conversation with into that
old conversation and ignores the subject (canvas-api.md section 3): without "group
conversation", each person gets the private conversation the sender already has with them,
when there is one (the composer's default, "a separate conversation with each person"); "a
new separate conversation with each person" (a bulk message, or ``force_new``) always makes new ones. So
before sending, the composer says which loaded private conversations the message will join,
and after sending, the outcome names the conversation(s) it went into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..canvas.models import Conversation
from .compose import SEPARATE, Draft
from .text import one_line


def goes_private(draft: Draft) -> bool:
    """Whether Canvas may reuse existing private conversations for this draft."""
    return draft.kind in ("new", "forward") and draft.delivery == SEPARATE


def private_with(rows: Iterable[Conversation], me: int, user_id: int, context_code: str | None) -> Conversation | None:
    """The private conversation Canvas reuses for me and this person, among the loaded rows: it
    keys them by the two people and the course or group given (none when none is)."""
    for row in rows:
        if (row.private and set(row.audience) == {user_id} and (row.context_code or None) == (context_code or None)
                and all(p.id in (me, user_id) for p in row.participants)):
            return row
    return None


def quoted(conversation: Conversation) -> str:
    return f"“{one_line(conversation.subject) or '(no subject)'}”"


def forecast(draft: Draft, rows: list[Conversation], me: int) -> str | None:
    """Before sending: which existing conversations the message will go into, as far as the app knows."""
    if not goes_private(draft) or not draft.to:
        return None
    people = [r for r in draft.to if r.id.isdigit()]
    joined = [(ref, row) for ref in people if (row := private_with(rows, me, int(ref.id), draft.context_code)) is not None]
    if not joined:
        if len(draft.to) > len(people):  # a course or group: Canvas decides who, and may reuse threads
            return "Canvas puts it into your existing private conversation with anyone you already wrote to."
        return None
    if len(people) == 1 and len(draft.to) == 1:
        return (f"Goes into your existing conversation {quoted(joined[0][1])} with {one_line(joined[0][0].label)} "
                "(Canvas ignores the subject); choose “a new separate conversation” to keep it apart.")
    return (f"{len(joined)} of {len(draft.to)} go into existing conversations "
            f"({', '.join(quoted(row) for _, row in joined[:3])}{'…' if len(joined) > 3 else ''}); "
            "choose “a new separate conversation” to keep them apart.")


@dataclass
class Landing:
    """Where a sent message went: the conversations, and which of them already existed."""

    conversations: list[Conversation]
    existing: list[Conversation]

    @property
    def first(self) -> Conversation | None:
        return self.existing[0] if self.existing else (self.conversations[0] if self.conversations else None)

    @property
    def line(self) -> str:
        count = len(self.conversations)
        if count == 0:
            return "Message sent"
        if count == 1 and self.existing:
            return f"Sent into your existing conversation {quoted(self.existing[0])}"
        if count == 1:
            return f"Sent as a new conversation {quoted(self.conversations[0])}"
        if not self.existing:
            return f"Sent as {count} separate conversations"
        names = ", ".join(quoted(c) for c in self.existing[:3]) + ("…" if len(self.existing) > 3 else "")
        return f"Sent as {count} conversations: {count - len(self.existing)} new, {len(self.existing)} into existing ones ({names})"


def landing(created: list[Conversation], known_ids: set[int]) -> Landing:
    """Which of the conversations Canvas answered with were there before the send: loaded here,
    or holding more than the one new message (a new conversation holds just it; forwarded
    messages travel inside it)."""
    return Landing(created, [c for c in created if c.id in known_ids or (c.message_count or 0) > 1])
