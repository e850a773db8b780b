"""Canvas's media download, for the media comments of messages.

``GET /users/:user_id/media_download?entryId=...&type=mp4&redirect=1`` is the URL Canvas puts
in a message's ``media_comment``. Canvas asks its media server (Kaltura) for the entry's
preferred flavor and redirects there, or with ``redirect`` other than 1 answers
``{"url": ...}``; an entry it cannot find is a plain 404 "Could not find download URL". The
route takes no token, as the media server's link does not; the sandbox plays the media
server itself under ``/media_server/``, with a few bytes of an MP4 (an ``ftyp`` box) per entry.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .state import SandboxState


def _media_comment(state: SandboxState, entry_id: str) -> dict | None:
    """The media comment of some message with this entry id, if there is one."""
    for message in state.conversations.messages.values():
        media = message.media_comment
        if media and media.get("media_id") == entry_id:
            return media
    return None


def _flavor_path(entry_id: str, extension: str) -> str:
    return f"/media_server/p/entry/{entry_id}/flavor.{extension}"


async def media_download(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    entry_id = request.query_params.get("entryId", "")
    extension = request.query_params.get("type") or "mp4"
    if not extension.isalnum() or _media_comment(state, entry_id) is None:
        return PlainTextResponse("Could not find download URL", status_code=404)
    url = str(request.base_url).rstrip("/") + _flavor_path(entry_id, extension)
    if request.query_params.get("redirect") == "1":
        return RedirectResponse(url, status_code=302)
    return JSONResponse({"url": url})


def flavor_bytes(entry_id: str) -> bytes:
    """A recognisable MP4 start (an ``ftyp`` box) followed by the entry id: what the tests check on disk."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + entry_id.encode()


async def flavor(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    entry_id = request.path_params["entry_id"]
    media = _media_comment(state, entry_id)
    if media is None:
        return PlainTextResponse("Not Found", status_code=404)
    return Response(flavor_bytes(entry_id), media_type=media.get("content-type") or "video/mp4")


routes = [
    Route("/users/{user_id}/media_download", media_download, methods=["GET"]),
    Route("/media_server/p/entry/{entry_id}/flavor.{extension}", flavor, methods=["GET"]),
]
