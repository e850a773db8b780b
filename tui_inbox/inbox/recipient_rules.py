"""Who a draft goes to, as the composer states it: adding people, naming them, and who a reply reaches.

Names and course names came from a server: they are made one line here and shown as text.
"""

from __future__ import annotations

from typing import Iterable

from ..canvas.models import Conversation, Course, Recipient
from .compose import Draft, RecipientRef
from .formatting import display_name
from .replying import already_in, last_message_is_mine, name_people, reply_target
from .text import one_line

ROLES = {
    "StudentEnrollment": "student",
    "TeacherEnrollment": "teacher",
    "TaEnrollment": "TA",
    "ObserverEnrollment": "observer",
    "DesignerEnrollment": "designer",
}


def label_for(recipient: Recipient) -> str:
    """A recipient's name on its chip in To."""
    if recipient.is_context:
        return one_line(recipient.name) or recipient.id
    return display_name(recipient.name, recipient.full_name) or recipient.id


def ref_for(recipient: Recipient) -> RecipientRef:
    """A picked recipient as the draft keeps it; a course or group with its member count."""
    return RecipientRef(recipient.id, label_for(recipient), recipient.user_count if recipient.is_context else None)


def where_they_are(recipient: Recipient, courses: Iterable[Course]) -> str:
    """A person's courses and roles in them ("BIO101 student; CHEM2 TA"): which Jane this is."""
    codes = {str(c.id): one_line(c.course_code or c.name) for c in courses}
    where = []
    for course_id, roles in (recipient.common_courses or {}).items():
        code = codes.get(str(course_id)) or f"course {one_line(str(course_id))}"
        role = ", ".join(ROLES.get(r, one_line(r)) for r in roles or [])
        where.append(f"{code} {role}".strip())
    return "; ".join(where)


def same_conversation(draft: Draft, current: Conversation | None) -> Conversation | None:
    """The open conversation, when it is the one this draft answers."""
    return current if current is not None and current.id == draft.conversation_id else None


def add(draft: Draft, ref: RecipientRef, current: Conversation | None) -> str:
    """Put ``ref`` in To unless it is there already (or, adding people, in the conversation); what to say."""
    conversation = same_conversation(draft, current)
    if draft.kind == "add_people" and conversation is not None and already_in(conversation, [ref.id]):
        return f"{ref.label} is in this conversation already."
    if any(r.id == ref.id for r in draft.to):
        return f"{ref.label} is in To already."
    draft.to.append(ref)
    return f"Added {ref.label}."


def answering(draft: Draft, current: Conversation | None) -> Conversation | None:
    """The conversation this reply or forward answers, when its messages are loaded."""
    conversation = same_conversation(draft, current)
    if draft.kind in ("reply", "reply_all", "forward") and conversation is not None and conversation.messages:
        return conversation
    return None


def reply_goes_to(draft: Draft, current: Conversation | None, me_id: int | None) -> tuple[str, str]:
    """Who an answer reaches, and why, for the line in place of To: a plain reply in a group
    conversation reaches the last person who wrote (inbox/replying.py), else everyone in it."""
    names = [one_line(r.label) for r in draft.to]
    if draft.kind == "discussion_reply":
        return ", ".join(names) or "the topic", "  (posted in the discussion, visible to the course)"
    thread = same_conversation(draft, current)
    target = reply_target(thread, me_id) if draft.kind == "reply" and thread else None
    if thread is not None and target is not None:
        if last_message_is_mine(thread, me_id):
            why = "  (the last to write before your own message; R replies to all)"
        else:
            why = "  (the last person who wrote; R replies to all)"
        return display_name(target.name, target.full_name), why
    return name_people(names) if names else "the conversation's participants", "  (everyone in the conversation)"
