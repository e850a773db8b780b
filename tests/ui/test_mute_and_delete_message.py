"""Mute (``z``) and deleting one message (``d`` in the thread), driven with keys in the real app
against the sandbox and judged through the teacher's own API client (not the app's).

Canvas ignores ``subscribed`` on private conversations, so the app refuses those without
sending; deleting a conversation's last message removes the conversation for the user.
"""

from __future__ import annotations

import httpx

from tests.conftest import move_to, open_row, ready, row_index, settle
from tests.ui.test_live_app import client_for
from tests.ui.test_ui_journeys import api, state_of  # noqa: F401 (api is a fixture: the teacher, through the API)
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.parsing import as_datetime
from tui_inbox.inbox.formatting import full_date
from tui_inbox.inbox.session import InboxSession
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.confirm import ConfirmScreen
from tui_inbox.ui.widgets.conversation_row import MUTED_MARK
from tui_inbox.ui.widgets.thread_view import MessageBlock

SIZE = (120, 36)
GROUP = "Lab Group A: safety briefing"  # a group conversation, unread in the seed
PRIVATE = "Lab report extension"  # a private one
TWO_MESSAGES = "Question on stereochemistry"  # a group conversation of two messages, both human


def inbox_ids(api) -> set[int]:
    body = api.get("/api/v1/conversations", params={"include_all_conversation_ids": "true"}).json()
    return set(body["conversation_ids"])


def row_text(app, conversation_id: int) -> str:
    """The row as drawn on screen (its segments' text)."""
    index = next(i for i, row in enumerate(app.list.rows) if row.id == conversation_id)
    return app.list.render_line(index - int(app.list.scroll_offset.y)).text


def header(app) -> str:
    return str(app.thread.query_one(".thread-header").content)


class Recording(httpx.AsyncBaseTransport):
    """Loopback HTTP to the sandbox, remembering every request that changes something."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.writes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.writes.append(f"{request.method} {request.url.path}")
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


# -- mute --------------------------------------------------------------------------------------------------

async def test_z_mutes_a_group_conversation_and_z_again_unmutes_it(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        cid = await open_row(pilot, GROUP)
        assert state_of(api, cid)["subscribed"] is True
        assert MUTED_MARK not in row_text(app, cid)

        await pilot.press("z")
        await settle(pilot)
        assert state_of(api, cid)["subscribed"] is False
        assert MUTED_MARK in row_text(app, cid)
        assert "muted: new messages will not mark it unread" in header(app)
        assert app.status.message == "Muted 1 conversation"
        # Only the muted row carries the mark.
        assert sum(MUTED_MARK in app.list.render_line(y).text for y in range(app.list.size.height)) == 1

        await pilot.press("z")
        await settle(pilot)
        assert state_of(api, cid)["subscribed"] is True
        assert MUTED_MARK not in row_text(app, cid)
        assert "muted" not in header(app)


async def test_u_unmutes_and_puts_back_the_unread_state_canvas_cleared(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = row_index(app, GROUP)
        cid = app.list.rows[index].id
        assert state_of(api, cid)["workflow_state"] == "unread"
        unread = app.session.unread_count
        await move_to(pilot, index)

        await pilot.press("z")
        await settle(pilot)
        muted = state_of(api, cid)
        assert (muted["subscribed"], muted["workflow_state"]) == (False, "read")  # Canvas marks it read
        assert app.session.unread_count == unread - 1

        await pilot.press("u")
        await settle(pilot)
        back = state_of(api, cid)
        assert (back["subscribed"], back["workflow_state"]) == (True, "unread")
        assert MUTED_MARK not in row_text(app, cid)
        assert app.session.row(cid).unread
        assert app.session.unread_count == unread
        assert app.status.message.startswith("Undone: 1 conversation")


async def test_z_on_a_private_conversation_says_canvas_refuses_and_sends_nothing(fixed_sandbox, api, utc):
    transport = Recording()
    client = CanvasClient(fixed_sandbox.base_url, fixed_sandbox.info.token_of("teacher"), transport=transport)
    app = InboxApp(InboxSession(client))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = row_index(app, PRIVATE)
        cid = app.list.rows[index].id
        await move_to(pilot, index)
        transport.writes.clear()

        await pilot.press("z")
        await settle(pilot)
        assert transport.writes == []
        assert "Canvas does not mute private" in app.status.error
        assert "nothing was sent" in app.status.error
        assert state_of(api, cid)["subscribed"] is True
        assert MUTED_MARK not in row_text(app, cid)


# -- deleting one message -------------------------------------------------------------------------------

def message_ids(conversation: dict) -> list[int]:
    return [m["id"] for m in conversation["messages"]]


async def test_d_in_the_thread_deletes_the_message_under_the_cursor_then_the_last_one_takes_the_conversation(
        make_inbox_app, api, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        cid = await open_row(pilot, TWO_MESSAGES)
        newest, oldest = message_ids(state_of(api, cid))  # Canvas lists newest first
        other = next(p["id"] for p in state_of(api, cid)["participants"] if p["id"] != app.session.me_id)

        await pilot.press("tab")  # list -> thread
        assert app.focused is app.thread
        assert app.thread.cursor_message.id == newest  # oldest first: the cursor starts on the newest
        await pilot.press("K")
        assert app.thread.cursor_message.id == oldest
        highlighted = [b for b in app.thread.query(MessageBlock) if b.has_class("cursor")]
        assert highlighted == app.thread.units[0][1]  # the oldest, alone

        await pilot.press("d")
        confirm = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        said = "\n".join(confirm.lines)
        oldest_json = next(m for m in state_of(api, cid)["messages"] if m["id"] == oldest)
        first_words = " ".join(oldest_json["body"].split())[:20]
        assert first_words in said  # which message: its first line ...
        assert full_date(as_datetime(oldest_json["created_at"])) in said  # ... its date ...
        assert "your view only" in said
        await pilot.press("n")
        await settle(pilot)
        assert message_ids(state_of(api, cid)) == [newest, oldest]  # nothing without a yes

        await pilot.press("d")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot)
        assert message_ids(state_of(api, cid)) == [newest]  # gone for me, the other one still there
        with client_for(fixed_sandbox, other) as them:  # and the other person still has both
            theirs = them.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "false"}).json()
            assert [m["id"] for m in theirs["messages"]] == [newest, oldest]
        assert [m.id for m, _ in app.thread.units] == [newest]
        assert app.session.row(cid).message_count == 1
        assert app.status.message.startswith("Message deleted for you")

        await pilot.press("d")
        confirm = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert "last message" in "\n".join(confirm.lines)
        await pilot.press("y")
        await settle(pilot)
        assert api.get(f"/api/v1/conversations/{cid}").status_code == 404
        assert cid not in inbox_ids(api)
        assert cid not in {r.id for r in app.list.rows}
        assert app.thread.conversation is None and app.session.current is None  # the thread closed
        assert app.focused is app.list
        assert "the conversation is gone" in app.status.message


async def test_d_in_the_list_still_deletes_the_conversation(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_row(pilot, TWO_MESSAGES)
        assert app.focused is app.list
        await pilot.press("d")
        confirm = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert confirm.title_text == "Delete 1 conversation?"
        await pilot.press("n")
