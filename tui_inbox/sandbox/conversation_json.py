"""The JSON Canvas gives for a conversation and its messages, per endpoint (canvas-api.md section 2).

Each endpoint returns a slightly different shape: the index has short participants and
no messages, show has the long participants and all messages newest first, and so on.
``Shape`` names those differences so the handlers only say which one they want.
"""

from __future__ import annotations

from dataclasses import dataclass

from .admin_reach import ACCOUNT_CODE, shown_context_code
from .clock import iso
from .conversations import Message, Participant
from .state import SandboxState

GROUP_AVATAR = "https://canvas.instructure.com/images/messages/avatar-group-50.png"
MAX_AVATAR_PARTICIPANTS = 100


@dataclass(frozen=True, slots=True)
class Shape:
    long_participants: bool = False  # common_courses, common_groups, avatar_url, forwarded authors
    messages: str = "none"  # none | all | latest
    context_name: bool = True


# Only the index and show ask for include_context_name (CC); every other answer lacks the key.
INDEX = Shape()
SHOW = Shape(long_participants=True, messages="all")
CREATED = Shape(long_participants=True, messages="latest", context_name=False)
BATCH_CREATED = Shape(context_name=False)
ADDED = Shape(long_participants=True, messages="latest", context_name=False)
UPDATED = Shape(long_participants=True, context_name=False)


def wants_uuids(call) -> bool:
    """``include[]=uuid``: each participant's ``uuid`` (the list and create answers)."""
    return "uuid" in (call.params.list("include") or [])


def preview(body: str) -> str:
    """Canvas's <=100-character preview: a longer body is cut to 97 characters and "..."."""
    return body if len(body) <= 100 else body[:97] + "..."


def message_json(state: SandboxState, message: Message, base_url: str, participating: list[int] | None = None,
                 *, forwarded: bool = False) -> dict:
    files = state.files
    attachments = [files.files[fid].as_json(base_url) for fid in message.attachment_ids if fid in files.files]
    out = {
        "id": message.id,
        "created_at": iso(message.created_at),
        "body": message.body,
        "author_id": message.author_id,
        "generated": message.generated,
        "media_comment": message.media_comment,
        "forwarded_messages": [message_json(state, m, base_url, forwarded=True) for m in message.forwarded],
        "attachments": attachments,
    }
    if forwarded:
        # A forwarded message says who saw it where it was written (lib/api/v1/conversations.rb,
        # conversation_message_json, recursing into forwarded_messages).
        participating = _participating_where_written(state, message)
    if participating is not None:
        out["participating_user_ids"] = participating
    return out


def _participating_where_written(state: SandboxState, message: Message) -> list[int]:
    conversation = state.conversations.conversations.get(message.conversation_id)
    if conversation is None:
        return []
    return sorted(uid for uid, p in conversation.participants.items() if message in p.messages)


def _carries(message: Message, what: str) -> bool:
    """Whether a message or any message it forwards has attachments or media (ConversationMessage#infer_values)."""
    stack = [message]
    while stack:
        m = stack.pop()
        if (m.attachment_ids if what == "attachments" else m.media_comment):
            return True
        stack.extend(m.forwarded)
    return False


def _forwarded_authors(messages: list[Message]) -> set[int]:
    authors: set[int] = set()
    stack = [f for m in messages for f in m.forwarded]
    while stack:
        message = stack.pop()
        authors.add(message.author_id)
        stack.extend(message.forwarded)
    return authors


def _ordered_participants(participant: Participant) -> list[int]:
    """Most recent authors first (never-authored last), then by name, as Canvas orders them."""
    conversation = participant.conversation
    rows = list(conversation.participants.values())
    rows.sort(key=lambda p: (p.last_authored_at is None, -(p.last_authored_at.timestamp() if p.last_authored_at else 0)))
    return [p.user_id for p in rows]


