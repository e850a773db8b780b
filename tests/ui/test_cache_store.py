"""The cache file: rows and threads kept as the list and the thread show them, private, free of
the token, and rebuilt from Canvas (with one line) when it cannot be read."""

from __future__ import annotations

import os
import stat

import httpx

from tui_inbox.canvas import CanvasClient
from tui_inbox.launch import Account, account_key, cached_user
from tui_inbox.store.cache import Cache
from tui_inbox.store.known_users import remember_user
from tui_inbox.store.paths import cache_path
from tui_inbox.store.row_codec import decode, encode
from tests.cache_app import cached_app
from tests.waiting import async_wait_until


async def test_rows_and_threads_come_back_as_canvas_gave_them(sandbox, tmp_path):
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        rows = await client.load_conversations("inbox")
        threads = [await client.get_conversation(r.id, auto_mark_as_read=False) for r in rows[:20]]
    assert all(decode(encode(r)) == r for r in rows)
    assert all(decode(encode(t, with_messages=True)) == t for t in threads)
    cache = Cache(tmp_path / "cache.sqlite3")
    cache.save_view("inbox|", [(float(len(rows) - i), r) for i, r in enumerate(rows)])
    for thread in threads:
        cache.save_thread(thread)
    cache.close()
    cache = Cache(tmp_path / "cache.sqlite3")
    assert cache.rows("inbox|") == rows
    assert cache.rows("inbox|", limit=5) == rows[:5]
    assert cache.thread(threads[3].id) == threads[3]
    assert cache.thread(-1) is None
    # Read back together, rows share one object per person, as a listing parsed from Canvas does.
    back = cache.rows("inbox|")
    people = {}
    for row in back:
        for person in row.participants:
            assert people.setdefault((person.id, person.name), person) is person
    assert len(people) < sum(len(r.participants) for r in back)
    cache.close()


async def test_a_corrupt_cache_is_set_aside_with_one_line_and_rebuilt_from_canvas(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    path = cache_path(tmp_path, "acct")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, it is a cut-short download " * 200)
    app = cached_app(sandbox.base_url, token, tmp_path)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        await app.session.wait_loaded()
        notices = [e.text for e in app.status.history if "local cache could not be read" in e.text]
        assert len(notices) == 1 and "rebuilt from Canvas" in notices[0] and "\n" not in notices[0]
        rows = [r.id for r in app.list.rows]
    assert any(p.name.startswith("cache.sqlite3.broken-") for p in path.parent.iterdir())
    cache = Cache(path)
    assert cache.ids("inbox|") == rows  # the new cache holds what Canvas gave
    cache.close()


async def test_the_cache_is_private_and_holds_no_token(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    app = cached_app(sandbox.base_url, token, tmp_path)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        await app.session.wait_loaded()
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None)
    remember_user(tmp_path / "known_users.json", sandbox.base_url, token, 1)
    path = cache_path(tmp_path, "acct")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "known_users.json").stat().st_mode) == 0o600
    seen = 0
    for folder, _, files in os.walk(tmp_path):
        for name in files:
            data = (tmp_path / folder / name).read_bytes()
            assert token.encode() not in data, name
            seen += 1
    assert seen >= 2


def test_the_user_id_is_known_without_canvas_once_a_cache_exists(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_INBOX_DATA", str(tmp_path))
    token = sandbox.info.token_of("teacher")
    account = Account(sandbox.base_url, token, None, False)
    assert cached_user(account) is None  # never seen: Canvas is asked
    remember_user(tmp_path / "known_users.json", sandbox.base_url, token, 1)
    assert cached_user(account) is None  # known, but no cache yet: nothing to open offline
    Cache(cache_path(tmp_path, account_key(sandbox.base_url, 1))).close()
    assert cached_user(account) == 1
    assert cached_user(Account(sandbox.base_url, "another token", None, False)) is None
    assert cached_user(Account("https://other.example.edu", token, None, False)) is None
