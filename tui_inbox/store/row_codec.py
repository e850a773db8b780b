"""Conversations to JSON and back, for the cache: everything the list and the thread show.

A row is a JSON array, not an object: a 100,000-row mailbox is written and read in
well under a second that way, and the field names are not repeated 100,000 times. The
order of the fields is part of the cache's schema (store/cache.py's migrations): change
it and add a migration that empties the rows, which Canvas gives again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Iterable

from ..canvas.models import Attachment, Conversation, MediaComment, Message, Participant
from ..canvas.sharing import Shared


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _participant(p: Participant) -> list:
    return [p.id, p.name, p.full_name, p.avatar_url,
            [[k, v] for k, v in p.common_courses.items()], [[k, v] for k, v in p.common_groups.items()], p.pronouns]


def _participant_back(data: list, shared: Shared | None = None) -> Participant:
    # Pronouns came last and later: a row cached before them has six fields and reads as "unset"
    # until Canvas sends the row again, which is why they need no migration.
    pid, name, full_name, avatar, courses, groups, *rest = data
    pronouns = rest[0] if rest else None

    def make() -> Participant:
        return Participant(id=pid, name=name, full_name=full_name, avatar_url=avatar,
                           common_courses={k: v for k, v in courses}, common_groups={k: v for k, v in groups},
                           pronouns=pronouns)

    if shared is None or courses or groups:
        return make()
    return shared.one(("p", pid, name, full_name, avatar, pronouns), make)  # the key Participant.from_json uses


def _attachment(a: Attachment) -> list:
    return [a.id, a.display_name, a.filename, a.content_type, a.url, a.size]


def _attachment_back(data: list) -> Attachment:
    aid, display, filename, content_type, url, size = data
    return Attachment(id=aid, display_name=display, filename=filename, content_type=content_type, url=url, size=size)


def _media(m: MediaComment | None) -> list | None:
    return None if m is None else [m.media_id, m.media_type, m.display_name, m.content_type, m.url]


def _media_back(data: list | None) -> MediaComment | None:
    if data is None:
        return None
    media_id, media_type, display, content_type, url = data
    return MediaComment(media_id=media_id, media_type=media_type, display_name=display, content_type=content_type, url=url)


def _message(m: Message) -> list:
    return [m.id, _when(m.created_at), m.body, m.author_id, m.generated, _media(m.media_comment),
            [_message(f) for f in m.forwarded_messages], [_attachment(a) for a in m.attachments],
            list(m.participating_user_ids)]


def _message_back(data: list) -> Message:
    mid, created, body, author, generated, media, forwarded, attachments, participating = data
    return Message(id=mid, created_at=_parse_when(created), body=body, author_id=author, generated=generated,
                   media_comment=_media_back(media), forwarded_messages=[_message_back(f) for f in forwarded],
                   attachments=[_attachment_back(a) for a in attachments], participating_user_ids=participating)


def encode(c: Conversation, *, with_messages: bool = False) -> str:
    """One conversation as a JSON array; its messages only when asked (a thread, not a row)."""
    messages = [_message(m) for m in c.messages] if with_messages and c.messages is not None else None
    return json.dumps([
        c.id, c.subject, c.workflow_state, c.last_message, _when(c.last_message_at), c.last_authored_message,
        _when(c.last_authored_message_at), c.message_count, c.subscribed, c.private, c.starred, c.properties,
        c.audience, c.audience_contexts, c.avatar_url, [_participant(p) for p in c.participants], c.visible,
        c.context_code, c.context_name, messages, c.cannot_reply,
    ], ensure_ascii=False, separators=(",", ":"))


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once, not per row


def encode_rows(rows: Iterable[Conversation]) -> list[tuple[int, str]]:
    """(id, text) of many rows at once (a whole view), each text the same as ``encode(row)``.

    What the rows of a listing share (canvas/sharing.py: one object per person, per list of
    people, per timestamp) is encoded once and its text reused, and the encoder is called twice
    per row: encoding a 100,000-row view row by row took ten times a plain ``json.dumps`` of
    three fields per row, over half of it in the people and the calls. The shared
    objects are known by ``id()``, which is safe because the rows, held for the whole call, hold them."""
    rows = list(rows)  # held until the end: an object freed midway could lend its id() to another
    done: dict[int, str] = {}

    def once(value: Any, make: Callable[[Any], str]) -> str:
        text = done.get(id(value))
        if text is None:
            text = done[id(value)] = make(value)
        return text

    def people(participants: list[Participant]) -> str:
        return "[" + ",".join(once(p, lambda p: _dumps(_participant(p))) for p in participants) + "]"

    def when(value: datetime | None) -> str | None:
        return None if value is None else once(value, datetime.isoformat)

    encoded = []
    for c in rows:
        # Two calls into the encoder per row (each call costs more than the row's values): all that
        # comes before the people, then all that comes after; the people's text is spliced between.
        before = _dumps([c.id, c.subject, c.workflow_state, c.last_message, when(c.last_message_at),
                         c.last_authored_message, when(c.last_authored_message_at), c.message_count, c.subscribed,
                         c.private, c.starred, c.properties, c.audience, c.audience_contexts, c.avatar_url])
        after = _dumps([c.visible, c.context_code, c.context_name, None, c.cannot_reply])
        encoded.append((c.id, "".join((before[:-1], ",", once(c.participants, people), ",", after[1:]))))
    return encoded


def decode(text: str, shared: Shared | None = None) -> Conversation:
    """One row back. ``shared`` (one per batch of rows read together): repeated people, audiences,
    states and texts become one object each, as a listing parsed from Canvas shares them
    (canvas/sharing.py), so a mailbox opened from the cache costs no more memory than one loaded."""
    (cid, subject, state, last, last_at, authored, authored_at, count, subscribed, private, starred, properties,
     audience, contexts, avatar, participants, visible, context_code, context_name, messages, cannot_reply) = json.loads(text)
    if shared is not None:
        text_of, when = shared.text, shared.when
        subject, state, last, authored, avatar = map(text_of, (subject, state, last, authored, avatar))
        context_code, context_name = text_of(context_code), text_of(context_name)
        last_at_value, authored_at_value = when(last_at), when(authored_at)
        properties, audience, contexts = shared.texts(properties), shared.ints(audience), shared.json(contexts)
        people = shared.items([_participant_back(p, shared) for p in participants])
    else:
        last_at_value, authored_at_value = _parse_when(last_at), _parse_when(authored_at)
        people = [_participant_back(p) for p in participants]
    return Conversation(
        id=cid, subject=subject, workflow_state=state, last_message=last, last_message_at=last_at_value,
        last_authored_message=authored, last_authored_message_at=authored_at_value, message_count=count,
        subscribed=subscribed, private=private, starred=starred, properties=properties, audience=audience,
        audience_contexts=contexts, avatar_url=avatar, participants=people,
        visible=visible, context_code=context_code, context_name=context_name,
        messages=[_message_back(m) for m in messages] if messages is not None else None, cannot_reply=cannot_reply,
    )


def as_plain(value: Any) -> Any:
    """A flat model (User, Course, Group) as a dict, for the account's part of the cache."""
    from dataclasses import asdict

    return asdict(value)
