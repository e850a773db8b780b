"""The triage rules in the core, without Textual: the session (inbox/session.py) and its Triage
(inbox/triage.py) against the sandbox over HTTP, read back through the Canvas API.

What the app's keys do is tested in tests/ui; these prove the rules under them: which way a
toggle goes for a set, what leaves the view at once, what undo puts back on Canvas, what is
never sent, and which changes the core reports for one action.
"""

from __future__ import annotations

import httpx

from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.changes import SelectionChanged, ViewChanged
from tui_inbox.inbox.session import InboxSession
from tui_inbox.inbox.triage import PRIVATE_REFUSED


def api(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"})


def scope_ids(client: httpx.Client, scope: str) -> set[int]:
    body = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"}).json()
    return set(body["conversation_ids"])


def starred_on_canvas(client: httpx.Client, ids) -> dict[int, bool]:
    return {cid: client.get(f"/api/v1/conversations/{cid}").json()["starred"] for cid in ids}


async def started(sandbox) -> tuple[InboxSession, list]:
    session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")))
    await session.start()
    await session.wait_loaded()
    changes: list = []
    session.on_change(changes.append)
    return session, changes


async def test_archiving_a_selection_takes_exactly_those_away_and_undo_brings_them_back(sandbox):
    session, changes = await started(sandbox)
    try:
        rows = session.view.rows
        chosen = [rows[0].id, rows[2].id]
        session.triage.select(chosen)
        changes.clear()
        line = await session.triage.act("archive", session.triage.targets(rows[1].id))
        assert line == "Archived 2 conversations"
        with api(sandbox) as client:
            assert set(chosen) <= scope_ids(client, "archived")
            assert rows[1].id not in scope_ids(client, "archived")
        assert not set(chosen) & {r.id for r in session.view.rows}
        assert session.triage.count == 0  # the selection was spent
        # One change of the rows, the selection emptied, the badge read again: nothing twice.
        kinds = [type(c) for c in changes]
        assert kinds.count(ViewChanged) == 1 and kinds.count(SelectionChanged) == 1

        line = await session.triage.undo()
        assert line == "Undone: 2 conversations back as they were"
        with api(sandbox) as client:
            assert not set(chosen) & scope_ids(client, "archived")
        assert set(chosen) <= {r.id for r in session.view.rows}
        assert await session.triage.undo() == "Nothing to undo."
    finally:
        await session.aclose()


async def test_star_on_a_mixed_set_stars_them_all_and_again_unstars_them(sandbox):
    session, _ = await started(sandbox)
    try:
        ids = [r.id for r in session.view.rows if not r.starred][:3]
        await session.triage.act("star", ids[:1])
        assert session.triage.choose_verb("star", ids) == "star"  # one starred of three: star the rest
        assert await session.triage.act("star", ids) == "Starred 3 conversations"
        with api(sandbox) as client:
            assert starred_on_canvas(client, ids) == {cid: True for cid in ids}
        assert session.triage.choose_verb("star", ids) == "unstar"
        assert await session.triage.act("star", ids) == "Unstarred 3 conversations"
        with api(sandbox) as client:
            assert starred_on_canvas(client, ids) == {cid: False for cid in ids}
        # Undo goes back to what each was before the last action: all three starred.
        await session.triage.undo()
        with api(sandbox) as client:
            assert starred_on_canvas(client, ids) == {cid: True for cid in ids}
    finally:
        await session.aclose()


async def test_muting_a_private_conversation_sends_nothing_and_says_why(sandbox):
    session, _ = await started(sandbox)
    try:
        private = next(r for r in session.view.rows if r.private)
        line = await session.triage.act("mute", [private.id])
        assert line == PRIVATE_REFUSED + "; nothing was sent."
        assert session.triage.last_failed
        with api(sandbox) as client:
            assert client.get(f"/api/v1/conversations/{private.id}").json()["subscribed"] is True
    finally:
        await session.aclose()
