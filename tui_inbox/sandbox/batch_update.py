"""``PUT /api/v1/conversations``: a batch update that runs in the background behind a Progress.

Like Canvas's ProgressRunner it goes queued, running, completed (or failed if nothing
succeeded), updating ``completion`` every max(n/20, 4) items, and ends with the message
"N conversations processed" plus one line per error naming the ids it hit.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.routing import Route

from . import errors
from .conversations import BATCH_EVENTS
from .endpoint import Call, NotFound, api, path_int
from .progress import Progress
from .state import SandboxState

MAX_IDS = 500
NOT_PARTICIPATING = "The user is not participating in this conversation"


@api
async def batch_update(call: Call):
    raw = call.params.list("conversation_ids")
    if not raw:
        return errors.message_error("conversation_ids not specified")
    if len(raw) > MAX_IDS:
        return errors.message_error(f"conversation batch size limit ({MAX_IDS}) exceeded")
    event = call.params.get("event")
    if not event:
        return errors.message_error("event not specified")
    if event not in BATCH_EVENTS:
        return errors.message_error("invalid event")
    progress = call.state.progress.create(call.user.id, "conversation_batch_update")
    call.state.spawn(run(call.state, progress, call.user.id, raw, event))
    return JSONResponse(progress.as_json(call.base_url))


async def run(state: SandboxState, progress: Progress, user_id: int, raw_ids: list[str], event: str) -> None:
    store, tracker = state.conversations, state.progress
    await asyncio.sleep(state.knobs.batch_item_seconds * 10)  # a queued job waits for a worker
    if progress.workflow_state == "failed":  # cancelled while queued
        return
    tracker.update(progress, workflow_state="running")
    total = len(raw_ids)
    step = max(total // 20, 4)
    failures: dict[str, list[str]] = {}
    succeeded = 0
    for done, raw in enumerate(raw_ids, start=1):
        if progress.workflow_state == "failed":  # cancelled through the API
            return
        try:
            participant = store.view(user_id, int(raw))
        except Exception:  # a non-numeric id is a conversation the user is not part of either
            failures.setdefault(NOT_PARTICIPATING, []).append(str(raw))
        else:
            store.apply_event(participant, event)
            succeeded += 1
        if done % step == 0 or done == total:
            tracker.update(progress, completion=round(100.0 * done / total, 1))
            await asyncio.sleep(state.knobs.batch_item_seconds * step)
    lines = [f"{succeeded} conversations processed"]
    lines += [f"{error}: {', '.join(ids)}" for error, ids in failures.items()]
    tracker.update(
        progress,
        completion=100.0,
        workflow_state="completed" if succeeded else "failed",
        message="\n".join(lines),
    )


def _own(call: Call) -> Progress:
    progress = call.state.progress.items.get(path_int(call, "id"))
    if progress is None or progress.user_id != call.user.id:
        raise NotFound()
    return progress


@api
async def show_progress(call: Call):
    return JSONResponse(_own(call).as_json(call.base_url))


@api
async def cancel_progress(call: Call):
    progress = _own(call)
    if progress.workflow_state in ("queued", "running"):
        call.state.progress.update(progress, workflow_state="failed", message="canceled")
    return JSONResponse(progress.as_json(call.base_url))


routes = [
    Route("/api/v1/conversations", batch_update, methods=["PUT"]),
    Route("/api/v1/progress/{id}", show_progress, methods=["GET"]),
    Route("/api/v1/progress/{id}/cancel", cancel_progress, methods=["POST"]),
]
