"""A full data folder never costs the user their text, nor the app (issue 19, F1).

Real files on a real small filesystem: a tmpfs of a few hundred KB, mounted for the test and
filled to the last byte (tests/small_disk.py; skipped, saying why, where mounting is refused).
Before: the composer said "Could not save the draft: database or disk is full", `ctrl+s`
failed with "cannot rollback", `esc` ended the app with `NoMatches: '#compose-status'` and the
text was on neither disk nor Canvas; a full folder at start was a traceback; the search indexer
that filled the folder crashed the app with "cannot rollback".
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Input

from tests.conftest import user_client
from tests.small_disk import small_disk
from tests.ui.test_compose import SIZE, closed, make_app, open_composer, settle, started
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.compose import Draft
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.store.search_index import SearchIndex
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.screens.unsaved import UnsavedScreen

FULL = "database or disk is full"


@pytest.fixture
def disk(tmp_path):
    with small_disk(tmp_path / "data", size_kb=400) as mounted:
        yield mounted


def stored(app) -> str:
    return (app.session.load_draft("new") or Draft()).body


async def write_then_fill(pilot, disk) -> ComposeScreen:
    """A new message with "hello" on disk; then the folder fills and " world" cannot be saved."""
    screen = await open_composer(pilot)
    screen.query_one("#body").focus()
    await pilot.press(*"hello")
    await async_wait_until(lambda: stored(pilot.app) == "hello")
    disk.fill()
    await pilot.press(*" world")
    await async_wait_until(lambda: f"Could not save the draft: {FULL}" in screen.status_text)
    return screen


async def test_closing_on_text_it_could_not_save_writes_it_to_a_file_elsewhere(sandbox, disk, tmp_path):
    app = make_app(sandbox, disk.folder / "drafts.sqlite3")
    app.downloads = tmp_path / "elsewhere"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        composer = await write_then_fill(pilot, disk)
        await pilot.press("escape")
        question = await async_wait_until(lambda: app.screen if isinstance(app.screen, UnsavedScreen) else None)
        assert composer in app.screen_stack  # not closed on the text
        offered = question.query_one(Input).value
        assert offered.startswith(str(tmp_path / "elsewhere" / "tui-inbox-draft-")), offered
        await pilot.press("enter")
        await closed(pilot)
        written = list((tmp_path / "elsewhere").iterdir())
        assert len(written) == 1 and "hello world" in written[0].read_text()
        assert written[0].stat().st_mode & 0o777 == 0o600
        assert str(written[0]) in app.status.message


async def test_keep_trying_stays_and_saves_once_there_is_room(sandbox, disk):
    app = make_app(sandbox, disk.folder / "drafts.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        composer = await write_then_fill(pilot, disk)
        await pilot.press("escape")
        await async_wait_until(lambda: isinstance(app.screen, UnsavedScreen))
        await pilot.press("escape")  # keep trying
        await async_wait_until(lambda: app.screen is composer)
        assert "Not saved yet" in composer.status_text
        disk.free()
        await async_wait_until(lambda: stored(app) == "hello world")  # tried again on its own
        assert composer.status_text == "The draft is saved now."
        await pilot.press("escape")
        await closed(pilot)


async def test_quitting_with_text_it_could_not_save_neither_crashes_nor_loses_it(sandbox, disk, tmp_path):
    app = make_app(sandbox, disk.folder / "drafts.sqlite3")
    app.downloads = tmp_path / "elsewhere"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await write_then_fill(pilot, disk)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code in (0, None)
    written = list((tmp_path / "elsewhere").iterdir())
    assert len(written) == 1 and "hello world" in written[0].read_text()
    assert app.farewell == [f"the draft could not be saved ({FULL}); its text was written to {written[0]}"]


async def test_sending_when_the_outbox_cannot_hold_the_message_says_why_and_keeps_the_text(sandbox, disk):
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    session = InboxSession(client, drafts=DraftStore(disk.folder / "drafts.sqlite3", "acct"), send_delay=5)
    app = InboxApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("r")  # a reply to the conversation under the cursor
        composer = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.pause()
        await pilot.press(*"on its way")
        disk.fill()
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: "Not sent" in composer.status_text)
        assert FULL in composer.status_text and "cannot rollback" not in composer.status_text
        assert app.screen is composer and composer.draft.body == "on its way"
        assert session.outbox.count == 0
    with user_client(sandbox) as api:
        bodies = [c.get("last_message") for c in api.get("/api/v1/conversations", params={"scope": "sent"}).json()]
    assert "on its way" not in bodies


async def test_a_message_sent_at_once_says_it_went_though_its_draft_could_not_be_removed(sandbox, disk):
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    session = InboxSession(client, drafts=DraftStore(disk.folder / "drafts.sqlite3", "acct"), send_delay=0)
    app = InboxApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("r")
        composer = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.press(*"went at once")
        await async_wait_until(lambda: session.load_draft(composer.draft.key) is not None)
        disk.fill()
        await pilot.press("ctrl+s")
        await closed(pilot)
        # Delivered: never "something went wrong" inviting a second send; the stale draft is named.
        assert app.status.message.startswith("Reply sent (its draft could not be removed: " + FULL), app.status.message
    with user_client(sandbox) as api:
        bodies = [c.get("last_message") for c in api.get("/api/v1/conversations", params={"scope": "sent"}).json()]
    assert bodies.count("went at once") == 1


async def test_the_search_indexer_that_fills_the_folder_stops_with_one_line(sandbox, disk):
    app = make_app(sandbox, disk.folder / "drafts.sqlite3")
    app.session.search_index = SearchIndex.open(disk.folder / "cache.sqlite3")
    disk.fill()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            line = await async_wait_until(lambda: app.status.error if "Indexing" in app.status.error else None)
            assert line == f"Indexing for search stopped: {FULL}"
            assert app.is_running
    finally:
        app.session.search_index.close()


@pytest.mark.parametrize("how", ["full", "read-only"])
def test_a_data_folder_that_cannot_be_written_at_start_is_one_line(sandbox, disk, tmp_path, how):
    if how == "full":
        disk.fill()
    else:
        done = subprocess.run(["mount", "-o", "remount,ro", str(disk.folder)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    config = tmp_path / "config.toml"
    config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "TUI_INBOX_DATA": str(disk.folder),
           "TUI_INBOX_CONFIG": str(config), "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli"], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert str(disk.folder) in lines[0] and "TUI_INBOX_DATA" in lines[0]
