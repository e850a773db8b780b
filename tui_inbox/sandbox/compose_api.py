"""Writing: create, add_message, add_recipients, remove_messages, and async batches.

The checks run in the order Canvas runs them, and each failure has Canvas's shape
(canvas-api.md sections 3 and 4).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from starlette.responses import JSONResponse
from starlette.routing import Route

from . import errors
from .admin_reach import admin_reach, is_admin, valid_context
from .conversation_json import ADDED, BATCH_CREATED, CREATED, UPDATED, conversation_json, message_json, wants_uuids
from .conversations import Message
from .conversations_api import conversation_id, visible_in_request_scope
from .endpoint import Call, api
from .messaging import add_people, post_message, start_conversation
from .recipients import resolve
from .world import split_context

MAX_GROUP_CONVERSATION_SIZE = 100
MAX_SUBJECT = 255
_batch_ids = itertools.count(1)


@dataclass
class Batch:
    """A bulk private message being delivered in the background (``mode=async``)."""

    id: int
    user_id: int
    recipient_ids: list[int]
    message: Message
    tags: list[str]
    workflow_state: str = "created"  # created, sending, sent
    done: int = 0
    subject: str | None = None
    conversation_ids: list[int] = field(default_factory=list)

    def as_json(self, call: Call) -> dict:
        return {
            "id": self.id,
            "subject": self.subject,
            "workflow_state": self.workflow_state,
            "completion": self.done / max(1, len(self.recipient_ids)),  # 0 to 1, unlike Progress
            "recipient_count": len(self.recipient_ids),
            "message": message_json(call.state, self.message, call.base_url),
            "tags": self.tags,
        }


def _ints(values: list[str] | None) -> list[int]:
    out = []
    for value in values or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _media_comment(call: Call) -> dict | None:
    media_id = call.params.get("media_comment_id")
    if not media_id:
        return None
    media_type = call.params.get("media_comment_type") or "video"
    return {
        "content-type": "audio/mp4" if media_type == "audio" else "video/mp4",
        "display_name": None,
        "media_id": media_id,
        "media_type": media_type,
        "url": f"{call.base_url}/users/{call.user.id}/media_download?entryId={media_id}&type=mp4&redirect=1",
    }


def _forwarded(call: Call) -> tuple[Message, ...] | None:
    """``forwarded_message_ids[]``: messages the user can see, all from one conversation."""
    ids = _ints(call.params.list("forwarded_message_ids"))
    if not ids:
        return ()
    store = call.state.conversations
    found = [store.messages.get(mid) for mid in ids]
    if any(m is None for m in found) or len({m.conversation_id for m in found}) != 1:
        return None
    participant = store.views.get(call.user.id, {}).get(found[0].conversation_id)
    if participant is None or any(m not in participant.messages for m in found):
        return None
    return tuple(found)


@api
async def create(call: Call):
    state, params, me = call.state, call.params, call.user.id
    raw = params.list("recipients")
    if not raw:
        return errors.attribute_errors(("recipients", "blank"))
    context_code = params.get("context_code") or None
    resolved = resolve(state.world, me, raw, also=admin_reach(state.world, me, context_code))
    if not resolved.user_ids and not resolved.restricted:
        return errors.attribute_errors(("recipients", "invalid"))
    body = params.get("body") or ""
    if not body.strip():
        return errors.attribute_errors(("body", "blank"))
    if context_code:
        kind, cid = split_context(context_code)
        if not valid_context(state.world, me, context_code):
            return errors.attribute_errors(("context_code", "invalid"))
        # An admin may still write in a concluded course (Canvas: its read_as_admin right).
        if kind == "course" and state.world.courses[cid].concluded and not is_admin(state.world, me):
            return errors.attribute_errors(("Course concluded", "Unable to send messages"))
    if resolved.restricted:
        return errors.attribute_errors(("recipients", "restricted by role"))
    subject = params.get("subject")
    if subject and len(subject) > MAX_SUBJECT:
        return errors.validation_errors("subject", {"attribute": "subject", "type": "too_long", "message": "too_long"})
    forwarded = _forwarded(call)
    if forwarded is None:
        return errors.attribute_errors(("forwarded_message_ids", "invalid"))

    group = params.bool("group_conversation")
    bulk = params.bool("bulk_message")
    force_new = params.bool("force_new")
    recipients = resolved.user_ids
    if len(recipients) > MAX_GROUP_CONVERSATION_SIZE and not (group and bulk):
        return errors.attribute_errors(("recipients", "too many for group conversation"))

    attachments = tuple(state.files.attachable(me, _ints(params.list("attachment_ids"))))
    media = _media_comment(call)
    origin = call.origin()
    new_pairs = (group and bulk) or force_new
    batched = (not group and len(recipients) > 1) or new_pairs

    def send_one(recipient_ids: list[int], private: bool, reuse: bool):
        return start_conversation(
            state, origin, me, recipient_ids, subject, body,
            private=private, context_code=context_code, reuse=reuse,
            attachment_ids=attachments, media_comment=media, forwarded=forwarded, named=resolved.contexts,
        )

    if not batched:
        private = not group and len(recipients) == 1
        conversation, _ = send_one(recipients, private, reuse=True)
        participant = conversation.participants[me]
        visible = visible_in_request_scope(call, participant)
        return JSONResponse([conversation_json(state, participant, call.base_url, CREATED, visible=visible,
                                        include_uuids=wants_uuids(call))], status_code=201)

    private = not new_pairs
    if params.get("mode") == "async":
        template = Message(id=0, conversation_id=0, author_id=me, created_at=state.now(), body=body,
                           attachment_ids=attachments, media_comment=media, forwarded=forwarded)
        batch = Batch(next(_batch_ids), me, list(recipients), template, sorted(resolved.contexts), subject=subject)
        state.batches[batch.id] = batch

        async def deliver() -> None:
            batch.workflow_state = "sending"
            for uid in batch.recipient_ids:
                conversation, _ = send_one([uid], private, reuse=private)
                batch.conversation_ids.append(conversation.id)
                batch.done += 1
                await asyncio.sleep(state.knobs.send_item_seconds)  # visible time per recipient
            batch.workflow_state = "sent"

        state.spawn(deliver())
        return JSONResponse([], status_code=202, headers={"X-Conversation-Batch-Id": str(batch.id)})

    conversations = [send_one([uid], private, reuse=private)[0] for uid in recipients]
    rows = [c.participants[me] for c in conversations]
    rows.sort(key=lambda p: (p.visible_last_authored_at, p.last_message_at is not None, p.last_message_at or p.conversation.created_at, p.conversation.id), reverse=True)
    return JSONResponse(
        [conversation_json(state, p, call.base_url, BATCH_CREATED, visible=visible_in_request_scope(call, p),
                           include_uuids=wants_uuids(call)) for p in rows],
        status_code=201,
    )


@api
async def batches(call: Call):
    mine = [b for b in call.state.batches.values() if b.user_id == call.user.id and b.workflow_state in ("created", "sending")]
    return JSONResponse([b.as_json(call) for b in mine])


@api
async def add_message(call: Call):
    state, params, me = call.state, call.params, call.user.id
    participant = state.conversations.view(me, conversation_id(call))
    conversation = participant.conversation
    body = params.get("body") or ""
    attachments = tuple(state.files.attachable(me, _ints(params.list("attachment_ids"))))
    media = _media_comment(call)
    if not body.strip() and not attachments and not media:
        return errors.attribute_errors(("empty_message", "Unable to create message without a body"))
    kind, cid = split_context(conversation.context_code)
    if kind == "course" and state.world.courses[cid].concluded and not state.world.can_send_all(me, cid):
        return errors.attribute_errors(("base", "Course concluded"), status=401)

    included_ids = _ints(params.list("included_messages"))
    included: list[Message] = []
    for mid in included_ids:
        message = state.conversations.messages.get(mid)
        if message is None or message.conversation_id != conversation.id:
            return errors.attribute_errors(("included_messages", "not for this conversation"))
        if message not in participant.messages:
            return errors.attribute_errors(("included_messages", "not a participant"))
        included.append(message)

    # recipients[] narrows who gets this message; in a group conversation it may also name
    # people not in it yet, who join seeing only this message and the included ones.
    recipient_ids = None
    if params.has("recipients"):
        requested = resolve(state.world, me, params.list("recipients") or []).user_ids
        if not conversation.private:
            newcomers = [u for u in requested if u not in conversation.participants]
            if newcomers:
                add_people(state, call.origin(), conversation, me, newcomers, with_history=False)
        recipient_ids = [u for u in requested if u in conversation.participants] + [me]

    forwarded = _forwarded(call) or ()
    message = post_message(
        state, call.origin(), conversation, me, body, recipient_ids=recipient_ids,
        attachment_ids=attachments, media_comment=media, forwarded=forwarded,
    )
    if included:
        state.conversations.share_messages(conversation, included, recipient_ids or list(conversation.participants))
    return JSONResponse(conversation_json(state, participant, call.base_url, ADDED, visible=True))


@api
async def add_recipients(call: Call):
    state, me = call.state, call.user.id
    participant = state.conversations.view(me, conversation_id(call))
    conversation = participant.conversation
    raw = call.params.list("recipients") or []
    if not raw:
        return JSONResponse({}, status_code=400)
    if conversation.private:
        # Canvas's model raises "can't add participants to a private conversation", uncaught.
        return errors.internal_error()
    resolved = resolve(state.world, me, raw)
    newcomers = [u for u in resolved.user_ids if u not in conversation.participants]
    if len(conversation.participants) + len(newcomers) > MAX_GROUP_CONVERSATION_SIZE + 1:
        return errors.attribute_errors(("recipients", "too many participants for group conversation"))
    add_people(state, call.origin(), conversation, me, newcomers)
    return JSONResponse(conversation_json(state, participant, call.base_url, ADDED, visible=True))


@api
async def remove_messages(call: Call):
    state = call.state
    participant = state.conversations.view(call.user.id, conversation_id(call))
    ids = _ints(call.params.list("remove"))
    if not call.params.has("remove"):
        return errors.errors_message("remove is missing")
    state.conversations.remove_messages(participant, ids)
    visible = visible_in_request_scope(call, participant)
    return JSONResponse(conversation_json(state, participant, call.base_url, UPDATED, visible=visible))


routes = [
    Route("/api/v1/conversations", create, methods=["POST"]),
    Route("/api/v1/conversations/batches", batches, methods=["GET"]),
    Route("/api/v1/conversations/{id:int}/add_message", add_message, methods=["POST"]),
    Route("/api/v1/conversations/{id:int}/add_recipients", add_recipients, methods=["POST"]),
    Route("/api/v1/conversations/{id:int}/remove_messages", remove_messages, methods=["POST"]),
]
