"""Bulk triage from the keyboard, checked through the Canvas API rather than the screen."""

from __future__ import annotations

import httpx
import pytest

from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.query import QueryError, compile_query, parse
from tui_inbox.inbox.session import InboxSession
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.confirm import ConfirmScreen


def api(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"})


def scope_ids(client: httpx.Client, scope: str) -> set[int]:
    body = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"}).json()
    return set(body["conversation_ids"])


def states(client: httpx.Client) -> dict[int, tuple[str, bool]]:
    """Every conversation's (workflow_state, starred) for the teacher."""
    out = {}
    for scope in ("inbox", "archived"):
        page = 1
        while rows := client.get("/api/v1/conversations", params={"scope": scope, "per_page": 100, "page": page}).json():
            out.update({r["id"]: (r["workflow_state"], r["starred"]) for r in rows})
            page += 1
    return out


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def make_app(sandbox) -> InboxApp:
    return InboxApp(InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))))


async def test_x_and_visual_range_select_exactly_those_rows_and_undo_puts_them_back(sandbox):
    with api(sandbox) as client:
        before = states(client)
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            rows = [r.id for r in app.list.rows]
            # x selects and moves down: rows 0 and 2, then a visual range over rows 4 to 6.
            await pilot.press("x", "j", "x", "j", "V", "j", "j", "V")
            expected = {rows[0], rows[2], rows[4], rows[5], rows[6]}
            assert {cid for _, cid in app.merged_triage.selected} == expected
            assert app.status.selection == 5
            await pilot.press("a")
            await settle(pilot)
            assert "Archived 5 conversations" in app.status.message
            after = states(client)
            changed = {cid for cid in before if before[cid] != after[cid]}
            assert changed == expected and all(after[c][0] == "archived" for c in expected)
            assert not expected & {r.id for r in app.list.rows}  # they left the Inbox at once
            await pilot.press("u")
            await settle(pilot)
            assert states(client) == before


async def test_star_everything_by_star_key_then_undo(sandbox):
    with api(sandbox) as client:
        before = states(client)
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("asterisk")
            await settle(pilot)
            inbox = scope_ids(client, "inbox")
            assert {cid for _, cid in app.merged_triage.selected} == inbox
            await pilot.press("s")
            await settle(pilot)
            assert scope_ids(client, "starred") >= inbox
            await pilot.press("u")
            await settle(pilot)
            assert states(client) == before


async def test_select_by_pattern_then_mark_read_and_repeat(sandbox):
    with api(sandbox) as client:
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            unread_bio = {r.id for r in app.session.view.all()
                          if r.workflow_state == "unread" and app.session.course_label(r) == "BIO 101"}
            await pilot.press("T", *"is:unread course:bio", "enter")
            await pilot.pause()
            assert {cid for _, cid in app.merged_triage.selected} == unread_bio and unread_bio
            await pilot.press("m")
            await settle(pilot)
            assert not unread_bio & scope_ids(client, "unread")
            # "." repeats mark-read on a new selection.
            await pilot.press("T", *"is:unread", "enter")
            await pilot.pause()
            remaining = {cid for _, cid in app.merged_triage.selected}
            await pilot.press("full_stop")
            await settle(pilot)
            assert remaining and not remaining & scope_ids(client, "unread")
            assert client.get("/api/v1/conversations/unread_count").json()["unread_count"] == "0"
            assert app.session.unread_count == 0  # the badge was fetched again


async def test_a_pattern_error_is_shown_where_it_is_typed_and_selects_nothing(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("T", *"is:urnead", "enter")
        await pilot.pause()
        error = str(app.query_one("#search-error").render())
        assert "is:urnead is not a state" in error
        assert app.merged_triage.count == 0


async def test_delete_asks_first_and_cancel_leaves_everything(sandbox):
    with api(sandbox) as client:
        before = states(client)
        app = make_app(sandbox)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("x", "x", "d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert app.screen.title_text == "Delete 2 conversations?"
            assert any("cannot be undone" in line for line in app.screen.lines)
            await pilot.press("n")
            await settle(pilot)
            assert states(client) == before
            await pilot.press("d", "y")
            await settle(pilot)
            gone = set(before) - set(states(client))
            assert len(gone) == 2
            await pilot.press("u")
            await settle(pilot)
            assert app.status.message == "Delete cannot be undone."


async def test_more_than_500_go_in_several_batch_requests_and_failures_are_reported(make_sandbox):
    sandbox = make_sandbox(conversations=1200)
    session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")))
    await session.start()
    await session.wait_loaded()
    ids = [r.id for r in session.view.all()][:1100]
    requests: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.method == "PUT" and request.url.path == "/api/v1/conversations":
            requests.append(request.url.path)

    session.client.http._http.event_hooks["request"].append(count)
    line = await session.triage.act("archive", ids + [999_999], verb="archive")
    assert len(requests) == 3  # ceil(1101 / 500)
    assert line.startswith("Archived 1,100 conversations; 1 failed: The user is not participating in this conversation")
    with api(sandbox) as client:
        assert set(ids) <= scope_ids(client, "archived")
    await session.client.aclose()


async def test_rows_whose_change_failed_come_back(make_sandbox):
    sandbox = make_sandbox()
    session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")))
    await session.start()
    ids = [r.id for r in session.view.rows[:3]]
    sandbox.stop()  # Canvas goes away mid-triage
    line = await session.triage.act("archive", ids, verb="archive")
    assert "3 failed" in line
    assert [r.id for r in session.view.rows[:3]] == ids
    await session.client.aclose()


@pytest.mark.parametrize("text", ["is:unread", "-is:read from:jane", 'course:"Introduction to Biology"',
                                  "has:attachment newer:52w", "subject:lab older:1h", "grade"])
def test_patterns_parse(text):
    assert parse(text)


@pytest.mark.parametrize("text, fragment", [("is:nope", "not a state"), ("older:3 days", "not an age"),
                                            ('subject:"open', "no closing quote"), ("form:jane", "did you mean from:")])
def test_pattern_errors_say_what_is_wrong(text, fragment):
    with pytest.raises(QueryError, match=fragment):
        compile_query(text, me=1, now=lambda: None, course_of=lambda c: None)
