"""What the composer holds: a draft of a new message, a reply, a forward, or people to add."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

KINDS = ("new", "reply", "reply_all", "forward", "add_people", "discussion_reply")
TITLES = {
    "new": "New message",
    "reply": "Reply",
    "reply_all": "Reply all",
    "forward": "Forward",
    "add_people": "Add people",
    "discussion_reply": "Reply in discussion",
}
# How a new message or a forward is delivered, the one choice the composer offers. Each maps
# onto the Canvas parameters kept in the draft (``Draft.delivery``): "separate" sends none of
# them, which is Canvas's default.
GROUP, SEPARATE, NEW_SEPARATE = "group", "separate", "new_separate"
DELIVERIES = (GROUP, SEPARATE, NEW_SEPARATE)


@dataclass
class RecipientRef:
    id: str  # a user id ("12") or a context ("course_3_students")
    label: str
    count: int | None = None  # a context's members, as recipient search said (None: a person, or not known)


@dataclass
class Draft:
    kind: str = "new"
    conversation_id: int | None = None
    to: list[RecipientRef] = field(default_factory=list)
    context_code: str | None = None
    subject: str = ""
    body: str = ""
    attachments: list[str] = field(default_factory=list)  # paths on this machine
    group_conversation: bool = False
    individual: bool = False  # "send individual messages": one private thread per recipient
    force_new: bool = False  # "start a new conversation": never into an existing private one (Canvas's force_new)
    forward_message_ids: list[int] = field(default_factory=list)
    topic_id: int | None = None  # a discussion reply: the topic, and the entry answered (None: the topic)
    entry_id: int | None = None
    # A new message that was a reply (or forward) whose conversation is gone: the key it was kept
    # under. It keeps a place of its own in Drafts, beside the one new message being written.
    was: str | None = None

    @property
    def delivery(self) -> str:
        """The delivery chosen, read from the Canvas parameters: ``force_new`` or ``bulk_message``
        make new conversations even with ``group_conversation`` (as Canvas does)."""
        if self.individual or self.force_new:
            return NEW_SEPARATE
        return GROUP if self.group_conversation else SEPARATE

    @delivery.setter
    def delivery(self, choice: str) -> None:
        if choice not in DELIVERIES:
            raise ValueError(f"unknown delivery {choice!r}")
        # A new conversation each is a bulk message: the only way Canvas takes more than 100 people.
        self.group_conversation = choice == GROUP
        self.individual = choice == NEW_SEPARATE
        self.force_new = False

    @property
    def key(self) -> str:
        """Where the draft is kept: one per kind of answer to each conversation, one for new."""
        if self.kind == "discussion_reply":
            return f"discussion_reply:{self.context_code}:{self.topic_id}:{self.entry_id or 0}"
        if self.kind == "new":
            return f"new:{self.was}" if self.was else "new"
        return f"{self.kind}:{self.conversation_id}"

    @property
    def answers_conversation(self) -> bool:
        """Whether this draft goes into an existing conversation (which may since have been deleted)."""
        return self.kind in ("reply", "reply_all", "forward", "add_people") and self.conversation_id is not None

    def as_new_message(self) -> "Draft":
        """This reply or forward as a new message to the same people, for when its conversation is
        gone: the text, subject and attachments are kept (a forward's messages went with it)."""
        return Draft(kind="new", to=[RecipientRef(r.id, r.label, r.count) for r in self.to if r.id],
                     context_code=self.context_code, subject=self.subject, body=self.body,
                     attachments=list(self.attachments), was=self.key)

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, "Message")

    @property
    def needs_recipients(self) -> bool:
        return self.kind in ("new", "forward", "add_people")

    @property
    def edits_subject(self) -> bool:
        """A new message or a forward has a subject, a course and a delivery of its own; an answer
        takes its conversation's."""
        return self.kind in ("new", "forward")

    @property
    def allows_attachments(self) -> bool:
        return self.kind not in ("add_people", "discussion_reply")

    @property
    def needs_body(self) -> bool:
        return self.kind != "add_people"

    @property
    def empty(self) -> bool:
        return not (self.body.strip() or self.subject.strip() or self.attachments or (self.to and self.kind == "new"))

    def problems(self) -> list[str]:
        """What stops this draft from being sent, in words for the user."""
        found = []
        if self.needs_recipients and not self.to:
            found.append("Add at least one recipient in To.")
        if self.needs_body and not self.body.strip() and not self.attachments:
            found.append("Write a message first.")
        if len(self.subject) > 255:
            found.append("The subject is longer than Canvas allows (255 characters).")
        for path in self.attachments:
            if not Path(path).expanduser().is_file():
                found.append(f"No file at {path}.")
        return found

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Draft":
        to = [RecipientRef(str(r.get("id", "")), str(r.get("label", "")),
                           r.get("count") if isinstance(r.get("count"), int) and r.get("count") >= 0 else None)
              for r in data.get("to", []) if isinstance(r, dict)]
        draft = cls(
            kind=data.get("kind") if data.get("kind") in KINDS else "new",
            conversation_id=data.get("conversation_id") if isinstance(data.get("conversation_id"), int) else None,
            to=to,
            context_code=data.get("context_code") if isinstance(data.get("context_code"), str) else None,
            subject=str(data.get("subject") or ""),
            body=str(data.get("body") or ""),
            attachments=[str(p) for p in data.get("attachments", []) if isinstance(p, str)],
            group_conversation=bool(data.get("group_conversation")),
            individual=bool(data.get("individual")),
            force_new=bool(data.get("force_new")),
            forward_message_ids=[i for i in data.get("forward_message_ids", []) if isinstance(i, int)],
            topic_id=data.get("topic_id") if isinstance(data.get("topic_id"), int) else None,
            entry_id=data.get("entry_id") if isinstance(data.get("entry_id"), int) else None,
            was=data.get("was") if isinstance(data.get("was"), str) and data.get("was") else None,
        )
        return draft
