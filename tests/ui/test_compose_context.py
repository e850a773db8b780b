"""The composer in context: what a reply answers, recipient search as people type it, the
Attach field's Tab completion and the $EDITOR round trip. Driven with keys in the real app
against the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from textual.widgets import Input, Static, TextArea

from tests.conftest import open_composer, open_row, press_quickly, ready, user_client
from tests.ui.test_compose import wait_for_suggestion
from tests.waiting import async_wait_until
from tui_inbox.inbox.matching import fold
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.screens.compose import ComposeScreen, Suggestions

SIZE = (100, 32)


def offered(screen: ComposeScreen) -> dict[str, str]:
    suggestions = screen.query_one(Suggestions)
    return {suggestions.get_option_at_index(i).id: str(suggestions.get_option_at_index(i).prompt)
            for i in range(suggestions.option_count)}


async def search_for(pilot, screen: ComposeScreen, text: str) -> dict[str, str]:
    await pilot.press(*text)
    # The suggestions of this very text: typing it letter by letter shows each shorter one's first.
    await async_wait_until(lambda: screen.query_one(Suggestions).display and screen.found
                           and screen.to_field.found_for == text and screen.query_one("#to", Input).value == text)
    await pilot.app.workers.wait_for_complete()
    return offered(screen)


# -- recipient search ------------------------------------------------------------------------------------

def test_folding_takes_off_case_and_accents():
    assert fold("Zoë 🌟 Müller") == "zoe 🌟 muller"
    assert fold("Straße Jiménez") == "strasse jimenez"


async def test_students_finds_every_courses_students_with_how_many_each_reaches(make_inbox_app, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        found = await search_for(pilot, screen, "Students")
        students = {rid: prompt for rid, prompt in found.items() if rid.endswith("_students")}
        courses = app.session.courses
        assert len(courses) > 1 and set(students) == {f"{c.context_code}_students" for c in courses}
        for course in courses:
            code = f"{course.context_code}_students"
            with user_client(fixed_sandbox, "teacher") as api:  # how many Canvas says it reaches
                [context] = [c for c in api.get("/api/v1/search/recipients", params={
                    "context": course.context_code, "synthetic_contexts": "true"}).json() if c["id"] == code]
            count = context["user_count"]
            prompt = students[code]
            assert prompt.startswith(f"Students in {course.course_code or course.name}")
            assert f"{count} {'person' if count == 1 else 'people'}" in prompt
        assert not any(rid.endswith(("_teachers", "_tas")) for rid in found)  # "Students" is not the teachers


async def test_a_name_is_found_without_its_accents(make_inbox_app, fixed_sandbox):
    with user_client(fixed_sandbox, "teacher") as api:
        canvas = api.get("/api/v1/search/recipients", params={"search": "zoe"}).json()
        zoe = api.get("/api/v1/search/recipients", params={"search": "Zoë"}).json()[0]
    assert canvas == []  # Canvas matches the letters as typed
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        found = await search_for(pilot, screen, "zoe")
        assert "Zoë 🌟 Müller" in found[str(zoe["id"])]
        index = await wait_for_suggestion(screen, str(zoe["id"]))
        await pilot.press(*["down"] * index, "enter")
        assert [(r.id, r.label) for r in screen.draft.to] == [(str(zoe["id"]), "Zoë 🌟 Müller")]


# -- Attach completes paths with Tab -------------------------------------------------------------------------

async def test_tab_completes_the_attach_path_and_stays_while_it_offers_one(make_inbox_app, tmp_path):
    folder = tmp_path / "files"
    (folder / "lab").mkdir(parents=True)
    (folder / "report-final.pdf").write_bytes(b"%PDF final")
    (folder / "report-draft.pdf").write_bytes(b"%PDF draft")
    (folder / "lab" / "notes.txt").write_text("notes\n")
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        attach = screen.query_one("#attach", Input)
        attach.focus()
        await press_quickly(pilot, *f"{folder}/rep")
        await pilot.press("tab")  # the common start of the two reports
        assert app.focused is attach and attach.value == f"{folder}/report-"
        assert "2 match: report-draft.pdf, report-final.pdf" in screen.status_text
        await pilot.press("f", "tab")  # one left: completed whole
        assert app.focused is attach and attach.value == f"{folder}/report-final.pdf"
        await pilot.press("enter")
        assert screen.draft.attachments == [str(folder / "report-final.pdf")]

        await press_quickly(pilot, *f"{folder}/l")
        await pilot.press("tab")  # a folder, ready for the next part
        assert attach.value == f"{folder}/lab/"
        await pilot.press("n", "tab", "enter")
        assert screen.draft.attachments == [str(folder / "report-final.pdf"), str(folder / "lab" / "notes.txt")]

        await press_quickly(pilot, *f"{folder}/nothing-here")
        await pilot.press("tab")  # nothing to complete: Tab moves on as before
        assert app.focused is not attach


# -- what a reply answers and a forward carries ---------------------------------------------------------------

async def test_a_reply_shows_the_thread_it_answers_and_quotes_it_on_request(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        conversation = app.session.current
        newest = next(m for m in conversation.messages if m.author_id != app.session.me_id and not m.generated)
        author = next(p.name for p in conversation.participants if p.id == newest.author_id)  # display name
        screen = await open_composer(pilot, "r")
        context = str(screen.query_one("#context-text", Static).content)
        assert newest.body.strip().splitlines()[0] in context and author in context
        assert app.focused is screen.query_one("#body")  # writing starts at once, the thread in view
        assert "ctrl+o quote" in str(screen.query_one("#compose-keys", Static).content)

        await pilot.press("ctrl+o")
        body = screen.query_one("#body", TextArea).text
        assert body.startswith(f"On ") and f"{author} wrote:\n> {newest.body.strip().splitlines()[0]}" in body
        await pilot.press(*"Agreed.")
        assert screen.draft.body.endswith("\n\nAgreed.")  # the answer goes below the quote


async def test_a_forward_names_the_messages_it_carries(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        messages = [m for m in app.session.current.messages]
        screen = await open_composer(pilot, "f")
        context = str(screen.query_one("#context-text", Static).content)
        assert f"Forwarding {len(screen.draft.forward_message_ids)} messages" in context
        for message in messages:
            assert message.body.strip().splitlines()[0][:40] in context
        await pilot.press("ctrl+o")
        assert "Only a reply quotes" in screen.status_text and screen.draft.body == ""
