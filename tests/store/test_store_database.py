"""The store's SQLite files: private from the start, migrated per component, set aside when broken."""

from __future__ import annotations

import os
import stat

import pytest

from tui_inbox.store.database import StoreError, migrate, open_database

STEPS = ["CREATE TABLE a (x INTEGER);", "ALTER TABLE a ADD COLUMN y TEXT;\nCREATE INDEX a_y ON a (y);"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_is_0600_in_a_0700_folder_and_migrated_once(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "acct" / "cache.sqlite3"
        db = open_database(path, lambda db: migrate(db, "rows", STEPS), rebuildable=True)
    finally:
        os.umask(old)
    db.execute("INSERT INTO a (x, y) VALUES (1, 'one')")
    db.close()
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    assert all(mode(p) == 0o600 for p in path.parent.iterdir())
    again = open_database(path, lambda db: migrate(db, "rows", STEPS), rebuildable=True)
    assert again.execute("SELECT x, y FROM a").fetchall() == [(1, "one")]
    assert again.execute("SELECT version FROM schema_versions WHERE component = 'rows'").fetchone() == (2,)


def test_a_later_step_is_applied_to_an_older_file(tmp_path):
    path = tmp_path / "c.sqlite3"
    open_database(path, lambda db: migrate(db, "rows", STEPS[:1]), rebuildable=True).close()
    db = open_database(path, lambda db: migrate(db, "rows", STEPS), rebuildable=True)
    assert [r[1] for r in db.execute("PRAGMA table_info(a)")] == ["x", "y"]


@pytest.mark.parametrize("rebuildable", [True, False], ids=["cache", "user-data"])
def test_a_corrupt_file_is_set_aside_with_one_line_and_a_new_one_made(tmp_path, rebuildable):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    lines = []
    db = open_database(path, lambda db: migrate(db, "rows", STEPS), rebuildable=rebuildable, notice=lines.append)
    assert db.execute("SELECT count(*) FROM a").fetchone() == (0,)
    aside = [p for p in tmp_path.iterdir() if ".broken-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")  # kept, never deleted
    assert len(lines) == 1 and "\n" not in lines[0]
    assert ("rebuilt from Canvas" in lines[0]) if rebuildable else (aside[0].name in lines[0])


def test_a_file_from_a_newer_version_is_set_aside_not_misread(tmp_path):
    path = tmp_path / "c.sqlite3"
    open_database(path, lambda db: migrate(db, "rows", STEPS + ["CREATE TABLE b (z);"]), rebuildable=True).close()
    lines = []
    db = open_database(path, lambda db: migrate(db, "rows", STEPS), rebuildable=True, notice=lines.append)
    assert db.execute("SELECT version FROM schema_versions").fetchone() == (2,) and len(lines) == 1


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("a file where the folder should be")
    with pytest.raises(StoreError) as caught:
        open_database(tmp_path / "taken" / "c.sqlite3", lambda db: None, rebuildable=True)
    assert "\n" not in str(caught.value) and "taken" in str(caught.value)


def test_every_folder_made_on_the_way_is_0700(tmp_path):
    """The cache lives two folders down (accounts/<key>/): neither may be readable by others."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "accounts" / "abc" / "cache.sqlite3"
        open_database(path, lambda db: None, rebuildable=True).close()
    finally:
        os.umask(old)
    for folder in (tmp_path / "data", tmp_path / "data" / "accounts", path.parent):
        assert mode(folder) == 0o700, folder
