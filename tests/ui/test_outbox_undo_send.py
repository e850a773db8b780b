"""Undo send: a sent message waits ``send_delay_seconds`` in the Outbox, ``u`` brings it back.

Driven with keys in the real app against the sandbox; what Canvas received is judged
through the teacher's API.
"""

from __future__ import annotations

import time

from tests.outbox_helpers import SIZE, copies, make_app, reply, started, to_row
from tests.waiting import async_wait_until
from tui_inbox.inbox.compose import Draft, RecipientRef
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.widgets.outbox_list import OutboxList


def counting_down(line: str, delay: int) -> bool:
    """The undo-send countdown, "Sending in 30 s (u undoes)": a second or two may have gone on a
    busy machine between the send and the look (the delay runs on the wall clock)."""
    import re

    found = re.fullmatch(r"Sending in (\d+) s \(u undoes\)", line)
    return found is not None and delay - 5 <= int(found.group(1)) <= delay


def body_of(screen: ComposeScreen) -> str:
    from textual.widgets import TextArea

    return screen.query_one("#body", TextArea).text


async def test_u_within_the_delay_sends_nothing_and_brings_the_composer_back(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=30)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        await reply(pilot, "Second thoughts")
        assert counting_down(app.status.message, 30), app.status.message
        assert app.session.outbox.count == 1
        await pilot.press("u")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.pause()
        assert body_of(screen) == "Second thoughts"
        assert screen.draft.kind == "reply" and screen.draft.conversation_id == cid
        assert app.session.outbox.count == 0
        await pilot.press("escape")  # the text stays a draft
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        assert app.session.load_draft(f"reply:{cid}").body == "Second thoughts"
        await app.workers.wait_for_complete()
    assert copies(sandbox, cid, "Second thoughts") == 0  # not even on quitting: it was taken back


async def test_when_the_delay_passes_the_message_is_sent_once(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=1)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        await reply(pilot, "After a second")
        assert app.status.message == "Sending in 1 s (u undoes)"
        assert copies(sandbox, cid, "After a second") == 0
        await async_wait_until(lambda: app.status.message.startswith("Outbox: reply sent"), timeout=20)
        assert copies(sandbox, cid, "After a second") == 1
        assert app.session.outbox.count == 0
        assert app.session.load_draft(f"reply:{cid}") is None
        await pilot.press("u")  # too late: u is triage's undo again, and nothing comes back
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        await app.workers.wait_for_complete()
    assert copies(sandbox, cid, "After a second") == 1


async def test_a_delay_of_zero_sends_at_once(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        await reply(pilot, "Straight away")
        await async_wait_until(lambda: app.status.message == "Reply sent")
        assert copies(sandbox, cid, "Straight away") == 1
        assert app.session.outbox.count == 0
        assert app.session.outbox.store.items(("done",)) == []  # it never went through the Outbox
        await app.workers.wait_for_complete()


async def test_quitting_during_the_delay_sends_first(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=30)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        await reply(pilot, "Before I go")
        assert copies(sandbox, cid, "Before I go") == 0
        await pilot.press("q")
        await async_wait_until(lambda: not app.is_running or "before quitting" in app.status.message)
        await async_wait_until(lambda: not app.is_running, timeout=20)
    assert copies(sandbox, cid, "Before I go") == 1


async def test_u_undoes_the_newer_of_a_waiting_send_and_the_last_action(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=30)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        await reply(pilot, "Waits while I star")
        starred = app.list.current.id
        was = app.list.current.starred
        await pilot.press("s")  # newer than the send
        await async_wait_until(lambda: app.session.row(starred).starred is (not was) and not app.status.running)
        await pilot.press("u")
        await async_wait_until(lambda: app.status.message.startswith("Undone"))
        assert app.session.row(starred).starred is was
        assert app.session.outbox.count == 1  # the message still waits
        await pilot.press("u")  # now the send is the newest thing to undo
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.pause()
        assert body_of(screen) == "Waits while I star"
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        await app.workers.wait_for_complete()
    assert copies(sandbox, cid, "Waits while I star") == 0


async def test_enter_on_a_waiting_message_in_the_outbox_opens_it_and_d_drops_after_asking(sandbox, tmp_path):
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=30)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        first = await to_row(pilot, 1)
        await reply(pilot, "Edit me")
        second = await to_row(pilot, 2)
        await reply(pilot, "Drop me")
        await pilot.press("7")
        box = app.query_one(OutboxList)
        await async_wait_until(lambda: box.display and len(box.items) == 2)
        await pilot.press("j", "d")
        await async_wait_until(lambda: app.screen.__class__.__name__ == "ConfirmScreen")
        await pilot.press("y")
        await async_wait_until(lambda: len(box.items) == 1)
        assert "Edit me" in str(box.get_option_at_index(0).prompt)
        await pilot.press("enter")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.pause()
        assert body_of(screen) == "Edit me"
        assert app.session.outbox.count == 0
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        await app.workers.wait_for_complete()
    assert copies(sandbox, first, "Edit me") == 0
    assert copies(sandbox, second, "Drop me") == 0


async def test_a_message_left_waiting_by_a_crash_is_sent_on_the_next_start(sandbox, tmp_path):
    """The app died inside the undo delay: the message is on disk, and the user had pressed send
    and let the delay run out (for them it had gone), so the next start sends it, once."""
    drafts_file = tmp_path / "drafts.sqlite3"
    with_state = make_app(sandbox.base_url, sandbox, drafts_file)
    async with with_state.run_test(size=SIZE) as pilot:
        await started(pilot)
        cid = await to_row(pilot, 1)
        row = with_state.list.current
        await with_state.workers.wait_for_complete()
    crashed = DraftStore(drafts_file, "acct")  # what a run that died 3 s into a 5 s delay left
    draft = Draft(kind="reply", conversation_id=cid, to=[RecipientRef(str(p.id), p.name) for p in row.participants],
                  subject=row.subject or "", body="Left behind by a crash")
    crashed.outbox.add("message", [cid], draft.to_dict(), due_at=time.time() + 2)
    crashed.close()
    app = make_app(sandbox.base_url, sandbox, drafts_file)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await async_wait_until(lambda: app.session.outbox.count == 0, timeout=20)
        assert any(entry.text.startswith("Outbox: reply sent") for entry in app.status.history)
        await app.workers.wait_for_complete()
    assert copies(sandbox, cid, "Left behind by a crash") == 1
