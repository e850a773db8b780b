"""Two Canvas schools on loopback, for the tests of several accounts in one inbox.

State University is the seeded sandbox (seed 1); Riverbend Community College is the sandbox's
second institution (``--institution 2``: other people, other courses, ids on another shard, and
the same small conversation numbers in places, on purpose). Margaret Okafor teaches at both.
Each account's requests go through a ``Recording`` transport, so a test can say which token
went to which host.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import FIXED_NOW, user_client
from tui_inbox.canvas import CanvasClient, RetryPolicy

STATE, COLLEGE = "state", "river"
FAST = RetryPolicy(attempts=2, base=0.001, cap=0.01, throttle_floor=0.001)  # a stopped school is said at once


class Recording(httpx.AsyncBaseTransport):
    """A real HTTP transport that remembers every request (its URL and its Authorization header)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Unplugged(httpx.AsyncBaseTransport):
    """A network cable: while ``down``, every request fails to connect (as a school that cannot be
    reached); then the sandbox answers again on the same address, which a stopped sandbox cannot do."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_schools(make_sandbox):
    """(State University, Riverbend Community College), both with their clocks at FIXED_NOW."""
    return make_sandbox(seed=1, now=FIXED_NOW), make_sandbox(now=FIXED_NOW, institution=2)


def teacher_token(sandbox) -> str:
    return next(u["token"] for u in sandbox.info.users if u["role"] == "teacher")


def two_school_app(schools, tmp_path: Path, recordings: dict[str, Recording] | None = None, *, feeds=None,
                   transports: dict | None = None, **kwargs):
    """The real app with one account at each school: one session each, its own drafts store."""
    from tui_inbox.inbox.accounts import Accounts
    from tui_inbox.inbox.session import InboxSession
    from tui_inbox.store.drafts import DraftStore
    from tui_inbox.ui.app import InboxApp

    sessions = []
    for name, school in zip((STATE, COLLEGE), schools):
        transport = recordings.setdefault(name, Recording()) if recordings is not None else None
        transport = (transports or {}).get(name, transport)
        client = CanvasClient(school.base_url, teacher_token(school), transport=transport, retry=FAST)
        drafts = DraftStore(tmp_path / f"drafts-{name}.sqlite3", name)
        sessions.append((name, InboxSession(client, drafts=drafts, clock=lambda: FIXED_NOW)))
    kwargs.setdefault("downloads", Path("/downloads"))
    kwargs.setdefault("clock", lambda: FIXED_NOW)
    return InboxApp(Accounts(sessions), feeds=feeds, **kwargs)


def api(school) -> httpx.Client:
    return httpx.Client(base_url=school.base_url, headers={"Authorization": f"Bearer {teacher_token(school)}"},
                        timeout=10)


def scope_ids(school, scope: str) -> set[int]:
    with api(school) as client:
        body = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"}).json()
    return set(body["conversation_ids"])


def close_stores(app) -> None:
    for member in app.accounts:
        if member.session.drafts is not None:
            member.session.drafts.close()


async def both_ready(pilot) -> None:
    """Every account started (or failed, its state said), the merged list loaded, nothing running."""
    from tests.conftest import settle
    from tests.waiting import async_wait_until
    from tui_inbox.inbox.accounts import AccountState

    app = pilot.app
    await async_wait_until(lambda: all(m.state is not AccountState.STARTING for m in app.accounts)
                           and app.merged.loaded and len(app.list.rows) > 0 and not app.status.running)
    await settle(pilot)


def write_to_teacher(school, body: str, subject: str) -> int:
    """A student of the school writes to its teacher; the conversation's id (the teacher's copy's too)."""
    with api(school) as teacher:
        me = teacher.get("/api/v1/users/self").json()["id"]
    with user_client(school, "student") as student:
        created = student.post("/api/v1/conversations", data={"recipients[]": [str(me)], "body": body,
                                                              "subject": subject})
        assert created.status_code in (200, 201), created.text
        return created.json()[0]["id"]


def accounts_shown(app) -> set[str]:
    """The accounts whose rows the list shows."""
    return {app.list.account(i) for i in range(len(app.list.rows))}
