"""Reconciling a cached view with Canvas: what changed elsewhere (read, starred, archived, deleted,
a new message, a new conversation) is in the list after it, in as few requests as Canvas allows,
and the cursor stays on its conversation."""

from __future__ import annotations

import gc
import math

import httpx

from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.loading import LARGE_LOAD
from tui_inbox.inbox.offline import FIRST_SCREEN
from tui_inbox.inbox.session import InboxSession
from tui_inbox.launch import open_cache
from tests.cache_app import Counting, cached_app
from tests.network_cut import NetworkCut
from tests.waiting import async_wait_until


def api_for(sandbox, role: str = "teacher", index: int = 0) -> httpx.Client:
    token = sandbox.info.token_of(role, index)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


async def session_on(sandbox, data, transport=None) -> InboxSession:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"), transport=transport)
    return InboxSession(client, keeper=open_cache(data, "acct"))


async def warm_cache(sandbox, data) -> list:
    """A first start: the whole Inbox loaded from Canvas and written to the cache."""
    session = await session_on(sandbox, data)
    await session.start()
    await session.wait_loaded()
    rows = session.view.all()
    await session.aclose()
    await session.client.aclose()
    return rows


def shown(rows) -> list[tuple]:
    """What the list shows of each row, in order."""
    return [(r.id, r.workflow_state, r.starred, r.last_message, r.message_count, r.subject) for r in rows]


async def canvas_now(sandbox) -> list:
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        return await client.load_conversations("inbox")


def change_elsewhere(sandbox, rows, count_each: int) -> dict[str, list[int]]:
    """Read, star, archive, delete and write in ``count_each`` conversations each, through the API
    from another client; a student starts one new conversation with the teacher too."""
    unread = [r.id for r in rows if r.unread]
    read = [r.id for r in rows if not r.unread and not r.starred]
    picked = {"read": unread[:count_each], "starred": read[:count_each], "archived": read[count_each:2 * count_each],
              "deleted": read[2 * count_each:3 * count_each], "written": read[-count_each:]}
    with api_for(sandbox) as teacher:
        for cid in picked["read"]:
            assert teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[workflow_state]": "read"}).status_code == 200
        for cid in picked["starred"]:
            assert teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[starred]": "true"}).status_code == 200
        for cid in picked["archived"]:
            assert teacher.put(f"/api/v1/conversations/{cid}", data={"conversation[workflow_state]": "archived"}).status_code == 200
        for cid in picked["deleted"]:
            assert teacher.delete(f"/api/v1/conversations/{cid}").status_code == 200
        for cid in picked["written"]:
            assert teacher.post(f"/api/v1/conversations/{cid}/add_message",
                                data={"body": f"Written elsewhere in {cid}"}).status_code == 200
    with api_for(sandbox, "student") as student:
        new = student.post("/api/v1/conversations", data={"recipients[]": ["1"], "subject": "Brand new",
                                                          "body": "A question from elsewhere"})
        assert new.status_code == 201, new.text
        picked["new"] = [new.json()[0]["id"]]
    return picked


async def test_changes_made_elsewhere_are_in_the_list_after_reconcile(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1, conversations=300)
    before = await warm_cache(sandbox, tmp_path)
    picked = change_elsewhere(sandbox, before, 3)
    counting = Counting()
    session = await session_on(sandbox, tmp_path, counting)
    await session.start()
    assert counting.paths == []  # painted from the cache before any request
    # The first screenful at once, in Canvas's order; the rest of the cache follows, then the reconcile.
    assert shown(session.view.rows) == shown(before[:FIRST_SCREEN])
    await session.wait_loaded()
    after = session.view.rows
    assert shown(after) == shown(await canvas_now(sandbox))  # what a full reload gives
    by_id = {r.id: r for r in after}
    assert all(by_id[c].workflow_state == "read" for c in picked["read"])
    assert all(by_id[c].starred for c in picked["starred"])
    assert not any(c in by_id for c in picked["archived"] + picked["deleted"])
    assert [r.id for r in after[:4]] == picked["new"] + picked["written"][::-1]
    assert by_id[picked["written"][0]].last_message == f"Written elsewhere in {picked['written'][0]}"
    await session.aclose()
    await session.client.aclose()
    # What reconcile wrote is what the next start paints.
    again = await session_on(sandbox, tmp_path)
    assert again.keeper.warm_start()
    assert shown(again.view.rows) == shown(after[:FIRST_SCREEN])
    await again.aclose()
    await again.client.aclose()


async def reconcile_requests(sandbox, data) -> tuple[int, list[str]]:
    """Requests of one reconcile of a warm session's Inbox (what a reconnect triggers)."""
    counting = Counting()
    session = await session_on(sandbox, data, counting)
    await session.start()
    await session.wait_loaded()
    counting.paths.clear()
    return session, counting


async def test_a_reconcile_with_nothing_changed_asks_four_things(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1, conversations=300)
    await warm_cache(sandbox, tmp_path)
    session, counting = await reconcile_requests(sandbox, tmp_path)
    await session.refresh()
    # The Inbox's ids, the unread and starred ids, the unread count: no page of rows.
    assert len(counting.paths) == 4, counting.paths
    assert sum("include_all_conversation_ids=true" in p for p in counting.paths) == 3
    assert session.keeper.last.changed == 0
    await session.aclose()
    await session.client.aclose()


