"""``GET /.well-known/tui-inbox.json``: what an app needs to join this school, in one request.

``tui-inbox init --school https://relay.school.edu`` reads it and signs in: the school's
Canvas, the developer key's client id (the admin made one for the app; null when the relay
was not given one, and the app then offers a pasted token), and the live URL. The live URL
is this relay's ``/live`` at the address the app used to reach it (``wss`` when that was
``https``): behind a TLS proxy the relay's own bound address is not what users can reach,
and uvicorn already applies the proxy's X-Forwarded-Proto (from a trusted proxy) to the
request's scheme.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PATH = "/.well-known/tui-inbox.json"


def live_url_for(request: Request) -> str:
    scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{request.url.netloc}/live"


def discovery_route(canvas_url: str, client_id: str | None) -> Route:
    async def document(request: Request) -> Response:
        return JSONResponse({"canvas_url": canvas_url, "client_id": client_id, "live_url": live_url_for(request)},
                            headers={"Cache-Control": "public, max-age=300"})

    return Route(PATH, document, methods=["GET"])
