"""What a user does in the inbox, with keys, in the real app against the sandbox.

Each journey is checked where it matters, through the API with the teacher's own token
(a plain HTTP client, not the app's): reading marks read, ``m`` keeps unread, a reply is
in the thread and under Sent, star, archive, unarchive and delete change Canvas, search
narrows and comes back, remapped keys work and the help says so, the mailbox keys
switch, refresh shows what a student just wrote, and a failure is said in one line with
the row put back.
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from rich.console import Console

from tests.conftest import move_to, open_composer, open_row, ready, row_index, settle, user_client
from tests.waiting import async_wait_until
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.inbox.text import one_line
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.screens.confirm import ConfirmScreen
from tui_inbox.ui.screens.help import HelpScreen

SIZE = (120, 36)


@pytest.fixture
def api(fixed_sandbox):
    """The teacher, through the API: the judge of what the app did."""
    with user_client(fixed_sandbox, "teacher") as client:
        yield client


def state_of(api, conversation_id: int) -> dict:
    """The conversation as Canvas has it for the teacher, without marking it read by looking."""
    response = api.get(f"/api/v1/conversations/{conversation_id}", params={"auto_mark_as_read": "false"})
    response.raise_for_status()
    return response.json()


def ids_in(api, scope: str | None = None, per_page: int = 100) -> list[int]:
    params = {"per_page": per_page}
    if scope:
        params["scope"] = scope
    ids, url = [], "/api/v1/conversations"
    while url:
        response = api.get(url, params=params)
        response.raise_for_status()
        ids += [row["id"] for row in response.json()]
        url, params = response.links.get("next", {}).get("url"), None
    return ids


async def api_shows(api, conversation_id: int, **expected) -> dict:
    """Wait until the API's copy of the conversation has ``expected`` (the action's worker may still run)."""
    def check():
        found = state_of(api, conversation_id)
        return found if all(found.get(k) == v for k, v in expected.items()) else None

    return await async_wait_until(check)


def title_unread(app) -> int:
    """The unread count the title bar shows."""
    text = str(app.query_one("#title-bar").content)
    found = re.search(r"\(([\d,]+) unread\)", text)
    assert found, text
    return int(found[1].replace(",", ""))


def list_line(app, conversation_id: int) -> str:
    """The text of the conversation's row as the list paints it on screen (through its line cache)."""
    index = next(i for i, r in enumerate(app.list.rows) if r.id == conversation_id)
    y = index - app.list.top
    assert 0 <= y < app.list.size.height, f"row {index} is not on screen (top {app.list.top})"
    return app.list.render_line(y).text


def in_list(app, conversation_id: int) -> bool:
    return any(r.id == conversation_id for r in app.list.rows)


async def idle(pilot) -> None:
    """The action's worker done and painted."""
    await async_wait_until(lambda: not pilot.app.status.running)
    await settle(pilot)


# -- reading ------------------------------------------------------------------------------------------------

async def test_enter_marks_read_and_m_keeps_it_unread(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = next(i for i, r in enumerate(app.list.rows) if r.workflow_state == "unread")
        cid = app.list.rows[index].id
        assert state_of(api, cid)["workflow_state"] == "unread"
        assert list_line(app, cid).startswith(" ●")
        unread_before = title_unread(app)
        assert unread_before == int(api.get("/api/v1/conversations/unread_count").json()["unread_count"])  # Canvas sends a string

        await move_to(pilot, index)
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == cid)
        await idle(pilot)
        assert state_of(api, cid)["workflow_state"] == "read"
        assert not list_line(app, cid).startswith(" ●")
        await async_wait_until(lambda: title_unread(app) == unread_before - 1)

        # m on the opened conversation: kept unread, in Canvas and on screen.
        await pilot.press("m")
        await api_shows(api, cid, workflow_state="unread")
        await idle(pilot)
        assert list_line(app, cid).startswith(" ●")
        await async_wait_until(lambda: title_unread(app) == unread_before)


# -- writing ------------------------------------------------------------------------------------------------

