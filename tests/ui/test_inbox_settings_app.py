"""Inbox Settings in the app, driven with keys against the sandbox, checked through Canvas's GraphQL.

The sandbox serves them as canvas-lms does (app/graphql/mutations/update_my_inbox_settings.rb,
app/controllers/accounts_controller.rb ``environment``); the composer signs as the web Inbox's
ui/features/inbox/react/components/MessageBody/MessageBody.tsx does, after ``signatureSeparator``.
"""

from __future__ import annotations

from textual.widgets import Checkbox, Input, TextArea

from tests.conftest import open_composer, open_row, press_quickly, ready, settle
from tests.two_schools import COLLEGE, STATE, api, both_ready, close_stores, start_schools, two_school_app
from tests.waiting import async_wait_until
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.ui.screens.inbox_settings import InboxSettingsScreen

SIZE = (100, 32)
QUERY = ("query { myInboxSettings { useSignature signature useOutOfOffice outOfOfficeFirstDate outOfOfficeLastDate "
         "outOfOfficeSubject outOfOfficeMessage } }")
SAVE = "mutation($input: UpdateMyInboxSettingsInput!) { updateMyInboxSettings(input: $input) { errors { message } } }"


def on_canvas(client) -> dict:
    return client.post("/api/graphql", json={"query": QUERY}).json()["data"]["myInboxSettings"]


def save_on_canvas(client, **fields) -> None:
    answer = client.post("/api/graphql", json={"query": SAVE, "variables": {"input": fields}}).json()
    assert answer["data"]["updateMyInboxSettings"]["errors"] is None


async def open_settings(pilot) -> InboxSettingsScreen:
    await pilot.press("comma")
    screen = await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, InboxSettingsScreen)
                                    else None)
    await settle(pilot)
    return screen


async def test_the_settings_key_shows_and_changes_signature_and_out_of_office(make_inbox_app, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_settings(pilot)
        title = str(screen.query_one("#settings-title").render())
        assert "127.0.0.1" in title and "Maggie Okafor" in title  # which account it is
        assert screen.query_one("#use-signature", Checkbox).has_focus
        await pilot.press("space", "tab")
        await press_quickly(pilot, *"Dr. Okafor")
        await pilot.press("tab", "space", "tab")
        await press_quickly(pilot, *"2026-12-21")
        await pilot.press("tab")
        await press_quickly(pilot, *"2027-01-04")
        await pilot.press("tab")
        await press_quickly(pilot, *"Away")
        await pilot.press("tab")
        await press_quickly(pilot, *"Back on 4 January")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: not isinstance(app.screen, InboxSettingsScreen) and not app.status.running)
        await settle(pilot)
        assert app.status.message == "Inbox Settings saved."
    with api(fixed_sandbox) as client:
        saved = on_canvas(client)
    assert saved == {"useSignature": True, "signature": "Dr. Okafor", "useOutOfOffice": True,
                     "outOfOfficeFirstDate": "2026-12-21T00:00:00Z", "outOfOfficeLastDate": "2027-01-04T00:00:00Z",
                     "outOfOfficeSubject": "Away", "outOfOfficeMessage": "Back on 4 January"}


async def test_a_bad_day_is_said_and_esc_changes_nothing(make_inbox_app, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_settings(pilot)
        screen.query_one("#first-day", Input).value = "21/12/2026"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and "2026-12-21" in str(screen.query_one("#settings-error").render())
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, InboxSettingsScreen))
        await settle(pilot)
    with api(fixed_sandbox) as client:
        assert on_canvas(client)["useOutOfOffice"] is False and on_canvas(client)["outOfOfficeFirstDate"] is None


async def test_a_reply_starts_with_the_signature_and_the_user_can_edit_it_out(make_inbox_app, fixed_sandbox):
    with api(fixed_sandbox) as client:  # saved in the web Inbox before the app started
        save_on_canvas(client, useSignature=True, signature="Dr. Okafor\nBIO 101", useOutOfOffice=False)
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        new = await open_composer(pilot, "c")
        body = new.query_one("#body", TextArea)
        assert body.text == "\n\n---\nDr. Okafor\nBIO 101" and body.cursor_location == (0, 0)
        await pilot.press("escape")  # untouched: nothing kept
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        cid = await open_row(pilot, "Lab report extension")
        reply = await open_composer(pilot, "r")
        body = reply.query_one("#body", TextArea)
        assert body.text.endswith("\n\n---\nDr. Okafor\nBIO 101")
        await press_quickly(pilot, *"Friday works.")
        await pilot.press("down", "shift+down", "shift+down", "shift+down", "shift+end", "backspace")
        await settle(pilot)
        assert body.text == "Friday works.\n"
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen) and not app.status.running)
        await settle(pilot)
    with api(fixed_sandbox) as client:
        messages = client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).json()["messages"]
    assert messages[0]["body"].strip() == "Friday works." and "Okafor" not in messages[0]["body"]


async def test_a_school_with_them_off_shows_nothing_of_them(make_sandbox, make_inbox_app):
    from tests.conftest import FIXED_NOW

    off = make_sandbox(seed=1, now=FIXED_NOW, inbox_settings=False)
    with api(off) as client:  # kept on Canvas, but the school does not use them
        save_on_canvas(client, useSignature=True, signature="Dr. Okafor", useOutOfOffice=False)
    app = make_inbox_app(sandbox=off)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        composer = await open_composer(pilot, "c")
        assert composer.query_one("#body", TextArea).text == ""
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
        await pilot.press("comma")
        await async_wait_until(lambda: not app.status.running and "no Inbox Settings" in (app.status.message or ""))
        await settle(pilot)
        assert not isinstance(app.screen, InboxSettingsScreen)


async def test_with_two_accounts_each_signs_with_its_own_and_the_screen_says_which(make_sandbox, tmp_path):
    schools = start_schools(make_sandbox)
    for school, signature in zip(schools, ("State signature", "College signature")):
        with api(school) as client:
            save_on_canvas(client, useSignature=True, signature=signature, useOutOfOffice=False)
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await both_ready(pilot)
            for name, signature in ((STATE, "State signature"), (COLLEGE, "College signature")):
                index = next(i for i in range(len(app.list.rows))
                             if app.list.account(i) == name and not app.list.rows[i].cannot_reply)
                app.list.cursor = index
                cid = app.list.current_key[1]
                await pilot.press("enter")
                await async_wait_until(lambda: app.thread.conversation is not None
                                       and app.thread.conversation.id == cid)
                await settle(pilot)
                composer = await open_composer(pilot, "r")
                assert composer.query_one("#body", TextArea).text.endswith(f"\n---\n{signature}")
                await pilot.press("escape")
                await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
                screen = await open_settings(pilot)
                assert str(screen.query_one("#settings-title").render()).startswith(f"Inbox Settings · {name} · ")
                assert screen.query_one("#signature", TextArea).text == signature
                await pilot.press("escape")
                await async_wait_until(lambda: not isinstance(app.screen, InboxSettingsScreen))
    finally:
        close_stores(app)
