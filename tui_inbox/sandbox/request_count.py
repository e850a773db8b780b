"""How many requests reached the sandbox, by method and path.

A client's behaviour is judged from the server's side, as Canvas would see it: a test can tell
that an app refetched its list (or did not) without wrapping the app's HTTP client.
"""

from __future__ import annotations

from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send


class RequestCountMiddleware:
    def __init__(self, app: ASGIApp, counts: Counter) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counts[(scope["method"], scope["path"])] += 1
        await self.app(scope, receive, send)