async def test_reply_appears_in_the_thread_and_under_sent(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        # A conversation the teacher has not written in yet: not under Sent before the reply.
        cid = await open_row(pilot, "Recorded question about the homework")
        assert cid not in ids_in(api, "sent")

        screen = await open_composer(pilot, "r")
        assert screen.draft.kind == "reply" and app.focused is screen.query_one("#body")
        await pilot.press(*"Thanks, I will answer in class 7c1.")
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        await idle(pilot)

        assert app.status.message == "Reply sent"
        shown = " ".join(str(block.content) for block in app.thread.query("MessageBlock"))
        assert "Thanks, I will answer in class 7c1." in shown
    assert cid in ids_in(api, "sent")
    bodies = [m["body"] for m in state_of(api, cid)["messages"]]
    assert bodies.count("Thanks, I will answer in class 7c1.") == 1


# -- star, archive, unarchive, delete -----------------------------------------------------------------------------

async def test_s_stars_then_unstars(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = next(i for i, r in enumerate(app.list.rows) if not r.starred)
        cid = app.list.rows[index].id
        await move_to(pilot, index)
        await pilot.press("s")
        await api_shows(api, cid, starred=True)
        await idle(pilot)
        assert "★" in list_line(app, cid)
        await pilot.press("s")
        await api_shows(api, cid, starred=False)
        await idle(pilot)
        assert "★" not in list_line(app, cid)


async def test_a_archives_and_the_row_leaves_the_inbox(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = row_index(app, "Lab report extension")
        cid = app.list.rows[index].id
        await move_to(pilot, index)
        await pilot.press("a")
        await api_shows(api, cid, workflow_state="archived")
        await idle(pilot)
        assert not in_list(app, cid)
        assert cid not in ids_in(api, "inbox")
        assert cid in ids_in(api, "archived")


async def test_a_in_archived_unarchives_back_to_the_inbox(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await async_wait_until(lambda: app.session.mailbox.id == "archived" and app.session.view.loaded)
        await settle(pilot)
        cid = app.list.rows[0].id
        assert state_of(api, cid)["workflow_state"] == "archived"
        await move_to(pilot, 0)
        await pilot.press("a")
        await api_shows(api, cid, workflow_state="read")
        await idle(pilot)
        assert not in_list(app, cid)

        await pilot.press("1")
        await async_wait_until(lambda: app.session.mailbox.id == "inbox")
        await settle(pilot)
        assert in_list(app, cid)
    assert cid in ids_in(api, "inbox")


async def test_d_asks_first_n_keeps_it_y_deletes_it(make_inbox_app, api):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = row_index(app, "Jane's progress")
        cid = app.list.rows[index].id
        await move_to(pilot, index)

        await pilot.press("d")
        confirm = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        assert "Jane's progress" in str(confirm.query_one("#confirm-lines").content)
        await pilot.press("n")
        await async_wait_until(lambda: not isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        assert in_list(app, cid)
        assert state_of(api, cid)["id"] == cid

        await pilot.press("d")
        await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await async_wait_until(lambda: api.get(f"/api/v1/conversations/{cid}").status_code == 404)
        await idle(pilot)
        assert not in_list(app, cid)
    assert cid not in ids_in(api, "inbox")


# -- search -----------------------------------------------------------------------------------------------------

async def test_slash_narrows_the_list_and_escape_restores_it(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        everything = [r.id for r in app.list.rows]
        await pilot.press("slash")
        assert app.focused is app.query_one("#search")
        await pilot.press(*"dispute")
        await async_wait_until(lambda: len(app.list.rows) < len(everything))
        await settle(pilot)
        narrowed = app.list.rows
        assert narrowed and set(r.id for r in narrowed) < set(everything)
        assert any(one_line(r.subject) == "Fwd: Grade dispute" for r in narrowed)
        assert all("dispute" in " ".join([one_line(r.subject), one_line(r.last_message or ""),
                                           *(one_line(p.name) for p in r.participants)]).lower()
                   or "dispute" in one_line(r.last_authored_message or "").lower() for r in narrowed)

        await pilot.press("escape")
        await settle(pilot)
        assert [r.id for r in app.list.rows] == everything
        assert not app.query_one("#search").display
        assert app.focused is app.list


# -- keys ---------------------------------------------------------------------------------------------------------

def help_text(screen: HelpScreen) -> list[str]:
    console = Console(file=io.StringIO(), width=100, record=True, color_system=None)
    console.print(screen.table())
    return console.export_text().splitlines()


async def test_a_remapped_key_works_and_the_help_shows_it(make_inbox_app, api):
    app = make_inbox_app(keymap={"archive": "e"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        index = row_index(app, "Lab report extension")
        cid = app.list.rows[index].id
        await move_to(pilot, index)
        await pilot.press("e")
        await api_shows(api, cid, workflow_state="archived")
        await idle(pilot)
        assert not in_list(app, cid)

        await pilot.press("question_mark")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, HelpScreen) else None)
        [line] = [line for line in help_text(screen) if "Archive or unarchive" in line]
        assert line.split()[0] == "e" and line.split()[-1] == "archive"
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, HelpScreen))


@pytest.mark.parametrize("key, mailbox, scope", [("2", "unread", "unread"), ("3", "starred", "starred"),
                                                 ("4", "sent", "sent"), ("5", "archived", "archived"),
                                                 ("1", "inbox", "inbox")])
async def test_number_keys_switch_mailboxes(make_inbox_app, api, key, mailbox, scope):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        if key == "1":  # from somewhere else back to the inbox
            await pilot.press("5")
            await async_wait_until(lambda: app.session.mailbox.id == "archived" and app.session.view.loaded)
            await settle(pilot)
        await pilot.press(key)
        await async_wait_until(lambda: app.session.mailbox.id == mailbox and app.session.view.loaded)
        await settle(pilot)
        assert [r.id for r in app.list.rows] == ids_in(api, scope)
        assert f"  {app.session.mailbox.label}" in str(app.query_one("#title-bar").content)


async def test_ctrl_r_shows_what_a_student_wrote_meanwhile(make_inbox_app, api, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        teacher_id = api.get("/api/v1/users/self").json()["id"]
        with user_client(fixed_sandbox, "student") as student:
            sent = student.post("/api/v1/conversations", data={
                "recipients[]": str(teacher_id), "subject": "Written meanwhile 3a9",
                "body": "Is the lab open tomorrow?", "group_conversation": "true"})
            assert sent.status_code in (200, 201), sent.text
        assert not any(one_line(r.subject) == "Written meanwhile 3a9" for r in app.list.rows)

        await pilot.press("ctrl+r")
        await async_wait_until(lambda: any(one_line(r.subject) == "Written meanwhile 3a9" for r in app.list.rows))
        await idle(pilot)
        new = next(r for r in app.list.rows if one_line(r.subject) == "Written meanwhile 3a9")
        assert app.list.rows[0].id == new.id and new.workflow_state == "unread"
        assert list_line(app, new.id).startswith(" ●")


# -- failure ------------------------------------------------------------------------------------------------------

async def test_offline_an_action_is_one_line_and_the_row_keeps_it_in_the_outbox(make_inbox_app, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.session.client.http.retry = RetryPolicy(attempts=3, base=0.01)  # the same refusal, sooner
        row = app.list.current
        await asyncio.to_thread(fixed_sandbox.stop)

        await pilot.press("s")
        await async_wait_until(lambda: "(Outbox)" in app.status.message and not app.status.running)
        await settle(pilot)
        said = app.status.message
        assert "\n" not in said and str(fixed_sandbox.base_url.rsplit(":", 1)[1]) not in said
        assert said.startswith("Offline: starred here") or said.startswith("Offline: unstarred here")
        assert app.status.region.height == 1
        assert app.session.row(row.id).starred != row.starred  # as the user made it, waiting for Canvas
        assert [item.kind for item in app.session.outbox.items()] == ["unstar" if row.starred else "star"]

        # Still answering keys.
        await pilot.press("j")
        assert app.list.cursor == 1
        await pilot.press("question_mark")
        await async_wait_until(lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, HelpScreen))
        assert app.is_running
