"""What the composer and the Outbox say of who an answer goes to is true, and replying reads.

Driven with keys in the real app against the sandbox (seed 1); judged through the
teacher's own API. Conversation 4, "Lab Group A: safety briefing", is a group
conversation of the teacher and five others.
"""

from __future__ import annotations

from textual.widgets import Static

from tests.conftest import user_client
from tests.outbox_helpers import SIZE, conversation, make_app, started, to_row
from tests.ui.test_compose import open_composer, type_text, wait_for_suggestion
from tests.waiting import async_wait_until
from tui_inbox.inbox.replying import name_people
from tui_inbox.inbox.session import InboxSession
from tui_inbox.ui.screens.compose import ComposeScreen

LAB_GROUP = 4


def row_of(app, conversation_id: int) -> int:
    return next(i for i, row in enumerate(app.list.rows) if row.id == conversation_id)


async def closed(pilot) -> None:
    await async_wait_until(lambda: not isinstance(pilot.app.screen, ComposeScreen))
    await pilot.app.workers.wait_for_complete()


def test_people_are_named_or_counted_never_two_for_nine():
    assert name_people([]) == ""
    assert name_people(["Jane Doe"]) == "Jane Doe"
    assert name_people(["Jane Doe", "Bob Ma"]) == "Jane Doe and Bob Ma"
    assert name_people(["A", "B", "C"]) == "A, B and C"
    nine = [f"P{i}" for i in range(9)]
    assert name_people(nine) == "9 people: P0, P1 and 7 more"


async def test_reply_all_confirmation_names_everyone_it_went_to(sandbox, tmp_path):
    """The report: "reply all to Dana Whitfield, Jane Doe" while it went to nine."""
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await to_row(pilot, row_of(app, LAB_GROUP))
        others = [p for p in app.list.current.participants if p.id != app.session.me_id]
        assert len(others) == 5
        await open_composer(pilot, "R")
        await type_text(pilot, "To all of you")
        await pilot.press("ctrl+s")
        await closed(pilot)
        line = await async_wait_until(lambda: app.status.message if app.status.message.startswith("Outbox: reply sent")
                                      else None, timeout=20)
    assert "(reply all to 5 people: " in line and " and 3 more)" in line
    sent = conversation(sandbox, LAB_GROUP)["messages"][0]
    assert sent["body"] == "To all of you" and len(sent["participating_user_ids"]) == 6


async def test_a_plain_reply_says_and_goes_to_the_last_other_writer_even_after_the_users_own_message(
        sandbox, tmp_path):
    """The report: "To Rosa Jiménez (the last person who wrote...)" on a thread whose last message is the teacher's."""
    with user_client(sandbox, "teacher") as api:
        assert api.post(f"/api/v1/conversations/{LAB_GROUP}/add_message",
                        data={"body": "My own note, the newest"}).status_code == 200
        thread = api.get(f"/api/v1/conversations/{LAB_GROUP}", params={"auto_mark_as_read": "false"}).json()
    me = thread["messages"][0]["author_id"]
    last_other = next(m["author_id"] for m in thread["messages"] if m["author_id"] != me and not m["generated"])
    name = next(p["name"] for p in thread["participants"] if p["id"] == last_other)  # the display name

    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await to_row(pilot, row_of(app, LAB_GROUP))
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == LAB_GROUP
                               and app.session.current.messages is not None)
        screen = await open_composer(pilot, "r")
        summary = str(screen.query_one("#to-summary", Static).render())
        assert summary.startswith(name) and "the last to write before your own message" in summary
        await type_text(pilot, "Only to you")
        await pilot.press("ctrl+s")
        await closed(pilot)
        line = await async_wait_until(lambda: app.status.message if app.status.message.startswith("Outbox: reply sent")
                                      else None, timeout=20)
    assert line.endswith(f"(reply to {name})")
    sent = conversation(sandbox, LAB_GROUP)["messages"][0]
    assert sent["body"] == "Only to you" and sorted(sent["participating_user_ids"]) == sorted([me, last_other])


async def test_a_plain_reply_that_leaves_the_outbox_after_the_user_moved_on_still_goes_to_one_person(
        sandbox, tmp_path):
    """The thread is no longer open when the undo delay ends: the reply must not widen to everyone."""
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await to_row(pilot, row_of(app, LAB_GROUP))
        await open_composer(pilot, "r")
        await type_text(pilot, "Just you, later")
        await pilot.press("ctrl+s")
        await closed(pilot)
        await pilot.press("g", "j", "j", "enter")  # on to another conversation while it waits
        await async_wait_until(lambda: app.status.message.startswith("Outbox: reply sent"), timeout=20)
    sent = conversation(sandbox, LAB_GROUP)["messages"][0]
    assert sent["body"] == "Just you, later" and len(sent["participating_user_ids"]) == 2


