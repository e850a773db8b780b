"""Trust in triage: undo puts back everything an action changed, on Canvas and on screen; a key
acts on the conversation the user is looking at; a selection never grows by itself.

Each test drives the real app with keys against the sandbox and judges through the teacher's
own API client (not the app's).
"""

from __future__ import annotations

import dataclasses

import httpx

from tests.ui.test_live_app import client_for, live_app
from tests.ui.test_triage import api, scope_ids, states
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.inbox.session import InboxSession
from tui_inbox.ui.app import InboxApp


async def settle(pilot) -> None:
    app = pilot.app
    await app.workers.wait_for_complete()
    await app.session.wait_loaded()
    await app.workers.wait_for_complete()
    await pilot.pause()


def make_app(sandbox, **client_options) -> InboxApp:
    return InboxApp(InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"), **client_options)))


def rail_count(app, mailbox: str) -> int | None:
    return app.counts()[mailbox]


async def test_undo_of_archive_puts_rows_back_on_screen_at_their_place(sandbox):
    with api(sandbox) as client:
        before = states(client)
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            order = [r.id for r in app.session.view.rows]
            total = rail_count(app, "inbox")
            await pilot.press("x", "x", "x", "x", "x", "a")
            await settle(pilot)
            assert rail_count(app, "inbox") == total - 5
            await pilot.press("u")
            await settle(pilot)
            assert states(client) == before
            # At once, without ctrl+r: the rail's count and the rows, each at its place.
            assert rail_count(app, "inbox") == total
            assert [r.id for r in app.session.view.rows] == order
            assert [r.id for r in app.list.rows] == order


async def test_select_all_archive_undo_leaves_nothing_archived(sandbox):
    with api(sandbox) as client:
        before = states(client)
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            total = rail_count(app, "inbox")
            # First a small archive and undo, then everything: the second must not miss the five.
            await pilot.press("x", "x", "x", "x", "x", "a")
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            await pilot.press("asterisk")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert rail_count(app, "inbox") == 0
            await pilot.press("u")
            await settle(pilot)
            assert states(client) == before
            assert rail_count(app, "inbox") == total
            assert app.status.message.startswith("Undone:")


async def test_undo_restores_conversations_that_were_not_loaded(sandbox):
    """``*`` selects by Canvas's ids; the action's earlier states must cover rows never loaded."""
    with api(sandbox) as client:
        before = states(client)
        # The first page only (no background load): most of the inbox is never loaded.
        session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")), first_page=200)
        app = InboxApp(session)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            loaded = {r.id for r in session.view.all()}
            session.view.replace([r for r in session.view.all()][:20])  # as if only one page had come
            assert len(scope_ids(client, "inbox")) > 20
            await pilot.press("asterisk")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert scope_ids(client, "inbox") == set()
            await pilot.press("u")
            await settle(pilot)
            assert states(client) == before
            assert {r.id for r in session.view.all()} == loaded  # read again: every row is back


def set_fail_rate(sandbox, rate: float) -> None:
    """Turn the sandbox's faults on or off while it runs (the app signs in without them)."""
    sandbox.state.knobs = dataclasses.replace(sandbox.state.knobs, fail_rate=rate)


async def test_undo_under_failures_puts_every_conversation_back(sandbox):
    with api(sandbox) as client:
        before = states(client)
        # Few retries, so that some requests fail for good: half of those after Canvas made the change.
        app = make_app(sandbox, retry=RetryPolicy(attempts=2, base=0.001, cap=0.01))
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("asterisk")
            await settle(pilot)
            set_fail_rate(sandbox, 0.5)
            await pilot.press("a")
            await settle(pilot)
            for _ in range(20):  # u again while Canvas still refuses some; the line says so
                await pilot.press("u")
                await settle(pilot)
                if app.session.triage.last is None:
                    break
                assert "Press u to try again" in app.status.error
            assert app.session.triage.last is None, app.status.message
            set_fail_rate(sandbox, 0.0)
            assert states(client) == before


async def test_mark_everything_read_can_be_undone(sandbox):
    with api(sandbox) as client:
        unread = scope_ids(client, "unread")
        assert unread
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("M")
            await async_wait_until(lambda: app.screen.__class__.__name__ == "ConfirmScreen")
            await pilot.press("y")
            await settle(pilot)
            assert scope_ids(client, "unread") == set()
            await pilot.press("u")
            await settle(pilot)
            assert scope_ids(client, "unread") == unread
            assert {r.id for r in app.session.view.rows if r.workflow_state == "unread"} == unread


async def test_opening_in_unread_keeps_the_row_under_the_cursor_and_m_keeps_that_one_unread(sandbox):
    with api(sandbox) as client:
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            await pilot.press("j", "j")
            opened = app.list.current.id
            others = [r.id for r in app.list.rows if r.id != opened]
            await pilot.press("enter")
            await settle(pilot)
            assert app.session.current.id == opened
            assert app.list.current.id == opened  # still there, still under the cursor
            await pilot.press("m")
            await settle(pilot)
            assert opened in scope_ids(client, "unread")
            assert set(others) <= scope_ids(client, "unread")  # no other conversation was marked read


async def test_an_opened_row_leaves_unread_when_the_user_moves_on(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("j")
        opened = app.list.current.id
        following = app.list.rows[2].id
        await pilot.press("enter")
        await settle(pilot)
        assert opened in {r.id for r in app.list.rows}
        await pilot.press("j")  # moves on to the next row, and the read row leaves
        await settle(pilot)
        assert opened not in {r.id for r in app.list.rows}
        assert app.list.current.id == following


async def test_a_row_arriving_live_never_joins_a_visual_range(sandbox):
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded and not app.status.running)
        await app.session.wait_loaded()  # (the feed's worker never ends: wait on the loads, not on every worker)
        await pilot.press("g", "V", "j", "j")
        chosen = {cid for _, cid in app.merged_triage.selected}
        assert len(chosen) == 3
        outside = next(r for r in app.list.rows[5:] if any(p.id == 10 for p in r.participants))
        with client_for(sandbox, 10) as jane:  # someone writes: that conversation moves to the top
            response = jane.post(f"/api/v1/conversations/{outside.id}/add_message", data={"body": "Still there?"})
            assert response.status_code == 200
        await async_wait_until(lambda: app.list.rows[0].id == outside.id)
        await pilot.pause()
        assert {cid for _, cid in app.merged_triage.selected} == chosen
        assert app.status.selection == 3
        await pilot.press("j")  # extending goes on from where the range really is
        assert outside.id not in {cid for _, cid in app.merged_triage.selected}
        assert app.merged_triage.count == 4


class LostAnswer(httpx.AsyncBaseTransport):
    """Loopback HTTP to the sandbox, but the answer to mark-all-read is lost after Canvas acted."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.real.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/mark_all_as_read"):
            await response.aread()
            return httpx.Response(500, json={"errors": [{"message": "An error occurred."}]}, request=request)
        return response

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_mark_everything_read_is_undoable_even_when_its_answer_is_lost(sandbox):
    with api(sandbox) as client:
        unread = scope_ids(client, "unread")
        app = make_app(sandbox, transport=LostAnswer(), retry=RetryPolicy(attempts=1))
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("M")
            await async_wait_until(lambda: app.screen.__class__.__name__ == "ConfirmScreen")
            await pilot.press("y")
            await settle(pilot)
            assert scope_ids(client, "unread") == set()  # Canvas did it, though it answered 500
            assert "u puts them back" in app.status.error
            assert not any(r.workflow_state == "unread" for r in app.session.view.rows)  # the screen says so too
            await pilot.press("u")
            await settle(pilot)
            assert scope_ids(client, "unread") == unread
