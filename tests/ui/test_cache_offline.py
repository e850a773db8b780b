"""Opening from the cache: with Canvas unreachable the last known Inbox is on screen, its cached
threads can be read, the status bar says "offline, as of ..."; when Canvas is back the app
reconciles and the "offline" goes."""

from __future__ import annotations

import httpx

from tests.cache_app import cached_app
from tests.network_cut import NetworkCut
from tests.waiting import async_wait_until


def port_of(sandbox) -> int:
    return int(sandbox.base_url.rsplit(":", 1)[1])


async def warm_up(cable, token, data, open_subject: str) -> tuple[list[int], int]:
    """A first run through the cable: the Inbox loads, one thread is opened, the app quits."""
    app = cached_app(cable.base_url, token, data)
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        await app.session.wait_loaded()
        row = next(r for r in app.session.view.rows if r.subject == open_subject)
        app.list.cursor = app.session.view.position(row.id)
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == row.id)
        ids = [r.id for r in app.list.rows]
    return ids, row.id


def thread_text(app) -> str:
    return " ".join(str(block.render()) for block in app.thread.query("MessageBlock"))


async def test_offline_start_shows_the_cached_inbox_and_threads_then_reconciles_when_back(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    with NetworkCut(port_of(sandbox)) as cable:
        ids, opened = await warm_up(cable, token, tmp_path, "Lab report extension")
        with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            thread = api.get(f"/api/v1/conversations/{opened}", params={"auto_mark_as_read": "false"}).json()
        first_body = thread["messages"][0]["body"]
        cable.cut()
        app = cached_app(cable.base_url, token, tmp_path)
        async with app.run_test(size=(120, 32)) as pilot:
            await async_wait_until(lambda: app.status.stale)
            assert [r.id for r in app.list.rows] == ids  # the last known Inbox, in Canvas's order
            assert app.status.stale.startswith("offline, as of ")
            painted = app.status.render().plain
            assert painted.startswith("● offline, as of ")  # said once, not "offline offline, as of"
            # The search indexer waits for Canvas without an error of its own: "offline" says it all.
            await async_wait_until(lambda: app.indexer_waits)
            assert "Indexing" not in app.status.error
            # The thread opened in the first run is read from the cache.
            app.list.cursor = app.list.rows.index(next(r for r in app.list.rows if r.id == opened))
            await pilot.press("enter")
            await async_wait_until(lambda: app.session.current is not None and app.session.current.id == opened)
            await async_wait_until(lambda: first_body.split()[0] in thread_text(app))
            # A thread never opened here: one line says it is not in the cache.
            other = next(i for i, r in enumerate(app.list.rows) if r.id != opened)
            app.list.cursor = other
            await pilot.press("enter")
            await async_wait_until(lambda: "not in the local cache" in app.status.error)
            # Canvas is back: the poll notices, the app reconciles, "offline" goes.
            with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
                assert api.put(f"/api/v1/conversations/{ids[-1]}", data={"conversation[starred]": "true"}).status_code == 200
            cable.restore()
            await async_wait_until(lambda: not app.status.stale, timeout=20)
            await async_wait_until(lambda: app.session.view.find(ids[-1]).starred)
            assert app.status.feed == "polling"
            await async_wait_until(lambda: not app.indexer_waits)  # back at work, from where it stopped


async def test_offline_from_the_cache_an_archive_waits_and_after_canvas_is_back_stays_archived(sandbox, tmp_path):
    """The whole train journey: open from the cache with Canvas out of reach, archive, come back.
    The archive is carried out once, and the reconcile that follows does not put the row back."""
    token = sandbox.info.token_of("teacher")
    with NetworkCut(port_of(sandbox)) as cable:
        ids, _ = await warm_up(cable, token, tmp_path, "Lab report extension")
        cable.cut()
        app = cached_app(cable.base_url, token, tmp_path)
        async with app.run_test(size=(120, 32)) as pilot:
            await async_wait_until(lambda: app.status.stale and app.list.rows)
            target = app.list.rows[0].id
            app.list.cursor = 0
            await pilot.press("a")
            await async_wait_until(lambda: app.status.message.startswith("Offline: archived here"))
            assert target not in {r.id for r in app.list.rows}
            cable.restore()
            await async_wait_until(lambda: not app.status.stale and app.session.outbox.count == 0, timeout=20)
            await app.session.refresh()  # whatever reconcile comes last, Canvas now says archived
            assert target not in {r.id for r in app.session.view.rows}
        with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            state = api.get(f"/api/v1/conversations/{target}", params={"auto_mark_as_read": "false"}).json()
    assert state["workflow_state"] == "archived"
