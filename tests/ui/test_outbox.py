"""Offline, the app keeps what the user does in an Outbox and carries it out once Canvas is back.

The sandbox sits behind a cable (tests/network_cut.py): cut, it refuses connections as a lost
network does; restored, the same sandbox answers. What Canvas received is judged through the
teacher's API, straight to the sandbox.
"""

from __future__ import annotations

from tests.conftest import user_client
from tests.network_cut import NetworkCut
from tests.outbox_helpers import SIZE, conversation, copies, make_app, port_of, reply, started, to_row
from tests.waiting import async_wait_until
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.widgets.outbox_list import OutboxList


async def test_offline_archive_and_reply_wait_in_the_outbox_and_are_done_once_when_canvas_is_back(sandbox, tmp_path):
    with NetworkCut(port_of(sandbox)) as cable:
        app = make_app(cable.base_url, sandbox, tmp_path / "drafts.sqlite3")
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            archived = await to_row(pilot, 0)
            replied = await to_row(pilot, 2)
            cable.cut()
            await to_row(pilot, 0)
            await pilot.press("a")
            await async_wait_until(lambda: app.status.message.startswith("Offline: archived here"))
            assert "will be done when Canvas is back (Outbox)" in app.status.message
            assert archived not in {row.id for row in app.list.rows}  # it left the Inbox, as online
            await to_row(pilot, app.session.view.position(replied))
            await reply(pilot, "Written on the train")
            await async_wait_until(lambda: "will be sent when Canvas is back" in app.status.message)
            assert app.session.outbox.count == 2
            await pilot.press("7")
            box = app.query_one(OutboxList)
            await async_wait_until(lambda: box.display and len(box.items) == 2)
            shown = [str(box.get_option_at_index(i).prompt) for i in range(2)]
            assert "Archive" in shown[0] and "Reply to" in shown[1] and "Written on the train" in shown[1]
            assert "7 Outbox 2" in " ".join(str(o.prompt) for o in app.query_one("#rail").options)
            assert conversation(sandbox, archived)["workflow_state"] != "archived"  # nothing reached Canvas

            cable.restore()
            await async_wait_until(lambda: app.session.outbox.count == 0, timeout=20)
            await async_wait_until(lambda: copies(sandbox, replied, "Written on the train") == 1)
            assert conversation(sandbox, archived)["workflow_state"] == "archived"
            log = [entry.text for entry in app.status.history]
            assert any(line.startswith("Outbox: archived 1 conversation") for line in log)
            assert any(line.startswith("Outbox: reply sent") for line in log)
            await app.workers.wait_for_complete()
        assert copies(sandbox, replied, "Written on the train") == 1  # once, even after the app closed


def gone_for_good(sandbox, user_id: int, cid: int) -> None:
    """The conversation is gone for the teacher, as an admin's delete_for_all leaves it: Canvas
    answers 404 for it. (The user's own DELETE is not that: Canvas keeps the participant, and a
    reply to it simply brings it back, in Canvas as in the sandbox; the API cannot do this.)"""
    conversations = sandbox.state.conversations
    del conversations.views[user_id][cid]
    conversations.touch(user_id)
    with user_client(sandbox, "teacher") as api:
        assert api.get(f"/api/v1/conversations/{cid}").status_code == 404


async def test_a_reply_to_a_conversation_deleted_meanwhile_is_one_line_and_its_text_back_in_drafts(sandbox, tmp_path):
    drafts_file = tmp_path / "drafts.sqlite3"
    with NetworkCut(port_of(sandbox)) as cable:
        app = make_app(cable.base_url, sandbox, drafts_file)
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            cid = await to_row(pilot, 1)
            cable.cut()
            await reply(pilot, "Too late for this one")
            await async_wait_until(lambda: app.session.outbox.count == 1)
            gone_for_good(sandbox, app.session.me_id, cid)
            cable.restore()
            await async_wait_until(lambda: "deleted meanwhile" in app.status.error, timeout=20)
            assert app.status.error == "Outbox: not sent, the conversation was deleted meanwhile; your text is back in Drafts."
            assert app.session.load_draft(f"reply:{cid}").body == "Too late for this one"
            assert app.session.outbox.count == 0
            await app.workers.wait_for_complete()
    store = DraftStore(drafts_file, "acct")  # on disk too, for the next start
    assert store.load(f"reply:{cid}")["body"] == "Too late for this one"
    store.close()


async def test_the_outbox_survives_a_restart_and_is_carried_out_by_the_next_app(sandbox, tmp_path):
    drafts_file = tmp_path / "drafts.sqlite3"
    with NetworkCut(port_of(sandbox)) as cable:
        first = make_app(cable.base_url, sandbox, drafts_file)
        async with first.run_test(size=SIZE) as pilot:
            await started(pilot)
            starred = await to_row(pilot, 0)
            was = conversation(sandbox, starred)["starred"]
            cable.cut()
            await pilot.press("s")
            await async_wait_until(lambda: first.session.outbox.count == 1)
            await pilot.press("q")  # offline: nothing can be sent, the app quits and the Outbox stays on disk
        assert conversation(sandbox, starred)["starred"] == was
        cable.restore()
        second = make_app(cable.base_url, sandbox, drafts_file)
        async with second.run_test(size=SIZE) as pilot:
            await started(pilot)
            await async_wait_until(lambda: second.session.outbox.count == 0, timeout=20)
            await async_wait_until(lambda: conversation(sandbox, starred)["starred"] is (not was))
            await second.workers.wait_for_complete()


async def test_undo_of_an_offline_action_takes_it_out_of_the_outbox_unsent(sandbox, tmp_path):
    with NetworkCut(port_of(sandbox)) as cable:
        app = make_app(cable.base_url, sandbox, tmp_path / "drafts.sqlite3")
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            cid = await to_row(pilot, 0)
            cable.cut()
            await pilot.press("a")
            await async_wait_until(lambda: app.session.outbox.count == 1)
            await pilot.press("u")
            await async_wait_until(lambda: "taken out of the Outbox" in app.status.message)
            assert app.session.outbox.count == 0
            assert cid in {row.id for row in app.list.rows}  # back in the Inbox
            cable.restore()
            await pilot.press("s")  # something Canvas does get, after the undo: the archive never went
            await async_wait_until(lambda: app.status.message.startswith("Starred"))
            assert conversation(sandbox, cid)["workflow_state"] != "archived"
            await app.workers.wait_for_complete()


async def test_a_message_a_crash_left_on_its_way_is_not_sent_blindly_again(sandbox, tmp_path):
    """The app died after the request left and before the answer: it may have arrived. The next
    start does not send it again: one line says to check Sent, and the text is back in Drafts."""
    drafts_file = tmp_path / "drafts.sqlite3"
    crashed = DraftStore(drafts_file, "acct")
    draft = {"kind": "reply", "conversation_id": 2, "to": [{"id": "10", "label": "Jane Doe"}], "body": "Maybe sent"}
    item = crashed.outbox.add("message", [2], draft)
    crashed.outbox.mark(item.position, "sending")
    crashed.close()
    app = make_app(sandbox.base_url, sandbox, drafts_file)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        errors = [entry.text for entry in app.status.history if entry.kind == "error"]
        assert errors == ["The message “Maybe sent” to Jane Doe was being sent when tui-inbox stopped: it may have gone, "
                          "check Sent before sending again. Its text is back in Drafts."]
        assert app.session.load_draft("reply:2").body == "Maybe sent"
        assert app.session.outbox.count == 0
        await app.workers.wait_for_complete()
    assert copies(sandbox, 2, "Maybe sent") == 0