async def test_replying_from_the_list_reads_the_conversation(sandbox, tmp_path):
    """Canvas leaves the author's unread copy unread (conversation.rb ``update_participants``
    only turns an archived one read); having answered it, the user has read it."""
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        unread = next(i for i, row in enumerate(app.list.rows) if row.unread and row.private)
        cid = await to_row(pilot, unread)
        before = app.session.unread_count
        await open_composer(pilot, "r")
        await type_text(pilot, "Answered without opening")
        await pilot.press("ctrl+s")
        await closed(pilot)
        await async_wait_until(lambda: conversation(sandbox, cid)["workflow_state"] == "read")
        await async_wait_until(lambda: not app.session.row(cid).unread and app.session.unread_count == before - 1)
    assert conversation(sandbox, cid)["messages"][0]["body"] == "Answered without opening"


async def test_adding_someone_already_in_the_conversation_says_so_and_sends_nothing(sandbox, tmp_path):
    """The report: ``+`` accepted Priya Raman, already in it, and said "Added Priya Raman."."""
    before = len(conversation(sandbox, LAB_GROUP)["messages"])
    app = make_app(sandbox.base_url, sandbox, tmp_path / "drafts.sqlite3", send_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await to_row(pilot, row_of(app, LAB_GROUP))
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == LAB_GROUP)
        member = next(p for p in app.session.current.participants if p.id != app.session.me_id)
        screen = await open_composer(pilot, "plus")
        await type_text(pilot, member.full_name.split()[0])
        await wait_for_suggestion(screen, str(member.id))
        await pilot.press("enter")
        await async_wait_until(lambda: "in this conversation already" in screen.status_text)
        assert screen.draft.to == []
        await pilot.press("escape")
        await closed(pilot)
    assert len(conversation(sandbox, LAB_GROUP)["messages"]) == before


async def test_the_core_refuses_to_add_only_people_already_in_it(sandbox, tmp_path):
    """A draft restored with someone already in it (the composer's check is not the only door)."""
    from tui_inbox.canvas import CanvasClient
    from tui_inbox.inbox.compose import Draft, RecipientRef
    from tui_inbox.store.drafts import DraftStore

    before = len(conversation(sandbox, LAB_GROUP)["messages"])
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        session = InboxSession(client, drafts=DraftStore(tmp_path / "d.sqlite3", "acct"))
        await session.start()
        member = next(p for p in session.view.rows if p.id == LAB_GROUP).participants[1]
        draft = Draft(kind="add_people", conversation_id=LAB_GROUP, to=[RecipientRef(str(member.id), member.name)])
        outcome = await session.send(draft)
        await session.aclose()
    assert not outcome.ok and "in this conversation already" in outcome.message
    assert len(conversation(sandbox, LAB_GROUP)["messages"]) == before


async def test_answering_the_conversations_a_pattern_found_takes_r_ctrl_s_n_each(sandbox, tmp_path):
    """The report: replying moves a conversation to the top, so ``n`` walked back over the ones
    already answered (15 presses of ``n`` for 6 replies). ``n`` goes on from where the answered
    one was: six answers take six times (r, ctrl+s, n) at most. The live feed moves each answered
    conversation to the top, as it does in the demo."""
    from tui_inbox.canvas import CanvasClient
    from tui_inbox.live import LiveFeed
    from tui_inbox.store.drafts import DraftStore
    from tui_inbox.ui.app import InboxApp

    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    session = InboxSession(client, drafts=DraftStore(tmp_path / "drafts.sqlite3", "acct"), send_delay=0)
    app = InboxApp(session, feed=LiveFeed(client, sandbox.live_url))
    keys: list[str] = []

    async def press(*typed: str) -> None:
        keys.extend(typed)
        await pilot.press(*typed)

    async with app.run_test(size=SIZE) as pilot:
        # Not started(): the feed's worker runs for as long as the app does.
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded
                               and app.session.unread_count is not None and not app.status.running)
        await pilot.pause()
        await pilot.press("slash")
        await type_text(pilot, "midterm")
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.view.query == "midterm" and app.list.rows)
        found = [r.id for r in app.list.rows]
        assert len(found) >= 6
        if app.list.cursor != 0:
            await press("g")  # until the narrowed list starts on its first match
        answered = []
        for number in range(6):
            here = (app.session.current or app.list.current).id
            await press("r")
            await async_wait_until(lambda: isinstance(app.screen, ComposeScreen))
            await type_text(pilot, f"Answer {number}")
            await press("ctrl+s")
            await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
            await async_wait_until(lambda: app.status.message.startswith("Reply sent"))
            await async_wait_until(lambda: app.list.rows[0].id == here)  # the feed moved it to the top
            answered.append(here)
            if number < 5:
                await press("n")
                await async_wait_until(lambda: app.session.current is not None
                                       and app.session.current.id not in answered)
    assert answered == found[:6]  # each once, in the order the pattern listed them
    assert len(keys) <= 6 * 3
    for cid in found[:6]:
        assert conversation(sandbox, cid)["messages"][0]["body"].startswith("Answer ")
