"""Conversations as Canvas models them: one shared thread, one view of it per user.

A ``Conversation`` holds the messages; each user's ``Participant`` row holds that
user's state (read, unread, archived, starred, subscribed) and which messages that
user can see. Everything the index, show and batch endpoints answer is read from
the participant rows, as in Canvas (canvas-api.md sections 1 to 4).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Mapping

SCOPES = ("inbox", "unread", "starred", "archived", "sent")
BATCH_EVENTS = ("mark_as_read", "mark_as_unread", "star", "unstar", "archive", "destroy")


@dataclass(slots=True, eq=False)
class Message:
    id: int
    conversation_id: int
    author_id: int
    created_at: datetime
    body: str
    generated: bool = False
    attachment_ids: tuple[int, ...] = ()
    media_comment: dict | None = None
    forwarded: tuple["Message", ...] = ()


@dataclass(slots=True, eq=False)
class Participant:
    """One user's view of one conversation (Canvas's ConversationParticipant)."""

    user_id: int
    conversation: "Conversation"
    workflow_state: str = "read"
    starred: bool = False
    subscribed: bool = True
    messages: list[Message] = field(default_factory=list)  # visible to this user, oldest first
    last_message_at: datetime | None = None
    last_authored_at: datetime | None = None
    visible_last_authored_at: datetime | None = None
    updated_at: datetime | None = None
    tags: set[str] = field(default_factory=set)  # the courses and groups ``filter[]`` finds it under

    @property
    def message_count(self) -> int:
        """The messages this user sees, not counting generated ones ("X was added ..."), as in Canvas."""
        return sum(1 for m in self.messages if not m.generated)

    def last_human_message(self) -> Message | None:
        for message in reversed(self.messages):
            if not message.generated:
                return message
        return None

    def last_authored_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.author_id == self.user_id and not message.generated:
                return message
        return None

    def in_scope(self, scope: str) -> bool:
        if self.message_count == 0:
            return False
        if scope == "sent":
            return self.visible_last_authored_at is not None
        if scope == "starred":
            return self.starred
        if self.last_message_at is None:
            return False
        if scope == "unread":
            return self.workflow_state == "unread"
        if scope == "archived":
            return self.workflow_state == "archived"
        return self.workflow_state != "archived"

    def sort_key(self, scope: str) -> tuple:
        if scope == "sent":
            return (self.visible_last_authored_at, self.conversation.id)
        if scope == "starred":
            return (self.updated_at or self.last_message_at or self.conversation.created_at, self.conversation.id)
        return (self.last_message_at, self.conversation.id)


@dataclass(slots=True, eq=False)
class Conversation:
    id: int
    subject: str | None
    private: bool
    created_at: datetime
    context_code: str | None = None
    private_hash: str | None = None
    tags: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    participants: dict[int, Participant] = field(default_factory=dict)
    updated_at: datetime | None = None


def private_hash(user_ids: Iterable[int], context_code: str | None = None) -> str:
    key = ",".join(str(u) for u in sorted(set(user_ids)))
    if context_code:
        key += "|" + context_code
    return hashlib.sha1(key.encode()).hexdigest()


class NotParticipating(Exception):
    """Raised for a conversation the user is not part of (Canvas answers 404)."""


class ConversationStore:
    """All conversations, with per-user views and a cache of each user's sorted scopes."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.conversations: dict[int, Conversation] = {}
        self.messages: dict[int, Message] = {}
        self.views: dict[int, dict[int, Participant]] = {}
        self._private: dict[str, int] = {}
        self._conversation_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        # Sorted scope listings per user; dropped whenever one of the user's rows changes.
        self._listing_cache: dict[int, dict[tuple, list[Participant]]] = {}

    # -- identity --------------------------------------------------------
    def next_conversation_id(self) -> int:
        return next(self._conversation_ids)

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def touch(self, *user_ids: int) -> None:
        """Forget cached listings of these users: their rows changed."""
        for uid in user_ids:
            self._listing_cache.pop(uid, None)

    # -- lookups ---------------------------------------------------------
    def view(self, user_id: int, conversation_id: int) -> Participant:
        participant = self.views.get(user_id, {}).get(conversation_id)
        if participant is None:
            raise NotParticipating(conversation_id)
        return participant

    def find_private(self, user_ids: Iterable[int], context_code: str | None) -> Conversation | None:
        cid = self._private.get(private_hash(user_ids, context_code))
        return self.conversations.get(cid) if cid is not None else None

    def listing(self, user_id: int, scope: str, filters: tuple[str, ...] = (), mode: str = "or") -> list[Participant]:
        """A user's conversations in a scope, newest first, as the index returns them."""
        scope = scope if scope in SCOPES else "inbox"
        key = (scope, filters, mode)
        cache = self._listing_cache.setdefault(user_id, {})
        rows = cache.get(key)
        if rows is None:
            rows = [p for p in self.views.get(user_id, {}).values() if p.in_scope(scope)]
            if filters:
                rows = [p for p in rows if self.matches_filters(p, filters, mode)]
            rows.sort(key=lambda p: p.sort_key(scope), reverse=True)
            cache[key] = rows
        return rows

    def matches_filters(self, participant: Participant, filters: tuple[str, ...], mode: str) -> bool:
        hits = (self._matches_tag(participant, tag) for tag in filters)
        return all(hits) if mode == "and" else any(hits)

    def _matches_tag(self, participant: Participant, tag: str) -> bool:
        if tag.startswith("user_"):
            try:
                return int(tag[5:]) in participant.conversation.participants
            except ValueError:
                return False
        # Canvas tags each participant's row (ConversationParticipant.tagged), not the conversation.
        return tag in participant.tags

    def unread_count(self, user_id: int) -> int:
        return sum(
            1
            for p in self.views.get(user_id, {}).values()
            if p.workflow_state == "unread" and p.last_message_at is not None and p.message_count
        )

    # -- creating ----------------------------------------------------------
    def start(
        self,
        author_id: int,
        recipient_ids: list[int],
        subject: str | None,
        *,
        private: bool,
        context_code: str | None,
        tags: Mapping[int, set[str]] | Iterable[str] = (),
        reuse: bool = True,
    ) -> tuple[Conversation, bool]:
        """Find the private conversation of these users or open a new one; (conversation, is_new).

        ``tags``: each participant's (messaging.conversation_tags), or one set for them all.
        """
        members = [author_id] + [r for r in recipient_ids if r != author_id]
        if not isinstance(tags, Mapping):
            tags = {uid: set(tags) for uid in members}
        phash = private_hash(members, context_code) if private else None
        if private and reuse and phash in self._private:
            conversation = self.conversations[self._private[phash]]
            for uid in members:
                if uid not in conversation.participants:
                    self._join(conversation, uid)
            self.file_under(conversation, tags)
            return conversation, False
        now = self.now()
        conversation = Conversation(
            id=self.next_conversation_id(),
            subject=subject or None,
            private=private,
            created_at=now,
            context_code=context_code,
            private_hash=phash,
            updated_at=now,
        )
        self.conversations[conversation.id] = conversation
        if private and phash is not None and reuse:
            self._private[phash] = conversation.id
        for uid in members:
            self._join(conversation, uid)
        self.file_under(conversation, tags)
        return conversation, True

    def file_under(self, conversation: Conversation, tags: Mapping[int, set[str]]) -> None:
        """Add tags to participants' rows; the conversation's own tags are all of theirs."""
        for uid, codes in tags.items():
            participant = conversation.participants.get(uid)
            if participant is not None and not codes <= participant.tags:
                participant.tags |= codes
                self.touch(uid)
            conversation.tags |= codes

    def _join(self, conversation: Conversation, user_id: int) -> Participant:
        participant = Participant(user_id=user_id, conversation=conversation)
        conversation.participants[user_id] = participant
        self.views.setdefault(user_id, {})[conversation.id] = participant
        self.touch(user_id)
        return participant

    def add_message(
        self,
        conversation: Conversation,
        author_id: int,
        body: str,
        *,
        recipient_ids: Iterable[int] | None = None,
        generated: bool = False,
        attachment_ids: Iterable[int] = (),
        media_comment: dict | None = None,
        forwarded: Iterable[Message] = (),
        update_for_sender: bool = True,
        created_at: datetime | None = None,
    ) -> Message:
        """Post a message and update every receiving participant as Canvas does."""
        created_at = created_at or self.now()
        message = Message(
            id=self.next_message_id(),
            conversation_id=conversation.id,
            author_id=author_id,
            created_at=created_at,
            body=body,
            generated=generated,
            attachment_ids=tuple(attachment_ids),
            media_comment=media_comment,
            forwarded=tuple(forwarded),
        )
        conversation.messages.append(message)
        self.messages[message.id] = message
        conversation.updated_at = created_at
        receivers = set(conversation.participants) if recipient_ids is None else set(recipient_ids)
        receivers.add(author_id)
        for uid in receivers:
            participant = conversation.participants.get(uid) or self._join(conversation, uid)
            participant.messages.append(message)
            if uid == author_id:
                if not generated:
                    participant.last_authored_at = created_at
                    participant.visible_last_authored_at = created_at
                if update_for_sender:
                    participant.last_message_at = created_at
                    if participant.workflow_state == "archived" and not generated:
                        participant.workflow_state = "read"
            elif participant.subscribed:
                participant.last_message_at = created_at
                if not generated:
                    participant.workflow_state = "unread"
            elif participant.last_message_at is None:
                participant.last_message_at = created_at
            participant.updated_at = created_at
            self.touch(uid)
        return message

    def share_messages(self, conversation: Conversation, messages: Iterable[Message], user_ids: Iterable[int]) -> None:
        """Give users copies of earlier messages (``included_messages[]``) they lack."""
        for uid in user_ids:
            participant = conversation.participants.get(uid)
            if participant is None:
                continue
            have = {m.id for m in participant.messages}
            added = [m for m in messages if m.id not in have]
            if added:
                participant.messages.extend(added)
                participant.messages.sort(key=lambda m: (m.created_at, m.id))
                self.touch(uid)

    def add_participants(self, conversation: Conversation, actor_id: int, user_ids: list[int], names: str,
                         *, with_history: bool = True) -> Message | None:
        """Add people to a group conversation, unread.

        With history (``add_recipients``) they get the messages the person adding them
        sees and a generated "X was added" message. Without (``add_message`` naming them
        in ``recipients[]``, Canvas's ``no_messages``) they get nothing yet: only the
        message that follows, and any ``included_messages[]``.
        """
        new = [uid for uid in user_ids if uid not in conversation.participants]
        if not new:
            return None
        actor = conversation.participants.get(actor_id)
        history = list(actor.messages if actor is not None else conversation.messages) if with_history else []
        for uid in new:
            participant = self._join(conversation, uid)
            participant.messages = list(history)
            participant.workflow_state = "unread"
            if with_history:
                participant.last_message_at = history[-1].created_at if history else self.now()
        if not with_history:
            return None
        return self.add_message(conversation, actor_id, names, generated=True)

    # -- changing one user's view -----------------------------------------------
    def set_state(self, participant: Participant, *, workflow_state: str | None = None,
                  starred: bool | None = None, subscribed: bool | None = None) -> None:
        now = self.now()
        if workflow_state in ("read", "unread", "archived"):
            participant.workflow_state = workflow_state
        if starred is not None and starred != participant.starred:
            participant.starred = starred
        if subscribed is not None and not participant.conversation.private:
            participant.subscribed = subscribed
            if not subscribed and participant.workflow_state == "unread":
                participant.workflow_state = "read"
        participant.updated_at = now
        self.touch(participant.user_id)

    def remove_messages(self, participant: Participant, message_ids: Iterable[int] | None) -> None:
        """Soft-delete messages from one user's view; ``None`` removes them all."""
        if message_ids is None:
            participant.messages = []
        else:
            drop = set(message_ids)
            participant.messages = [m for m in participant.messages if m.id not in drop]
            if all(m.generated for m in participant.messages):
                participant.messages = []
        if not participant.messages:
            participant.last_message_at = None
            participant.visible_last_authored_at = None
            participant.workflow_state = "read"
            participant.starred = False
        else:
            authored = participant.last_authored_message()
            participant.visible_last_authored_at = authored.created_at if authored else None
        self.touch(participant.user_id)

    def apply_event(self, participant: Participant, event: str) -> None:
        """One conversation of a batch update (Canvas's ConversationParticipant#update_one)."""
        if event == "mark_as_read":
            self.set_state(participant, workflow_state="read")
        elif event == "mark_as_unread":
            self.set_state(participant, workflow_state="unread")
        elif event == "archive":
            self.set_state(participant, workflow_state="archived")
        elif event == "star":
            self.set_state(participant, starred=True)
        elif event == "unstar":
            self.set_state(participant, starred=False)
        elif event == "destroy":
            self.remove_messages(participant, None)

    def mark_all_read(self, user_id: int) -> None:
        for participant in self.views.get(user_id, {}).values():
            if participant.workflow_state == "unread":
                participant.workflow_state = "read"
        self.touch(user_id)
