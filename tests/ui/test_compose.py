"""The composer, driven with keys in the real app against the sandbox, checked through the API.

Each journey is what a user does: open the composer, pick people from the as-you-type
search, write, send; and what must never happen: a message sent twice, text lost on a
failed send or on closing, a name parsed as markup.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest
from textual.widgets import Input, RadioButton, RadioSet, Static, TextArea

from tests.conftest import press_quickly, user_client
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.compose import Draft, RecipientRef
from tui_inbox.inbox.session import InboxSession
from tui_inbox.inbox.text import one_line
from tui_inbox.store.drafts import DraftStore
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen, Suggestions

SIZE = (100, 32)


def make_app(sandbox, drafts_file: Path) -> InboxApp:
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    return InboxApp(InboxSession(client, drafts=DraftStore(drafts_file, "acct")))


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def started(pilot) -> None:
    await settle(pilot)
    await async_wait_until(lambda: pilot.app.session.me is not None and pilot.app.session.view.loaded)
    await pilot.pause()


async def open_composer(pilot, key: str = "c") -> ComposeScreen:
    await pilot.press(key)
    screen = await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, ComposeScreen) else None)
    await pilot.pause()
    return screen


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def wait_for_suggestion(screen: ComposeScreen, rid: str):
    """Wait until the suggestions list offers recipient ``rid``; return its index."""

    def offered():
        suggestions = screen.query_one(Suggestions)
        if not suggestions.display:
            return None
        for index in range(suggestions.option_count):
            if suggestions.get_option_at_index(index).id == rid:
                return index + 1  # truthy even for the first row
        return None

    return await async_wait_until(offered) - 1


async def closed(pilot) -> None:
    screen = pilot.app.screen
    try:
        await async_wait_until(lambda: not isinstance(pilot.app.screen, ComposeScreen))
    except AssertionError:
        raise AssertionError(f"the composer stayed open: {getattr(screen, 'status_text', '')!r}") from None
    await settle(pilot)


def sent_with_subject(sandbox, subject: str) -> list[dict]:
    with user_client(sandbox, "teacher") as api:
        rows = api.get("/api/v1/conversations", params={"scope": "sent", "per_page": 100}).json()
        found = [row for row in rows if row["subject"] == subject]
        return [api.get(f"/api/v1/conversations/{row['id']}").json() for row in found]


def recipient_id(sandbox, name: str) -> str:
    with user_client(sandbox, "teacher") as api:
        found = api.get("/api/v1/search/recipients", params={"search": name}).json()
    return str(found[0]["id"])


async def choose(pilot, screen: ComposeScreen, choice: str) -> None:
    """Choose a delivery with the keys: focus the choice, move its cursor (the highlighted line)
    there, press space."""
    radio = screen.query_one("#delivery", RadioSet)
    radio.focus()
    for _ in range(len(radio.children)):
        if radio.query_one(f"#delivery-{choice}").has_class("-selected"):
            break
        await pilot.press("down")
    await pilot.press("space")
    await pilot.pause()


def body_of(screen: ComposeScreen) -> str:
    return screen.query_one("#body", TextArea).text


# -- (1) a new message to one student ----------------------------------------------------------------

async def test_new_message_to_a_student_is_sent_exactly_once(sandbox, tmp_path):
    jane = recipient_id(sandbox, "Jane")
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        assert app.focused is screen.query_one("#to")
        assert "New message" in str(screen.query_one("#compose-title", Static).content)

        await type_text(pilot, "Jane")
        index = await wait_for_suggestion(screen, jane)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        assert [(r.id, r.label) for r in screen.draft.to] == [(jane, "Jane")]
        assert screen.query_one("#to", Input).value == ""
        assert not screen.query_one(Suggestions).display
        assert "Jane" in str(screen.query_one("#to-chips", Static).content)

        await pilot.press("tab")  # To -> Course
        await pilot.press("tab")  # Course -> Subject
        assert app.focused is screen.query_one("#subject")
        await type_text(pilot, "Lab report 7f3")
        await pilot.press("tab", "tab")  # the delivery choice, then the body
        assert app.focused is screen.query_one("#body")
        await type_text(pilot, "Please resend the lab report.")
        assert screen.draft.subject == "Lab report 7f3"
        assert screen.draft.body == "Please resend the lab report."

        await pilot.press("ctrl+s")
        await closed(pilot)
        assert "sent" in app.status.message.lower()
        # The session discards a sent draft: the next composer starts empty.
        assert app.session.load_draft("new") is None

    conversations = sent_with_subject(sandbox, "Lab report 7f3")
    assert len(conversations) == 1
    [conversation] = conversations
    bodies = [m["body"] for m in conversation["messages"]]
    assert bodies.count("Please resend the lab report.") == 1
    assert int(jane) in {p["id"] for p in conversation["participants"]}


# -- (2) a whole course's students -----------------------------------------------------------------------

async def test_message_to_the_students_of_a_course(sandbox, tmp_path):
    with user_client(sandbox, "teacher") as api:
        students = {u["id"] for u in api.get("/api/v1/search/recipients",
                                              params={"context": "course_1_students", "per_page": 100}).json()}
    assert len(students) > 2
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        await type_text(pilot, "BIO")
        index = await wait_for_suggestion(screen, "course_1_students")
        suggestions = screen.query_one(Suggestions)
        assert "Students in BIO 101" in str(suggestions.get_option_at_index(index).prompt)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("tab")  # tab picks too
        assert [(r.id, r.label) for r in screen.draft.to] == [("course_1_students", "Students in BIO 101")]

        # One conversation everyone sees, rather than one private thread per student.
        await choose(pilot, screen, "group")
        assert screen.draft.group_conversation and not screen.draft.individual
        screen.query_one("#subject").focus()
        await type_text(pilot, "Quiz moved 4b1")
        screen.query_one("#body").focus()
        await type_text(pilot, "The quiz moves to Friday.")
        await pilot.press("ctrl+s")
        await closed(pilot)

    conversations = sent_with_subject(sandbox, "Quiz moved 4b1")
    assert len(conversations) == 1
    [conversation] = conversations
    assert not conversation["private"]
    assert students <= {p["id"] for p in conversation["participants"]}
    assert [m["body"] for m in conversation["messages"]] == ["The quiz moves to Friday."]


# -- (3) a draft survives closing the app ------------------------------------------------------------------

async def test_a_draft_survives_closing_the_app(sandbox, tmp_path):
    drafts = tmp_path / "d.sqlite3"
    jane = recipient_id(sandbox, "Jane")
    app = make_app(sandbox, drafts)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        await type_text(pilot, "Jane")
        await wait_for_suggestion(screen, jane)
        await pilot.press("enter")
        screen.query_one("#subject").focus()
        await type_text(pilot, "Field trip")
        screen.query_one("#body").focus()
        await type_text(pilot, "Bring [b]boots[/b] and water")
        await pilot.press("escape")
        await closed(pilot)
        assert app.status.error == ""
        await pilot.press("q")
    assert app.return_code == 0

    again = make_app(sandbox, drafts)
    async with again.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        assert body_of(screen) == "Bring [b]boots[/b] and water"
        assert screen.query_one("#subject", Input).value == "Field trip"
        assert [(r.id, r.label) for r in screen.draft.to] == [(jane, "Jane")]
        assert "Jane" in str(screen.query_one("#to-chips", Static).content)
        # A restored draft opens on the body, where the user left off.
        assert again.focused is screen.query_one("#body")


async def test_the_draft_is_saved_while_typing_without_closing(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await type_text(pilot, "half a thought")
        # Saved as it is typed, with the composer still open (a crash loses nothing).
        await async_wait_until(lambda: (app.session.load_draft("new") or Draft()).body == "half a thought")
        assert isinstance(app.screen, ComposeScreen)


# -- (4) a failed send keeps every word -----------------------------------------------------------------------

async def test_send_without_recipients_shows_the_problem_and_keeps_the_text(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await type_text(pilot, "Nobody to send this to")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.status_text == "Add at least one recipient in To."
        assert body_of(screen) == "Nobody to send this to"
        await pilot.press("escape")
        await closed(pilot)
        assert app.session.load_draft("new").body == "Nobody to send this to"


async def test_a_send_canvas_refuses_keeps_the_text_and_the_draft(sandbox, tmp_path):
    drafts = tmp_path / "d.sqlite3"
    store = DraftStore(drafts, "acct")
    store.save("new", Draft(to=[RecipientRef("999999", "Nobody Here")], subject="Refused",
                            body="This must not be lost").to_dict())
    store.close()
    app = make_app(sandbox, drafts)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        assert body_of(screen) == "This must not be lost"
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: screen.status_text and screen.status_text != "Sending…")
        await settle(pilot)
        assert app.screen is screen  # still open
        assert "recipients" in screen.status_text.lower()
        assert body_of(screen) == "This must not be lost"
        assert screen.query_one("#subject", Input).value == "Refused"
        assert app.session.load_draft("new").body == "This must not be lost"
    assert sent_with_subject(sandbox, "Refused") == []


# -- (5) a reply goes into the thread -------------------------------------------------------------------------

async def test_reply_to_an_open_conversation(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        row = app.list.current
        assert row is not None
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == row.id)
        await settle(pilot)
        screen = await open_composer(pilot, "r")
        assert screen.draft.kind == "reply" and screen.draft.conversation_id == row.id
        title = str(screen.query_one("#compose-title", Static).content)
        # The subject being answered, shown as text: the seeded trap's markup appears literally.
        assert title.startswith("Reply")
        assert one_line(row.subject) in title
        assert app.focused is screen.query_one("#body")
        assert not screen.query("#to")  # Canvas sends a reply to the conversation's participants
        await type_text(pilot, "Thanks, noted.")
        await pilot.press("ctrl+s")
        await closed(pilot)
        assert app.status.message == "Reply sent"
        assert app.session.load_draft(f"reply:{row.id}") is None

    with user_client(sandbox, "teacher") as api:
        conversation = api.get(f"/api/v1/conversations/{row.id}").json()
        me = api.get("/api/v1/users/self").json()["id"]
    mine = [m for m in conversation["messages"] if m["body"] == "Thanks, noted."]
    assert len(mine) == 1 and mine[0]["author_id"] == me
    assert conversation["messages"][0]["body"] == "Thanks, noted."  # newest first


# -- the rest of the form ----------------------------------------------------------------------------------------

async def test_suggestions_keys_chips_options_and_attachments(sandbox, tmp_path):
    jane = recipient_id(sandbox, "Jane")
    attachment = tmp_path / "notes.txt"
    attachment.write_text("lab notes\n")
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)

        # escape closes the suggestions first, and only then the composer.
        await type_text(pilot, "Jane")
        await wait_for_suggestion(screen, jane)
        await pilot.press("escape")
        assert isinstance(app.screen, ComposeScreen) and not screen.query_one(Suggestions).display

        # enter picks; backspace on the empty field takes the last recipient off; ctrl+l clears To.
        await pilot.press("enter")
        await wait_for_suggestion(screen, jane)
        await pilot.press("enter")
        assert [r.id for r in screen.draft.to] == [jane]
        await pilot.press("backspace")
        assert screen.draft.to == []
        await type_text(pilot, "Jane")
        await wait_for_suggestion(screen, jane)
        await pilot.press("enter")
        await pilot.press("ctrl+l")
        assert screen.draft.to == []

        # The Canvas options are one choice: choosing one unchooses the other.
        group, individual = screen.query_one("#delivery-group", RadioButton), screen.query_one("#delivery-new_separate", RadioButton)
        await choose(pilot, screen, "group")
        assert (screen.draft.group_conversation, screen.draft.individual) == (True, False)
        await choose(pilot, screen, "new_separate")
        assert (group.value, individual.value) == (False, True)
        assert (screen.draft.group_conversation, screen.draft.individual) == (False, True)

        # Single-letter inbox keys do nothing behind the composer.
        await pilot.press("c", "q", "d")
        assert app.screen is screen and app.is_running

        # Attachments by path: a missing file is refused with a message; a real one is listed.
        attach = screen.query_one("#attach", Input)
        attach.focus()
        await press_quickly(pilot, *str(tmp_path / "missing.pdf"))
        await pilot.press("enter")
        assert screen.draft.attachments == []
        assert screen.status_text.startswith("No file at")
        attach.value = ""
        await press_quickly(pilot, *str(attachment))
        await pilot.press("enter")
        assert screen.draft.attachments == [str(attachment)]
        assert "notes.txt" in str(screen.query_one("#attached", Static).content)
        await pilot.press("ctrl+t")
        assert screen.draft.attachments == []


async def test_a_name_with_markup_is_shown_as_text(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.session.save_draft(Draft(to=[RecipientRef("10", "[@click=app.quit]x[/] [bold]Jane[/bold]")], body="hi"))
        screen = await open_composer(pilot)
        chips = str(screen.query_one("#to-chips", Static).content)
        assert "[@click=app.quit]x[/] [bold]Jane[/bold]" in chips
        await pilot.click("#to-chips")
        await pilot.pause()
        assert app.is_running and app.screen is screen


async def test_attachment_is_sent_with_the_message(sandbox, tmp_path):
    jane = recipient_id(sandbox, "Jane")
    attachment = tmp_path / "rubric-for-jane-9c2.txt"
    attachment.write_text("the rubric\n")
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        await type_text(pilot, "Jane")
        await wait_for_suggestion(screen, jane)
        await pilot.press("enter")
        screen.query_one("#subject").focus()
        await type_text(pilot, "Rubric 9c2")
        screen.query_one("#attach").focus()
        await press_quickly(pilot, *str(attachment))
        await pilot.press("enter")
        screen.query_one("#body").focus()
        await type_text(pilot, "Attached.")
        await pilot.press("ctrl+s")
        await closed(pilot)
    [conversation] = sent_with_subject(sandbox, "Rubric 9c2")
    [message] = conversation["messages"]
    assert [a["display_name"] for a in message["attachments"]] == ["rubric-for-jane-9c2.txt"]


# -- $EDITOR -------------------------------------------------------------------------------------------------------

@pytest.fixture
def no_suspend(monkeypatch):
    """The test terminal cannot be suspended; pretend it was, so the editor runs in place."""
    monkeypatch.setattr(InboxApp, "suspend", lambda self: contextlib.nullcontext())


async def test_ctrl_e_edits_the_body_in_the_editor(sandbox, tmp_path, monkeypatch, no_suspend):
    editor = tmp_path / "editor.sh"
    seen = tmp_path / "seen.txt"
    # As an editor does: the user adds a line; the file is saved with a newline at its end.
    editor.write_text(f'#!/bin/sh\ncp "$1" "{seen}"\nprintf "%s\\n\\n" "and from the editor" >> "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await type_text(pilot, "typed")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert seen.read_text() == "typed\n"  # the editor gets a text file that ends with a newline
        assert body_of(screen) == "typed\nand from the editor"  # the file's trailing newlines are not the message's
        assert screen.draft.body == "typed\nand from the editor"
        assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("tui-inbox-*.txt"))


async def test_ctrl_e_with_a_missing_editor_says_so_and_keeps_the_text(sandbox, tmp_path, monkeypatch, no_suspend):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await type_text(pilot, "keep me")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "Could not start the editor" in screen.status_text
        assert body_of(screen) == "keep me"
        assert app.screen is screen


# -- sizes ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_field_fits_the_screen(sandbox, tmp_path, size):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        width, height = size
        for selector in ("#compose-title", "#to", "#course", "#subject", "#delivery-group", "#delivery-new_separate", "#body",
                         "#attach", "#compose-status", "#compose-keys"):
            region = screen.query_one(selector).region
            assert region.height >= 1 and region.bottom <= height and region.right <= width, (selector, region)
        assert screen.query_one("#body").region.height >= 8
        assert screen.query_one("#body").region.width >= width - 4


# -- quitting, forwarding, adding people --------------------------------------------------------------------------

async def test_quitting_with_the_composer_open_keeps_the_draft(sandbox, tmp_path):
    drafts = tmp_path / "d.sqlite3"
    app = make_app(sandbox, drafts)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#body").focus()
        await type_text(pilot, "typed just before ctrl+q")
        await pilot.press("ctrl+q")  # at once: before the typing pause would have saved it
    store = DraftStore(drafts, "acct")
    try:
        assert store.load("new")["body"] == "typed just before ctrl+q"
    finally:
        store.close()


async def test_forward_an_open_conversation(sandbox, tmp_path):
    jane = recipient_id(sandbox, "Jane")
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        row = app.list.current
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == row.id)
        await settle(pilot)
        screen = await open_composer(pilot, "f")
        assert screen.draft.kind == "forward" and screen.draft.forward_message_ids
        subject = screen.query_one("#subject", Input).value
        assert subject.startswith("Fwd: ")
        # A forward is a new message: it may go into an existing private conversation unless told not to.
        assert screen.query("#delivery-new_separate")
        assert app.focused is screen.query_one("#to")
        await type_text(pilot, "Jane")
        await wait_for_suggestion(screen, jane)
        await pilot.press("enter")
        screen.query_one("#body").focus()
        await type_text(pilot, "FYI")
        await pilot.press("ctrl+s")
        await closed(pilot)
    [conversation] = sent_with_subject(sandbox, subject)
    [message] = conversation["messages"]
    assert message["body"] == "FYI"
    assert message.get("forwarded_messages")


async def test_add_people_has_recipients_and_no_body(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "d.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        group_row = next(r for r in app.session.view.rows if not r.private)
        app.list.cursor = app.session.view.rows.index(group_row)
        screen = await open_composer(pilot, "plus")
        assert screen.draft.kind == "add_people"
        assert not screen.query("#body") and not screen.query("#attach") and not screen.query("#subject")
        assert app.focused is screen.query_one("#to")
        await pilot.press("ctrl+s")
        assert screen.status_text == "Add at least one recipient in To."
        await pilot.press("escape")
        await closed(pilot)
