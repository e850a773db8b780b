"""The live-event websocket (``/live``), as /work/shared/live-stream.md defines it.

One connection per client: the handshake is authenticated like any API call, and a
bad or missing token is refused with Canvas's 401 body *before* the upgrade, so a
client never mistakes a refused stream for a quiet one. After that the connection
only forwards what ``state.hub`` queues for its user; who may see an event was
decided when it was published (messaging.py), never here.

Every event frame carries a top-level ``"id"`` (event_history.py). A handshake with
``Last-Event-ID`` is first sent, in order, every later event its user may see, then the live
ones; when the history cannot say (an id too old, unknown or malformed) it is sent one
``{"resync": true}`` frame first instead. Without the header nothing is replayed.

Keepalive is the server's websocket ping/pong (uvicorn's ``ws_ping_interval`` in
server.py), not an application-level heartbeat frame.
"""

from __future__ import annotations

import asyncio
import json

from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from ..serving import refuse
from .endpoint import authenticate
from .state import SandboxState

async def live(websocket: WebSocket) -> None:
    state: SandboxState = websocket.app.state.sandbox
    user = authenticate(websocket, state)  # reads only headers and query, like the API
    if isinstance(user, Response):
        await refuse(websocket, user)
        return
    # Subscribe before accepting: once the client sees the handshake complete, every
    # later event for this user is already on its way to the queue.
    last_id = websocket.headers.get("last-event-id", "").strip()
    if last_id:
        missed, queue = state.hub.resume(user.id, last_id)
    else:  # a first connect: nothing to replay (the client fetches over REST)
        missed, queue = [], state.hub.subscribe(user.id, with_ids=True)
    try:
        await websocket.accept()
        forward = asyncio.ensure_future(_forward(websocket, missed, queue))
        drain = asyncio.ensure_future(_drain(websocket))
        # Whichever ends first (the client left, or a send failed) ends the connection.
        _, pending = await asyncio.wait({forward, drain}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        state.hub.unsubscribe(user.id, queue)


async def _forward(websocket: WebSocket, missed: list[tuple[str, dict]] | None, queue: asyncio.Queue) -> None:
    """What was missed (or one resync frame), then one event, one text frame, in arrival order."""
    first = [RESYNC] if missed is None else [frame(event_id, event) for event_id, event in missed]
    for text in first:
        if not await _send(websocket, text):
            return
    while True:
        event_id, event = await queue.get()
        if not await _send(websocket, frame(event_id, event)):
            return


async def _send(websocket: WebSocket, text: str) -> bool:
    try:
        await websocket.send_text(text)
        return True
    except Exception:  # the peer is gone (ClientDisconnected, closed transport)
        return False


def frame(event_id: str, event: dict) -> str:
    """The event as the seeds have it, with the stream's id beside its metadata and body."""
    return json.dumps({"id": event_id, **event}, ensure_ascii=False)  # a bad event is a bug: let it show


async def _drain(websocket: WebSocket) -> None:
    """Read and ignore client frames; returning means the client disconnected.

    Reading is also what lets the server notice a closed connection promptly: the
    disconnect message arrives on this channel, not on the sending side.
    """
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


RESYNC = json.dumps({"resync": True})

routes = [WebSocketRoute("/live", live)]
