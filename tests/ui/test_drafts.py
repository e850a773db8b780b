"""Drafts are private on disk and kept as the user types: real files, the real app, the sandbox.

What a user must be able to trust: nobody else on the machine can read a draft (the
folder and every file SQLite makes in it, the write-ahead log included), steady typing
is on disk within a second, an untouched reply leaves nothing behind, and a draft can be
thrown away on purpose after saying yes.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from textual.widgets import TextArea

from tests.ui.test_compose import SIZE, closed, make_app, open_composer, started
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.compose import Draft
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.keys import unknown_ids
from tui_inbox.ui.screens.confirm import ConfirmScreen


@pytest.fixture
def usual_umask():
    """The umask most desktops have (022): files would be made readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    return {child.name: mode(child) for child in folder.iterdir()}


# -- private on disk -----------------------------------------------------------------------------------------

def test_the_folder_and_every_file_are_private_from_the_start(tmp_path, usual_umask):
    folder = tmp_path / "data" / "tui-inbox"
    store = DraftStore(folder / "drafts.sqlite3", "acct")
    try:
        assert mode(folder) == 0o700
        assert set(modes(folder).values()) == {0o600}, modes(folder)  # before anything is saved
        store.save("new", Draft(body="my private words").to_dict())
        found = modes(folder)
        # The write-ahead log holds the text until a checkpoint: it must be as private as the file.
        assert {"drafts.sqlite3", "drafts.sqlite3-wal", "drafts.sqlite3-shm"} <= set(found)
        assert b"my private words" in (folder / "drafts.sqlite3-wal").read_bytes()
        assert found == {name: 0o600 for name in found}
        assert mode(folder) == 0o700
    finally:
        store.close()


def test_an_open_folder_and_leftover_files_are_tightened(tmp_path, usual_umask):
    folder = tmp_path / "tui-inbox"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    db = folder / "drafts.sqlite3"
    # What an older version left after a crash: a readable database, log and index.
    with sqlite3.connect(db) as old:
        old.execute("CREATE TABLE drafts (account TEXT NOT NULL, key TEXT NOT NULL, content TEXT NOT NULL, "
                    "saved_at REAL NOT NULL, PRIMARY KEY (account, key))")
        old.execute("INSERT INTO drafts VALUES ('acct', 'new', '{\"body\": \"kept\"}', 1)")
    old.close()
    for name in ("drafts.sqlite3-wal", "drafts.sqlite3-shm"):
        (folder / name).write_bytes(b"")
    for child in folder.iterdir():
        child.chmod(0o644)

    store = DraftStore(db, "acct")
    try:
        assert mode(folder) == 0o700
        assert store.load("new") == {"body": "kept"}
        store.save("new", {"body": "kept and more"})
        found = modes(folder)
        assert found == {name: 0o600 for name in found}
    finally:
        store.close()


# -- saved as the user types -----------------------------------------------------------------------------------

async def test_steady_typing_is_on_disk_at_most_a_second_behind(sandbox, tmp_path):
    """One key every 0.1 s never pauses: the draft must still follow the typing."""
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    text = "steady typing never pauses"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        typed_at: list[float] = []
        behind: list[tuple[int, int]] = []  # (characters typed a second ago or more, characters on disk)
        for char in text:
            await pilot.press(char)
            typed_at.append(time.monotonic())
            stored = app.session.load_draft("new")
            a_second_ago = sum(1 for t in typed_at if t <= time.monotonic() - 1.0)
            behind.append((a_second_ago, len(stored.body) if stored else 0))
            await pilot.pause(0.1)  # the rhythm of the typing under test, not a wait for a result
        assert all(on_disk >= typed for typed, on_disk in behind), behind
        # And the last keys are on disk soon after the typing stops.
        await async_wait_until(lambda: (app.session.load_draft("new") or Draft()).body == text)


# -- an untouched reply leaves nothing; what the user wrote is kept ------------------------------------------------

async def open_first_conversation(pilot) -> int:
    app = pilot.app
    row = app.list.current
    await pilot.press("enter")
    await async_wait_until(lambda: app.session.current is not None and app.session.current.id == row.id)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return row.id


@pytest.mark.parametrize("key, kind", [("r", "reply"), ("R", "reply_all"), ("f", "forward")])
async def test_an_untouched_reply_or_forward_leaves_no_draft(sandbox, tmp_path, key, kind):
    store_file = tmp_path / "d.sqlite3"
    app = make_app(sandbox, store_file)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await open_first_conversation(pilot)
        screen = await open_composer(pilot, key)
        assert screen.draft.kind == kind and screen.draft.subject  # prefilled, but not by the user
        await pilot.press("escape")
        await closed(pilot)
        assert app.session.load_draft(f"{kind}:{cid}") is None
        # Typing and taking it back again is untouched too.
        screen = await open_composer(pilot, key)
        screen.query_one("#body").focus()
        await pilot.press("o", "k")
        await async_wait_until(lambda: app.session.load_draft(f"{kind}:{cid}"))
        await pilot.press("backspace", "backspace")
        await pilot.press("escape")
        await closed(pilot)
        assert app.session.load_draft(f"{kind}:{cid}") is None
    store = DraftStore(store_file, "acct")
    try:
        assert store.keys() == []
    finally:
        store.close()


async def test_a_reply_the_user_wrote_is_kept_even_when_reopened_untouched(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await open_first_conversation(pilot)
        screen = await open_composer(pilot, "r")
        await pilot.press(*"see you")
        await pilot.press("escape")
        await closed(pilot)
        assert app.session.load_draft(f"reply:{cid}").body == "see you"
        screen = await open_composer(pilot, "r")
        assert screen.query_one("#body", TextArea).text == "see you"
        await pilot.press("escape")
        await closed(pilot)
        assert app.session.load_draft(f"reply:{cid}").body == "see you"


# -- throwing a draft away on purpose ---------------------------------------------------------------------------

async def test_a_draft_is_discarded_after_saying_yes(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await pilot.press(*"not worth sending")
        await async_wait_until(lambda: (app.session.load_draft("new") or Draft()).body == "not worth sending")
        assert "ctrl+g discard" in str(screen.query_one("#compose-keys").content)

        await pilot.press("ctrl+g")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # changed my mind: nothing is lost
        await async_wait_until(lambda: app.screen is screen)
        assert app.session.load_draft("new").body == "not worth sending"
        assert screen.query_one("#body", TextArea).text == "not worth sending"

        await pilot.press("ctrl+g")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await closed(pilot)
        assert app.session.load_draft("new") is None
        assert app.status.message == "Draft discarded."

        screen = await open_composer(pilot)
        assert screen.query_one("#body", TextArea).text == ""


async def test_the_discard_key_is_remapped_by_its_id(sandbox, tmp_path):
    assert unknown_ids({"discard_draft": "ctrl+o"}) == []
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    app = InboxApp(InboxSession(client, drafts=DraftStore(tmp_path / "d.sqlite3", "acct")),
                   keymap={"discard_draft": "ctrl+o"})
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await pilot.press(*"draft")
        assert "ctrl+o discard" in str(screen.query_one("#compose-keys").content)
        await pilot.press("ctrl+o")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await closed(pilot)
        assert app.session.load_draft("new") is None
        assert app.status.message == "Draft discarded."