def conversation_json(
    state: SandboxState,
    participant: Participant,
    base_url: str,
    shape: Shape = INDEX,
    *,
    include_avatars: bool = False,
    include_uuids: bool = False,
    visible: bool = True,
) -> dict:
    world = state.world
    conversation = participant.conversation
    me = participant.user_id
    ordered = _ordered_participants(participant)
    others = [uid for uid in ordered if uid != me]
    audience = others or [me]
    last = participant.last_human_message() if participant.last_message_at is not None else None
    authored = participant.last_authored_message()
    newest = participant.messages[-1] if participant.messages else None

    properties = []
    if newest is not None and newest.author_id == me:
        properties.append("last_author")
    if any(_carries(m, "attachments") for m in participant.messages):
        properties.append("attachments")
    if any(_carries(m, "media") for m in participant.messages):
        properties.append("media_objects")

    people = list(ordered)
    if shape.long_participants:
        people += sorted(_forwarded_authors(participant.messages) - set(people))
    show_avatars = include_avatars and len(people) <= MAX_AVATAR_PARTICIPANTS
    participants_json = []
    for uid in people:
        user = world.users[uid]
        entry = {"id": uid, "name": user.short_name, "full_name": user.name, "pronouns": user.pronouns}
        if include_uuids:
            entry["uuid"] = user.uuid
        if shape.long_participants:
            entry["common_courses"] = world.common_courses(me, uid) if uid != me else {}
            entry["common_groups"] = world.common_groups(me, uid) if uid != me else {}
            entry["avatar_url"] = user.avatar_url(base_url)
        elif show_avatars:
            entry["avatar_url"] = user.avatar_url(base_url)
        participants_json.append(entry)

    out = {
        "id": conversation.id,
        "subject": conversation.subject,
        "workflow_state": participant.workflow_state,
        "last_message": preview(last.body) if last else None,
        "last_message_at": iso(participant.last_message_at),
        "last_authored_message": preview(authored.body) if authored else None,
        "last_authored_message_at": iso(participant.visible_last_authored_at),
        "message_count": participant.message_count,
        "subscribed": participant.subscribed,
        "private": conversation.private,
        "starred": participant.starred,
        "properties": properties,
        "audience": audience,
        "participants": participants_json,
        "visible": visible,
        "context_code": shown_context_code(world, me, conversation.context_code),
    }
    out["audience_contexts"] = _audience_contexts(state, me, others)
    out["avatar_url"] = GROUP_AVATAR if len(others) != 1 else world.users[others[0]].avatar_url(base_url)
    if shape.context_name:
        # Rails sets the key whenever it was asked for: null for a conversation with no context.
        out["context_name"] = context_name(state, conversation)
    if shape.messages == "all":
        seen = _seen_by(participant)
        out["messages"] = [
            message_json(state, m, base_url, _participating(participant, m, seen)) for m in reversed(participant.messages)
        ]
        out["submissions"] = []
    elif shape.messages == "latest" and participant.messages:
        m = participant.messages[-1]
        out["messages"] = [message_json(state, m, base_url, _participating(participant, m))]
    return out


def _tag_order(tag: str) -> tuple[int, int, str]:
    kind, _, number = tag.partition("_")
    return (0 if kind == "course" else 1, int(number) if number.isdigit() else 0, tag)


def context_name(state: SandboxState, conversation) -> str | None:
    """The name of the conversation's context, else of its first course or group tag."""
    world = state.world
    if conversation.context_code == ACCOUNT_CODE:
        return state.institution.name  # the root account is named for the school
    name = world.context_name(conversation.context_code)
    for tag in sorted(conversation.tags, key=_tag_order):
        if name is not None:
            break
        name = world.context_name(tag)
    return name


def _seen_by(participant: Participant) -> dict[int, set[int]]:
    """Each participant's visible message ids: a show answers ``participating_user_ids`` for every
    message, and searching each participant's list per message took 5 s for 20,000 messages."""
    return {uid: {m.id for m in p.messages} for uid, p in participant.conversation.participants.items()}


def _participating(participant: Participant, message: Message, seen: dict[int, set[int]] | None = None) -> list[int]:
    seen = _seen_by(participant) if seen is None else seen
    return sorted(uid for uid, ids in seen.items() if message.id in ids)


def _audience_contexts(state: SandboxState, me: int, others: list[int]) -> dict:
    """Shared courses and groups; enrollment types only when there is exactly one other person."""
    world = state.world
    courses: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    for uid in others:
        for cid, types in world.common_courses(me, uid).items():
            courses.setdefault(cid, [])
            if len(others) == 1:
                courses[cid] = types
        for gid in world.common_groups(me, uid):
            groups[gid] = ["Member"] if len(others) == 1 else []
    return {"courses": courses, "groups": groups}
