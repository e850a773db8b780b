"""A start from the cache paints its first screen before it asks Canvas anything: the live feed
and the search indexer start once that screen is on the terminal, not before (their requests,
and making the connection pool, would otherwise delay the first frame)."""

from __future__ import annotations

from tests.cache_app import cached_app
from tests.waiting import async_wait_until


async def warm_then_again(sandbox, tmp_path):
    """A first run that loads the whole Inbox into the cache, then the app of a second start."""
    token = sandbox.info.token_of("teacher")
    first = cached_app(sandbox.base_url, token, tmp_path)
    async with first.run_test(size=(120, 32)):
        await async_wait_until(lambda: first.session.view.loaded and first.list.rows)
        await first.session.wait_loaded()
        first.session.keeper.flush()
    return cached_app(sandbox.base_url, token, tmp_path)

async def test_a_start_from_the_cache_asks_canvas_nothing_before_its_first_frame(sandbox, tmp_path):
    app = await warm_then_again(sandbox, tmp_path)
    asked: list[str] = []

    async def heard(request) -> None:
        asked.append(request.url.path)

    app.session.client.http._http.event_hooks["request"].append(heard)
    asked_at_paint: list[list[str]] = []
    keeper = app.session.keeper
    painted = keeper.painted

    def first_frame() -> None:
        asked_at_paint.append(list(asked))
        painted()

    keeper.painted = first_frame
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: asked_at_paint)
        # Then the reconcile, the feed and the indexer do ask, once the screen is there.
        await async_wait_until(lambda: app.search_indexer is not None and app.search_indexer.progress.total > 0)
        rows_on_screen = [row.subject for row in app.list.rows[:3]]
    assert asked_at_paint == [[]]
    assert rows_on_screen and all(rows_on_screen)


async def test_quitting_leaves_no_write_ahead_log_for_the_next_start_to_replay(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    app = cached_app(sandbox.base_url, token, tmp_path)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        await app.session.wait_loaded()
        await async_wait_until(lambda: app.search_indexer is not None and app.search_indexer.progress.finished)
        path = app.session.keeper.cache.path
        assert path.with_name(path.name + "-wal").exists()  # while it runs, writes go to the log
    assert path.exists()
    assert not path.with_name(path.name + "-wal").exists()
    # And what it wrote is in the file itself: the next start paints it with no request.
    again = cached_app(sandbox.base_url, token, tmp_path)
    assert again.session.keeper.cache.rows("inbox|", limit=3)
    again.session.keeper.close()
    again.session.search_index.close()


def test_building_the_app_for_a_cached_account_does_not_load_httpx_yet():
    """httpx is a sixth of a cached start: the client is made before the first frame, httpx's own
    code runs at the first request. A bad Canvas URL is still refused when the client is made."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tui_inbox.canvas import CanvasClient, ConfigurationError\n"
        "from tui_inbox.live.feed import LiveFeed\n"
        "client = CanvasClient('https://canvas.example.edu/', 'secret')\n"
        "LiveFeed(client, None, poll_seconds=30)\n"
        "print(client.http.host, type(sys.modules['httpx']).__name__)\n"
        "for bad in ('ftp://canvas.example.edu', 'http://canvas.example.edu', 'https://canvas.example.edu:99999', "
        "'https://canvas example.edu'):\n"
        "    try:\n"
        "        CanvasClient(bad, 'secret')\n"
        "    except ConfigurationError as error:\n"
        "        print('refused:', error)\n"
        "print(client.base_url, type(sys.modules['httpx']).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "canvas.example.edu _LazyModule"
    assert [line.split(":")[0] for line in lines[1:5]] == ["refused"] * 4
    assert "must start with https://" in lines[1] and "Refusing plain http" in lines[2]
    assert "is not a URL" in lines[3] and "is not a URL" in lines[4]
    assert lines[5] == "https://canvas.example.edu module"  # parsed by httpx at the first use


async def test_what_waits_for_the_first_frame_runs_once_with_the_cached_rows_on_screen(sandbox, tmp_path):
    """``after_first_frame`` is where the command turns the garbage collector back on (gc_pause.py)."""
    app = await warm_then_again(sandbox, tmp_path)
    seen: list[int] = []
    app.after_first_frame.append(lambda: seen.append(len(app.list.rows)))
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: seen)
        await app.session.wait_loaded()
        await pilot.pause()
    assert len(seen) == 1 and seen[0] > 0
