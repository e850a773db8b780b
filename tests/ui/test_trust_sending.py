"""A message is sent once whatever the user presses, and the user is told where it went.

Driven with keys in the real app against the sandbox; judged through the teacher's API.
"""

from __future__ import annotations

import dataclasses

from tests.conftest import user_client
from tests.ui.test_compose import choose, closed, open_composer, settle, started, type_text, wait_for_suggestion
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen

SIZE = (100, 32)


def make_app(sandbox, drafts_file, **client_options) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"), **client_options)
    return InboxApp(InboxSession(client, drafts=DraftStore(drafts_file, "acct")))


def copies(sandbox, conversation_id: int, body: str) -> int:
    with user_client(sandbox, "teacher") as api:
        messages = api.get(f"/api/v1/conversations/{conversation_id}", params={"auto_mark_as_read": "false"}).json()
    return sum(1 for m in messages["messages"] if m["body"] == body)


async def open_first(pilot) -> int:
    app = pilot.app
    row = app.list.current
    await pilot.press("enter")
    await async_wait_until(lambda: app.session.current is not None and app.session.current.id == row.id)
    await settle(pilot)
    return row.id


def set_knobs(sandbox, **knobs) -> None:
    """Slow the sandbox down (or make it fail) while it runs: the app signed in without it."""
    sandbox.state.knobs = dataclasses.replace(sandbox.state.knobs, **knobs)


async def send_slowly(pilot, sandbox, body: str) -> tuple[int, ComposeScreen]:
    """Open the first conversation, reply with ``body`` and press ctrl+s on a slow Canvas;
    returns once the composer says "Sending…"."""
    await started(pilot)
    cid = await open_first(pilot)
    screen = await open_composer(pilot, "r")
    await type_text(pilot, body)
    set_knobs(sandbox, latency_ms=800)
    await pilot.press("ctrl+s")
    await async_wait_until(lambda: screen.status_text.startswith("Sending"))
    return cid, screen


async def test_escape_during_a_slow_send_sends_once_and_leaves_no_draft(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1)
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        cid, screen = await send_slowly(pilot, sandbox, "Sent once")
        await pilot.press("escape")  # while "Sending…" shows
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        assert "background" in app.status.message
        await async_wait_until(lambda: app.status.message == "Reply sent", timeout=20)
        set_knobs(sandbox, latency_ms=0)
        assert app.session.load_draft(f"reply:{cid}") is None  # discarded once delivery was confirmed
        again = await open_composer(pilot, "r")  # the draft does not come back to be sent again
        assert again.draft.body == ""
        await pilot.press("escape")
        await closed(pilot)
    assert copies(sandbox, cid, "Sent once") == 1


async def test_a_send_in_flight_cannot_be_opened_and_sent_again(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1)
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        cid, screen = await send_slowly(pilot, sandbox, "Only one")
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        await pilot.press("r")  # the same reply, while it is still on its way
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        assert "still being sent" in app.status.message
        await async_wait_until(lambda: app.status.message == "Reply sent", timeout=20)
    assert copies(sandbox, cid, "Only one") == 1


async def test_while_the_client_retries_the_composer_says_retrying(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1)
    app = make_app(sandbox, tmp_path / "d.sqlite3", retry=RetryPolicy(attempts=5, base=0.2, cap=0.4))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await open_first(pilot)
        screen = await open_composer(pilot, "r")
        await type_text(pilot, "Through the storm")
        set_knobs(sandbox, fail_rate=1.0)
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: "retrying (2 of" in screen.status_text)
        assert "Cannot reach" not in screen.status_text
        set_knobs(sandbox, fail_rate=0.0)
        await closed(pilot)
        assert app.status.message == "Reply sent"
    assert copies(sandbox, cid, "Through the storm") == 1


def private_conversation_with(app, user_id: int):
    me = app.session.me_id
    return next(r for r in app.session.view.all() if r.private and set(r.audience) == {user_id}
                and {p.id for p in r.participants} <= {me, user_id} and r.context_code)


async def forward_another_of_that_course(pilot, old) -> ComposeScreen:
    """``f`` on another conversation of the same course as ``old``."""
    app = pilot.app
    other = next(r for r in app.session.view.rows if r.id != old.id and r.context_code == old.context_code)
    app.list.cursor = app.session.view.position(other.id)
    await pilot.press("enter")
    await async_wait_until(lambda: app.session.current is not None and app.session.current.id == other.id)
    await settle(pilot)
    return await open_composer(pilot, "f")


async def pick(pilot, screen, name: str, rid: str) -> None:
    await type_text(pilot, name)
    index = await wait_for_suggestion(screen, rid)
    await pilot.press(*["down"] * index, "enter")
    await async_wait_until(lambda: any(r.id == rid for r in screen.draft.to))


async def test_a_new_message_to_someone_already_written_to_says_where_it_goes_and_went(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await app.session.wait_loaded()
        old = private_conversation_with(app, 10)
        screen = await forward_another_of_that_course(pilot, old)
        await pick(pilot, screen, "Jane", "10")
        where = str(screen.query_one("#compose-where").content)
        assert "existing conversation" in where and old.subject in where  # said before sending
        screen.draft.body = "Goes into the old one"
        await pilot.press("ctrl+s")
        await closed(pilot)
        assert app.status.message.startswith("Sent into your existing conversation")
        assert "O opens it" in app.status.message
        await pilot.press("O")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == old.id)
    assert copies(sandbox, old.id, "Goes into the old one") == 1


async def test_start_a_new_conversation_keeps_it_apart(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await app.session.wait_loaded()
        old = private_conversation_with(app, 10)
        screen = await forward_another_of_that_course(pilot, old)
        await pick(pilot, screen, "Jane", "10")
        assert screen.query_one("#compose-where").display
        await choose(pilot, screen, "new_separate")
        assert not screen.query_one("#compose-where").display  # nothing existing to warn of now
        screen.draft.subject = "Field trip"
        screen.draft.body = "A new thread"
        await pilot.press("ctrl+s")
        await closed(pilot)
        assert app.status.message.startswith("Sent as a new conversation “Field trip”"), app.status.message
        landed = app.session.last_landing
        assert landed is not None and landed != old.id
    assert copies(sandbox, old.id, "A new thread") == 0
    assert copies(sandbox, landed, "A new thread") == 1


async def test_the_text_cannot_change_while_it_is_being_sent(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1)
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        cid, screen = await send_slowly(pilot, sandbox, "As sent")
        await type_text(pilot, " and more")  # typed while it goes: it would be lost with the composer
        assert screen.query_one("#body").text == "As sent"
        await closed(pilot)
        set_knobs(sandbox, latency_ms=0)
    assert copies(sandbox, cid, "As sent") == 1
