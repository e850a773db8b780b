"""The real app (launch.build_app) on a data folder of the test's own, for the cache tests."""

from __future__ import annotations

from pathlib import Path

import httpx

from tui_inbox.config import Config
from tui_inbox.launch import Account, build_app


def cached_app(base_url: str, token: str, data: Path, *, poll_seconds: float = 0.2):
    """The app as ``tui-inbox`` builds it, its drafts and cache in ``data``, polling Canvas
    every ``poll_seconds`` (no live stream): the poll is what notices Canvas is back."""
    config = Config()
    config.live.poll_seconds = poll_seconds
    account = Account(base_url, token, None, False)
    return build_app(config, account, user_id=1, drafts_path=data / "drafts.sqlite3", drafts_account="acct")


class Counting(httpx.AsyncBaseTransport):
    """The real transport, counting the requests that reach it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
