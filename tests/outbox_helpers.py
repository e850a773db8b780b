"""Driving the app with its Outbox: a sandbox behind a cable, an app on a data folder, the API to judge."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import user_client
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp

SIZE = (100, 32)


def port_of(sandbox) -> int:
    return int(sandbox.base_url.rsplit(":", 1)[1])


def make_app(base_url: str, sandbox, drafts_file: Path, *, send_delay: float = 0.0) -> InboxApp:
    # Two quick attempts: an unreachable Canvas is known in a moment, not after the usual back-off.
    client = CanvasClient(base_url, sandbox.info.token_of("teacher"), retry=RetryPolicy(attempts=2, base=0.01, cap=0.02))
    session = InboxSession(client, drafts=DraftStore(drafts_file, "acct"), send_delay=send_delay,
                           outbox_retry_seconds=0.1)
    return InboxApp(session)


def conversation(sandbox, cid: int) -> dict | None:
    with user_client(sandbox, "teacher") as api:
        answer = api.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "false"})
    return answer.json() if answer.status_code == 200 else None


def copies(sandbox, cid: int, body: str) -> int:
    found = conversation(sandbox, cid)
    return sum(1 for m in (found or {}).get("messages", []) if m["body"] == body)


async def started(pilot) -> None:
    app = pilot.app
    await async_wait_until(lambda: app.session.me is not None and app.session.view.loaded
                           and app.session.unread_count is not None and not app.status.running)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def to_row(pilot, index: int) -> int:
    await pilot.press("g", *["j"] * index)
    assert pilot.app.list.cursor == index
    return pilot.app.list.current.id


async def reply(pilot, body: str) -> None:
    """r on the row under the cursor, type ``body``, ctrl+s; returns once the composer has closed."""
    from tui_inbox.ui.screens.compose import ComposeScreen

    app = pilot.app
    await pilot.press("r")
    screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
    await pilot.pause()
    await pilot.press(*body)
    await pilot.press("ctrl+s")
    await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen), timeout=20)
    return screen
