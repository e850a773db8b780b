"""The client against a Canvas that sends every id as a string (``Accept: application/json+canvas-string-ids``).

A client asked with ``string_ids=True`` gets strings from the sandbox (checked on the raw
answer), and reads them into the same models a numeric answer gives: the same
conversations, messages, attachments, people, progress and batches. The app built on
such a client lists, opens and replies as it does with numbers.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXED_NOW, open_composer, open_row, ready, settle, user_client
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient, RetryPolicy

TEACHER, JANE, ALICE = 1, 10, 12
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, throttle_floor=0.001)


def client_for(sandbox, *, string_ids: bool, user_id: int = TEACHER) -> CanvasClient:
    token = sandbox.state.world.users[user_id].token
    return CanvasClient(sandbox.base_url, token, retry=FAST, string_ids=string_ids)


async def test_the_option_asks_canvas_for_string_ids(sandbox):
    async with client_for(sandbox, string_ids=True) as strings, client_for(sandbox, string_ids=False) as numbers:
        raw = await strings.http.json("GET", "/api/v1/conversations", params={"per_page": 2})
        assert isinstance(raw[0]["id"], str) and all(isinstance(a, str) for a in raw[0]["audience"])
        raw = await numbers.http.json("GET", "/api/v1/conversations", params={"per_page": 2})
        assert isinstance(raw[0]["id"], int)


async def test_string_ids_read_into_the_same_models(sandbox):
    async with client_for(sandbox, string_ids=True) as strings, client_for(sandbox, string_ids=False) as numbers:
        listed = await strings.load_conversations()
        assert listed == await numbers.load_conversations()
        assert all(isinstance(c.id, int) and c.id > 0 for c in listed)
        assert all(isinstance(a, int) for c in listed for a in c.audience)
        assert all(isinstance(p.id, int) and p.id > 0 for c in listed for p in c.participants)
        assert await strings.conversation_ids() == await numbers.conversation_ids() == [c.id for c in listed]

        with_files = next(c for c in listed if c.has_attachments)
        shown = await strings.get_conversation(with_files.id, auto_mark_as_read=False)
        assert shown == await numbers.get_conversation(with_files.id, auto_mark_as_read=False)
        files = [a for m in shown.messages for a in m.attachments]
        assert files and all(isinstance(a.id, int) and a.id > 0 for a in files)
        assert all(isinstance(m.author_id, int) and m.participating_user_ids for m in shown.messages)
        assert shown.participant(TEACHER) is not None  # looked up by a number, found though Canvas sent text

        assert await strings.search_recipients("a") == await numbers.search_recipients("a")
        assert await strings.get_self() == await numbers.get_self()
        assert (await strings.get_self()).id == TEACHER
        assert await strings.get_courses() == await numbers.get_courses()
        assert await strings.get_groups() == await numbers.get_groups()
        assert await strings.unread_count() == await numbers.unread_count()


async def test_writes_and_background_work_with_string_ids(sandbox, tmp_path):
    async with client_for(sandbox, string_ids=True) as client:
        created = await client.create_conversation([JANE, ALICE], "both of you", group_conversation=True)
        made = created.conversations[0]
        assert made.id > 0 and set(made.audience) == {JANE, ALICE} and made.messages[0].author_id == TEACHER

        replied = await client.send_reply(made.id, "once more", author_id=TEACHER)
        assert replied.id == made.id and replied.messages[0].body == "once more"
        assert replied.messages[0].author_id == TEACHER and isinstance(replied.messages[0].id, int)

        note = tmp_path / "note.txt"
        note.write_bytes(b"string ids")
        uploaded = await client.upload_attachment(note)
        assert isinstance(uploaded.id, int) and uploaded.id > 0
        with_file = await client.add_message(made.id, "see attached", attachment_ids=[uploaded.id])
        assert [a.id for a in with_file.messages[0].attachments] == [uploaded.id]

        result = await client.batch_update([made.id], "star")
        assert result.succeeded == [made.id]
        assert (await client.get_conversation(made.id)).starred

        queued = await client.create_conversation([JANE, ALICE], "to each", mode="async")
        assert isinstance(queued.batch_id, int)
        for batch in await client.get_running_batches():
            assert isinstance(batch.id, int)


async def test_the_app_lists_opens_and_replies_over_string_ids(fixed_sandbox, tmp_path, utc):
    from tui_inbox.inbox.session import InboxSession
    from tui_inbox.store.drafts import DraftStore
    from tui_inbox.ui.app import InboxApp
    from tui_inbox.ui.screens.compose import ComposeScreen

    client = CanvasClient(fixed_sandbox.base_url, fixed_sandbox.info.token_of("teacher"), string_ids=True)
    store = DraftStore(tmp_path / "drafts.sqlite3", "acct")
    try:
        session = InboxSession(client, drafts=store, clock=lambda: FIXED_NOW)
        app = InboxApp(session, downloads=Path("/downloads"), clock=lambda: FIXED_NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)
            assert len(app.list.rows) > 20 and all(isinstance(r.id, int) for r in app.list.rows)
            assert session.me.id == TEACHER
            cid = await open_row(pilot, "Recorded question about the homework")
            assert app.thread.conversation.messages
            await open_composer(pilot, "r")
            await pilot.press(*"Answered over string ids.")
            await pilot.press("ctrl+s")
            await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
            await async_wait_until(lambda: not app.status.running)
            await settle(pilot)
            assert app.status.message == "Reply sent"
            shown = " ".join(str(block.content) for block in app.thread.query("MessageBlock"))
            assert "Answered over string ids." in shown
    finally:
        store.close()
    with user_client(fixed_sandbox, "teacher") as api:
        thread = api.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "false"}).json()
    assert [m["body"] for m in thread["messages"]].count("Answered over string ids.") == 1
    assert thread["workflow_state"] == "read"  # opening it marked it read
