"""Canvas's request id: one per HTTP request, on the answer and in the events it causes.

Canvas's ``RequestContext::Generator`` middleware (lib/request_context/generator.rb)
makes a UUID for every request before the app sees it, keeps it for the request's
thread, and sets it on the answer as ``X-Request-Context-Id`` whatever the status. The
live events the request causes carry it as ``metadata.request_id``
(``ApplicationController#setup_live_events_context``), so a subscriber can tell which
events came from one request and a client can find the events of its own.

A client may not choose the id: Canvas takes one from the request only when another
Instructure service signed it (``X-Request-Context-Signature``, an HMAC with Canvas's
secret), which no client of the sandbox can do, so the sandbox always makes its own.

The middleware sits inside the faults (a 503 "from the load balancer" never reached
Canvas and has no id) and outside the throttle (a throttled 403 is Canvas's answer
and has one).
"""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-Context-Id"
_KEY = "request_id"  # in the ASGI scope's "state", which Starlette's request.state reads


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request, or None outside one (a script, the activity)."""
    return (scope.get("state") or {}).get(_KEY)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the websocket is not Canvas's API; lifespan has no request
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})[_KEY] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[HEADER] = request_id  # replaces any a handler set: there is one id
            await send(message)

        await self.app(scope, receive, send_with_id)
