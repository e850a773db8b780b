"""The Drafts mailbox: every draft the user kept, newest first, and how one is opened again.

A draft is kept as the user types (store/drafts.py), and a message Canvas refused comes back
here from the Outbox ("your text is back in Drafts"). A reply is kept under its conversation;
when that conversation is gone (deleted, here or on another device), the reply could never be
sent nor reached: opened from Drafts it becomes a new message to the same people, with its
text, subject and attachments, and its old place is given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import NotFoundError
from ..canvas.models import Conversation
from ..store.drafts import DraftStore
from .compose import Draft
from .text import one_line


class KeptDrafts(Protocol):
    """What the Drafts mailbox reads: the account's draft store, its loaded rows and its client."""

    drafts: DraftStore | None
    client: CanvasClient

    def row(self, conversation_id: int) -> Conversation | None: ...


@dataclass(frozen=True)
class Kept:
    key: str
    draft: Draft
    saved_at: float  # seconds since the epoch

    @property
    def who(self) -> str:
        """Whom it goes to, as the composer named them (a reply: the conversation's people)."""
        draft = self.draft
        names = [one_line(r.label) or r.id for r in draft.to[:3]]
        if len(draft.to) > 3:
            names.append(f"+{len(draft.to) - 3}")
        return ", ".join(names) or ("the topic" if draft.kind == "discussion_reply" else "nobody yet")

    @property
    def first_line(self) -> str:
        """The body's first line with words on it (the subject, for a draft with no text yet)."""
        line = next((one_line(part) for part in self.draft.body.splitlines() if part.strip()), "")
        return line or one_line(self.draft.subject)


def save(store: DraftStore | None, draft: Draft) -> None:
    """Keep a draft as it is now (an empty one is not kept)."""
    if store is not None:
        if draft.empty:
            store.delete(draft.key)
        else:
            store.save(draft.key, draft.to_dict())


def load(store: DraftStore | None, key: str) -> Draft | None:
    if store is None:
        return None
    data = store.load(key)
    return Draft.from_dict(data) if data else None


def kept(box: KeptDrafts) -> list[Kept]:
    """The account's drafts, newest first."""
    if box.drafts is None:
        return []
    return [Kept(key, Draft.from_dict(content), saved_at) for key, content, saved_at in box.drafts.entries()]


def count(box: KeptDrafts) -> int:
    return box.drafts.count() if box.drafts is not None else 0


def discard(box: KeptDrafts, entry: Kept) -> None:
    """Throw the draft away (the user said yes). Raises sqlite3.Error when the store cannot."""
    if box.drafts is not None:
        box.drafts.delete(entry.key)  # its own key: one whose content could not be read goes too


async def conversation_gone(box: KeptDrafts, conversation_id: int) -> bool:
    """Whether Canvas no longer has this conversation for the user (404). A row in a view was there
    at the last look: no request. Canvas not answering is not "gone": the draft opens as it is."""
    if box.row(conversation_id) is not None:
        return False
    try:
        await box.client.get_conversation(conversation_id, auto_mark_as_read=False)
    except NotFoundError:
        return True
    except CanvasError:
        return False
    return False


async def reopen(box: KeptDrafts, entry: Kept) -> tuple[Draft | None, str | None]:
    """The draft to open in the composer for ``entry``, and a line to say (or None). A reply or
    forward whose conversation is gone becomes a new message (moved in the store: saved under its
    new key before the old one goes, so it is never in neither); people cannot be added to a
    conversation that is gone (None)."""
    draft = entry.draft
    if not draft.answers_conversation or not await conversation_gone(box, draft.conversation_id):
        return draft, None
    if draft.kind == "add_people":
        return None, "The conversation is gone: there is nobody to add people to. d discards this draft."
    fresh = draft.as_new_message()
    save(box.drafts, fresh)
    box.drafts.delete(entry.key)
    what = "forward" if draft.kind == "forward" else "reply"
    return fresh, f"The conversation is gone: your {what} is now a new message to the same people."
