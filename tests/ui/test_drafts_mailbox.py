"""The Drafts mailbox (issue 19, item 13): every kept draft can be reached, reopened and discarded.

"Your text is back in Drafts" was said, but there was no Drafts view: a reply to a conversation
that no longer exists could never be reached again. The real app against the sandbox; what a
draft becomes is checked in the store and, once sent, through the API.
"""

from __future__ import annotations

from textual.widgets import TextArea

from tests.conftest import user_client
from tests.ui.test_compose import SIZE, closed, settle, started
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.compose import Draft, RecipientRef
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.screens.confirm import ConfirmScreen
from tui_inbox.ui.widgets.drafts_list import DraftsList


def rail_text(app) -> str:
    rail = app.query_one("#rail")
    return "\n".join(str(rail.get_option_at_index(i).prompt) for i in range(rail.option_count))


def shown_rows(app) -> list[str]:
    box = app.query_one(DraftsList)
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


async def open_drafts(pilot) -> DraftsList:
    await pilot.press("8")
    box = await async_wait_until(lambda: next((b for b in pilot.app.query(DraftsList) if b.display), None))
    await settle(pilot)
    return box


async def reopen_the_first(pilot) -> ComposeScreen:
    """Drafts (8), Enter on the newest: the composer it opens."""
    box = await open_drafts(pilot)
    box.focus()
    await pilot.press("enter")
    return await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, ComposeScreen) else None)


def seeded(tmp_path, *drafts: Draft) -> DraftStore:
    store = DraftStore(tmp_path / "d.sqlite3", "acct")
    for draft in drafts:
        store.save(draft.key, draft.to_dict())
    return store


def app_on(sandbox, store: DraftStore) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    return InboxApp(InboxSession(client, drafts=store))


async def test_drafts_lists_every_draft_with_whom_it_goes_to_and_its_first_line(sandbox, tmp_path):
    store = seeded(tmp_path,
                   Draft(kind="new", to=[RecipientRef("5", "Ada Lovelace")], body="\nLab moved to Thursday\nsee you"),
                   Draft(kind="reply", conversation_id=999999, to=[RecipientRef("6", "Alan Turing")],
                         subject="Exam", body="Yes, ten o'clock"))
    app = app_on(sandbox, store)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "8 Drafts 2" in rail_text(app)  # on the rail while it holds something
        await open_drafts(pilot)
        rows = shown_rows(app)
        assert len(rows) == 2
        assert any("Reply to Alan Turing" in row and "Yes, ten o'clock" in row for row in rows), rows
        assert any("New message to Ada Lovelace" in row and "Lab moved to Thursday" in row
                   and "see you" not in row for row in rows), rows
    store.close()


async def test_enter_reopens_a_draft_and_d_discards_one_after_asking(sandbox, tmp_path):
    store = seeded(tmp_path, Draft(kind="new", to=[RecipientRef("5", "Ada Lovelace")], body="keep me"))
    app = app_on(sandbox, store)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await reopen_the_first(pilot)
        assert screen.query_one("#body", TextArea).text == "keep me"
        await pilot.press("escape")
        await closed(pilot)

        await pilot.press("d")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # changed my mind
        await settle(pilot)
        assert store.load("new") is not None
        await pilot.press("d")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await async_wait_until(lambda: store.load("new") is None)
        await settle(pilot)
        assert app.status.message == "Draft discarded."
        assert "No drafts" in shown_rows(app)[0]
        assert app.session.client is not None and app.is_running  # d did not delete a conversation
    store.close()


async def test_a_reply_whose_conversation_is_gone_becomes_a_new_message_to_the_same_people(sandbox, tmp_path):
    with user_client(sandbox) as api:
        conversation = api.get("/api/v1/conversations").json()[-1]
        me = api.get("/api/v1/users/self").json()["id"]
        others = [p for p in api.get(f"/api/v1/conversations/{conversation['id']}").json()["participants"]
                  if p["id"] != me]
        # Deleted on another device, after the reply was begun here.
        assert api.delete(f"/api/v1/conversations/{conversation['id']}").status_code == 200
    people = [RecipientRef(str(p["id"]), p["name"]) for p in others]
    reply = Draft(kind="reply", conversation_id=conversation["id"], to=people, subject=conversation["subject"],
                  body="Answer to a thread that is gone")
    store = seeded(tmp_path, reply)
    app = app_on(sandbox, store)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await reopen_the_first(pilot)
        assert screen.draft.kind == "new"
        assert [r.id for r in screen.draft.to] == [r.id for r in people]
        assert screen.query_one("#body", TextArea).text == "Answer to a thread that is gone"
        assert store.load(reply.key) is None and store.load(screen.draft.key) is not None  # moved, not copied
        await pilot.press("ctrl+s")
        await closed(pilot)
        assert store.keys() == []
    store.close()
    with user_client(sandbox) as api:
        sent = api.get("/api/v1/conversations", params={"scope": "sent"}).json()
        went = [c for c in sent if c["last_authored_message"] == "Answer to a thread that is gone"
                or c.get("last_message") == "Answer to a thread that is gone"]
        assert went and {p["id"] for p in others} <= {a for c in went for a in c["audience"]}


async def test_the_drafts_key_is_remapped_by_its_id(sandbox, tmp_path):
    store = seeded(tmp_path, Draft(kind="new", to=[RecipientRef("5", "Ada Lovelace")], body="remapped"))
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    app = InboxApp(InboxSession(client, drafts=store), keymap={"mailbox_8": "9"})
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("9")
        await async_wait_until(lambda: any(b.display for b in app.query(DraftsList)))
        await settle(pilot)
        assert "remapped" in shown_rows(app)[0]
    store.close()
