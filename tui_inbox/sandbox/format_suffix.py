"""Rails' format suffix: ``/api/v1/conversations.json`` is the same request as ``/api/v1/conversations``.

Every Canvas route carries an optional ``(.:format)``, so clients (and old scripts) that
append ``.json`` reach the same action, ids included (``/api/v1/conversations/5.json``).
The suffix is taken off before routing, so every route module answers it without
declaring it twice, and the Link headers built from the request name the plain path,
as Canvas builds them from its route helpers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

SUFFIX = ".json"


class FormatSuffixMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            # "/api/v1/.json" has no resource before the suffix: left to answer 404.
            if path.startswith("/api/") and path.endswith(SUFFIX) and not path.endswith("/" + SUFFIX):
                scope = dict(scope)
                scope["path"] = path[: -len(SUFFIX)]
                raw = scope.get("raw_path")
                if isinstance(raw, bytes) and raw.endswith(SUFFIX.encode()):
                    scope["raw_path"] = raw[: -len(SUFFIX)]
        await self.app(scope, receive, send)
