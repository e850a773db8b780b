"""Reading conversations and changing one user's view of them (canvas-api.md sections 1, 2, 4)."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.routing import Route

from . import errors
from .conversation_json import INDEX, SHOW, UPDATED, conversation_json, wants_uuids
from .conversations import SCOPES, Participant
from .endpoint import Call, NotFound, api
from .pagination import paginate
from .params import parse_bool


def read_filters(call: Call) -> tuple[tuple[str, ...], str] | JSONResponse:
    """``filter[]``/``filter`` and ``filter_mode``; an empty filter means no filter."""
    filters = tuple(f for f in (call.params.list("filter", split_commas=False) or []) if f)
    mode = call.params.get("filter_mode") or "or"
    if mode not in ("or", "and", "default"):
        return errors.attribute_errors(("filter_mode", "invalid"))
    return filters, "and" if mode == "and" else "or"


def read_scope(call: Call) -> str:
    scope = call.params.get("scope") or "inbox"
    return scope if scope in SCOPES else "inbox"


def visible_in_request_scope(call: Call, participant: Participant) -> bool:
    """The ``visible`` flag of create/update answers: in the scope and filter the client named."""
    filtered = read_filters(call)
    if isinstance(filtered, JSONResponse):
        filtered = ((), "or")
    filters, mode = filtered
    if not participant.in_scope(read_scope(call)):
        return False
    return not filters or call.state.conversations.matches_filters(participant, filters, mode)


@api
async def index(call: Call):
    filtered = read_filters(call)
    if isinstance(filtered, JSONResponse):
        return filtered
    filters, mode = filtered
    rows = call.state.conversations.listing(call.user.id, read_scope(call), filters, mode)
    page, headers = paginate(call, rows)
    avatars = "participant_avatars" in (call.params.list("include") or [])
    items = [conversation_json(call.state, p, call.base_url, INDEX, include_avatars=avatars, include_uuids=wants_uuids(call))
             for p in page]
    if call.params.bool("include_all_conversation_ids"):
        body = {"conversations": items, "conversation_ids": [p.conversation.id for p in rows]}
        return JSONResponse(body, headers=headers)
    return JSONResponse(items, headers=headers)


def conversation_id(call: Call) -> int:
    return int(call.request.path_params["id"])


@api
async def show(call: Call):
    store = call.state.conversations
    participant = store.view(call.user.id, conversation_id(call))
    if participant.message_count == 0:
        raise NotFound(participant.conversation.id)
    if parse_bool(call.params.get("auto_mark_as_read"), True) and participant.workflow_state == "unread":
        store.set_state(participant, workflow_state="read")
    visible = visible_in_request_scope(call, participant)
    return JSONResponse(conversation_json(call.state, participant, call.base_url, SHOW, visible=visible))


@api
async def update(call: Call):
    store = call.state.conversations
    participant = store.view(call.user.id, conversation_id(call))
    changes = call.params.nested("conversation")
    if not changes:
        return errors.errors_message("conversation is missing")
    state = changes.get("workflow_state")
    starred = parse_bool(changes["starred"]) if "starred" in changes else None
    subscribed = parse_bool(changes["subscribed"]) if "subscribed" in changes else None
    store.set_state(
        participant,
        workflow_state=state if state in ("read", "unread", "archived") else None,
        starred=starred,
        subscribed=subscribed,
    )
    visible = visible_in_request_scope(call, participant)
    return JSONResponse(conversation_json(call.state, participant, call.base_url, UPDATED, visible=visible))


@api
async def destroy(call: Call):
    store = call.state.conversations
    participant = store.view(call.user.id, conversation_id(call))
    store.remove_messages(participant, None)
    body = conversation_json(call.state, participant, call.base_url, UPDATED, visible=False)
    body["audience_contexts"] = {"courses": {}, "groups": {}}
    return JSONResponse(body)


@api
async def delete_for_all(call: Call):
    # Canvas checks the site admin's "become user" right before it looks the conversation
    # up, so any id answers the same; no sandbox user is a site admin.
    return errors.unauthorized()


@api
async def unread_count(call: Call):
    # A string, for backwards compatibility (canvas-api.md section 4).
    return JSONResponse({"unread_count": str(call.state.conversations.unread_count(call.user.id))})


@api
async def mark_all_as_read(call: Call):
    call.state.conversations.mark_all_read(call.user.id)
    return JSONResponse({})


routes = [
    Route("/api/v1/conversations", index, methods=["GET"]),
    Route("/api/v1/conversations/unread_count", unread_count, methods=["GET"]),
    Route("/api/v1/conversations/mark_all_as_read", mark_all_as_read, methods=["POST"]),
    Route("/api/v1/conversations/{id:int}", show, methods=["GET"]),
    Route("/api/v1/conversations/{id:int}", update, methods=["PUT", "PATCH"]),
    Route("/api/v1/conversations/{id:int}", destroy, methods=["DELETE"]),
    Route("/api/v1/conversations/{id}/delete_for_all", delete_for_all, methods=["DELETE"]),
]
