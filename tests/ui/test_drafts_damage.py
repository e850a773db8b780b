"""A damaged drafts file is set aside with one line, never lost in silence (issue 19, F2).

Real files: the drafts as the real app leaves them after a clean quit, or as a crash leaves
them (the files copied while the store is open, as `kill -9` would find them). SQLite reads
an empty or truncated file, or a log with damaged frames, as far as it can and says nothing:
those drafts were gone without a word. Now the log is folded into the file on quitting, and a
file that cannot be read whole is renamed aside under a `.broken-` name, said in one line.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.ui.test_compose import SIZE, closed, make_app, open_composer, settle, started
from tests.waiting import async_wait_until
from tui_inbox.inbox.compose import Draft
from tui_inbox.store.drafts import DraftStore

WORDS = "the words I wrote before quitting"


async def write_and_quit(sandbox, path) -> None:
    """Write a new message in the real app, close the composer (draft kept), quit the app."""
    app = make_app(sandbox, path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await pilot.press(*WORDS)
        await pilot.press("escape")
        await closed(pilot)
        await pilot.press("q")
        await settle(pilot)


def reopen(path) -> tuple[list[str], list[str]]:
    """Open the drafts as the next start does: (the lines it says, the bodies it finds)."""
    lines: list[str] = []
    store = DraftStore(path, "acct", notice=lines.append)
    try:
        return lines, [(store.load(key) or {}).get("body", "") for key in store.keys()]
    finally:
        store.close()


def said_aside(lines: list[str], folder) -> str:
    """The one line said, naming where the damaged drafts were kept; that file exists."""
    assert len(lines) == 1 and "\n" not in lines[0], lines
    aside = [p.name for p in folder.iterdir() if ".broken-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and str(folder / aside[0]) in lines[0], (lines, aside)
    return aside[0]


async def test_a_clean_quit_leaves_the_drafts_in_the_file_not_in_the_log(sandbox, tmp_path):
    path = tmp_path / "drafts.sqlite3"
    await write_and_quit(sandbox, path)
    wal = tmp_path / "drafts.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert WORDS.encode() in path.read_bytes()
    # Losing the leftover log, the way a copy or a cleaner might, loses nothing.
    wal.unlink(missing_ok=True)
    assert reopen(path) == ([], [WORDS])


@pytest.mark.parametrize("length", [0, 0.5], ids=["to-nothing", "to-half"])
async def test_a_truncated_drafts_file_is_set_aside_with_one_line(sandbox, tmp_path, length):
    path = tmp_path / "drafts.sqlite3"
    await write_and_quit(sandbox, path)
    size = path.stat().st_size
    os.truncate(path, int(size * length))
    lines, bodies = reopen(path)
    aside = said_aside(lines, tmp_path)
    assert (tmp_path / aside).stat().st_size == int(size * length)  # kept as it was, for recovery
    assert bodies == []  # a new file: nothing from the damaged one mixed in


def crash_copy(store: DraftStore, folder):
    """The store's files as `kill -9` leaves them: copied while it is open, nothing folded in."""
    shutil.copytree(store.path.parent, folder)
    return folder / store.path.name


def test_garbage_in_the_log_after_a_crash_is_set_aside_with_one_line(tmp_path):
    store = DraftStore(tmp_path / "live" / "drafts.sqlite3", "acct")
    try:
        for n in range(6):
            store.save(f"reply:{n}", Draft(kind="reply", conversation_id=n, body=f"reply number {n}").to_dict())
        path = crash_copy(store, tmp_path / "crashed")
    finally:
        store.close()
    wal = path.with_name(path.name + "-wal")
    damaged = bytearray(wal.read_bytes())
    damaged[100:400] = b"\xff" * 300  # inside the log's first frame: every later save hangs on its checksum
    wal.write_bytes(bytes(damaged))
    lines, bodies = reopen(path)
    aside = said_aside(lines, path.parent)
    assert (path.parent / f"{aside}-wal").read_bytes() == bytes(damaged)  # the log is kept beside it
    assert bodies == []


def test_garbage_inside_the_drafts_file_is_set_aside_not_a_crash_later(tmp_path):
    path = tmp_path / "drafts.sqlite3"
    store = DraftStore(path, "acct")
    for n in range(200):
        store.save(f"reply:{n}", Draft(kind="reply", conversation_id=n, body=f"reply {n} " * 20).to_dict())
    store.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 300] = b"\x07" * 300
    path.write_bytes(bytes(data))
    lines, bodies = reopen(path)  # listing the drafts raised "database disk image is malformed"
    said_aside(lines, tmp_path)
    assert bodies == []


def test_a_log_sqlite_reused_after_checkpoints_is_no_false_alarm(tmp_path):
    """Thousands of saves: SQLite checkpoints and writes the log again from its start, so older
    frames follow the newest ones. Those are not damage: a crash then keeps every draft, silently."""
    store = DraftStore(tmp_path / "live" / "drafts.sqlite3", "acct")
    try:
        for n in range(2500):
            store.save(f"reply:{n % 5}", Draft(kind="reply", conversation_id=n % 5, body=f"take {n}").to_dict())
        path = crash_copy(store, tmp_path / "crashed")
    finally:
        store.close()
    assert path.with_name(path.name + "-wal").stat().st_size > 1_000_000  # old frames are there
    lines, bodies = reopen(path)
    assert lines == [] and sorted(bodies) == [f"take {n}" for n in range(2495, 2500)]


async def test_the_app_says_where_a_damaged_drafts_file_was_kept(sandbox, tmp_path):
    path = tmp_path / "drafts.sqlite3"
    await write_and_quit(sandbox, path)
    os.truncate(path, 0)
    app = make_app(sandbox, path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        line = await async_wait_until(lambda: next((e.text for e in app.status.history if ".broken-" in e.text), None))
        assert "drafts.sqlite3 could not be read" in line and f"kept as {tmp_path / 'drafts.sqlite3.broken-'}" in line