async def test_a_reconcile_after_fifty_changes_stays_within_five_requests_and_one_per_hundred(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1, conversations=300)
    await warm_cache(sandbox, tmp_path)
    session, counting = await reconcile_requests(sandbox, tmp_path)
    picked = change_elsewhere(sandbox, session.view.all(), 10)  # 50 changed, and one new
    changed = sum(len(v) for v in picked.values())
    await session.refresh()
    assert len(counting.paths) <= 5 + math.ceil(changed / 100), counting.paths
    assert shown(session.view.rows) == shown(await canvas_now(sandbox))
    assert session.keeper.last.changed == changed
    await session.aclose()
    await session.client.aclose()


async def test_the_cursor_stays_on_its_conversation_while_rows_move_above_it(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    with NetworkCut(int(sandbox.base_url.rsplit(":", 1)[1])) as cable:
        await warm_cache_through(cable, token, tmp_path)
        cable.cut()  # so the reconcile waits until the cursor is placed
        app = cached_app(cable.base_url, token, tmp_path)
        async with app.run_test(size=(120, 32)):
            await async_wait_until(lambda: app.status.stale)
            rows = app.list.rows
            app.list.cursor = 5
            under = rows[5].id
            with api_for(sandbox) as teacher:  # rows below the cursor get messages: they move above it
                for row in rows[10:13]:
                    assert teacher.post(f"/api/v1/conversations/{row.id}/add_message", data={"body": "Up"}).status_code == 200
            cable.restore()
            await async_wait_until(lambda: not app.status.stale, timeout=20)
            await async_wait_until(lambda: app.list.rows[0].last_message == "Up")
            assert app.list.current.id == under
            assert app.list.cursor == 8  # three rows came above it


async def warm_cache_through(cable, token, data) -> None:
    app = cached_app(cable.base_url, token, data)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        await app.session.wait_loaded()


async def test_a_live_message_and_an_archive_are_in_the_cache_the_next_start_paints(sandbox, tmp_path):
    from tui_inbox.canvas.live_events import LiveEvent

    before = await warm_cache(sandbox, tmp_path)
    session = await session_on(sandbox, tmp_path)
    await session.start()
    await session.wait_loaded()
    written, archived = before[-1].id, before[-2].id
    await session.open(written, mark_read=False)
    with api_for(sandbox) as teacher:  # from another device; the live event says so
        assert teacher.post(f"/api/v1/conversations/{written}/add_message", data={"body": "Seen live"}).status_code == 200
    event = LiveEvent.from_json({"metadata": {"event_name": "conversation_message_created", "user_id": "1"},
                                 "body": {"conversation_id": str(written)}})
    await session.live.apply(event)
    assert session.view.rows[0].id == written
    line = await session.triage.act("archive", [archived], verb="archive")
    assert "rchived" in line, line
    await session.aclose()
    await session.client.aclose()
    again = await session_on(sandbox, tmp_path)
    assert again.keeper.warm_start()
    rows = again.view.rows
    assert rows[0].id == written and rows[0].last_message == "Seen live"
    assert archived not in {r.id for r in rows}
    assert any(m.body == "Seen live" for m in again.keeper.thread(written).messages)  # the open thread too
    await again.aclose()
    await again.client.aclose()


async def test_a_resync_during_the_start_waits_for_the_cache_to_be_read_whole(make_sandbox, tmp_path):
    sandbox = make_sandbox(seed=1, conversations=600)
    await warm_cache(sandbox, tmp_path)
    counting = Counting()
    session = await session_on(sandbox, tmp_path, counting)
    await session.start()  # the first screen painted; the rest of the cache is still being read
    assert len(session.view.all()) < 600
    await session.refresh()  # what the live feed's resync does the moment it connects
    await session.wait_loaded()
    pages = [p for p in counting.paths if "include_all_conversation_ids" not in p and "page=" in p
             and p.startswith("GET /api/v1/conversations?")]
    assert pages == []  # nothing changed: no row was taken for new and fetched again
    assert [r.id for r in session.view.all()] == [r.id for r in await canvas_now(sandbox)]
    await session.aclose()
    await session.client.aclose()


async def test_a_start_from_a_large_cache_leaves_its_rows_out_of_the_collectors_full_passes(make_sandbox, tmp_path):
    """inbox/offline.py's catch-up, as loading.py's fill after a load from Canvas: the rows read
    from the cache live as long as the view, and a full collection that walked them all (90,000
    rows: a quarter of a second, benchmarks/accounts.py) paused the key press it fell on."""
    sandbox = make_sandbox(seed=1, conversations=11_500)
    await warm_cache(sandbox, tmp_path)
    session = await session_on(sandbox, tmp_path)
    try:
        await session.start()
        await session.wait_loaded()
        rows = session.view.all()
        assert len(rows) >= LARGE_LOAD
        walked = {id(thing) for thing in gc.get_objects()}  # every generation the collector passes over
        assert [row.id for row in rows if id(row) in walked] == []
    finally:
        await session.aclose()
        await session.client.aclose()
        gc.unfreeze()  # this worker's later tests start with nothing set aside
