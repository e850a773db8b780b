"""Pictures of the real app against the seeded sandbox: each snapshot is one thing a user sees.

The sandbox's clock starts at a fixed instant and the app's clock is fixed to it, TZ is
UTC, there is no live feed (the status bar says offline), the title bar carries no
account label, cursors do not blink: the same run draws the same picture. Nothing is
sent in these tests, so no timestamp of the moving sandbox clock reaches the screen.
To regenerate after an intended change: ``pytest tests/ui/test_ui_snapshots.py --snapshot-update``,
then look at every changed SVG in ``tests/ui/__snapshots__/test_ui_snapshots/``.
"""

from __future__ import annotations

import asyncio

from textual.containers import VerticalScroll
from textual.widgets import Input

from tests.conftest import open_composer, open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.ui.screens.attachments import AttachmentsScreen
from tui_inbox.ui.screens.compose import Suggestions
from tui_inbox.ui.screens.help import HelpScreen
from tui_inbox.ui.widgets.thread_view import MessageBlock

SMALL = (80, 24)
LARGE = (160, 48)
MARKUP_SUBJECT_START = "[@click=app.quit]Click me"


# -- driving the app -----------------------------------------------------------------------------------

async def switch(pilot, key: str, mailbox: str) -> None:
    await pilot.press(key)
    await async_wait_until(lambda: pilot.app.session.mailbox.id == mailbox and pilot.app.session.view.loaded)
    await settle(pilot)


def scroll_thread_to(app, text: str) -> None:
    """Bring the first message block containing ``text`` to the top of the thread pane."""
    for block in app.thread.query(MessageBlock):
        if text in str(block.content):
            app.thread.scroll_to_widget(block, animate=False, top=True, immediate=True)
            return
    raise AssertionError(f"no message shows {text!r}")


# -- the inbox ------------------------------------------------------------------------------------------

def test_inbox_80x24(snap_compare, make_inbox_app):
    app = make_inbox_app()
    assert snap_compare(app, terminal_size=SMALL, run_before=ready)


def test_inbox_160x48(snap_compare, make_inbox_app):
    app = make_inbox_app()
    assert snap_compare(app, terminal_size=LARGE, run_before=ready)


def test_mailbox_unread(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await switch(pilot, "2", "unread")

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_mailbox_starred(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await switch(pilot, "3", "starred")

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_mailbox_sent(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await switch(pilot, "4", "sent")

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_mailbox_archived(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await switch(pilot, "5", "archived")

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_course_filter_bio_101_chosen_in_the_rail(snap_compare, make_inbox_app):
    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        await pilot.press("shift+tab")  # list -> rail
        rail = app.query_one("#rail")
        assert app.focused is rail
        for _ in range(rail.option_count):
            index = rail.highlighted
            if index is not None and rail.get_option_at_index(index).id == "filter:course_1":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.filter_code == "course_1" and app.session.view.loaded)
        await settle(pilot)
        assert app.focused is app.list

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


# -- threads ------------------------------------------------------------------------------------------------

def test_thread_nested_forwards(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Fwd: Grade dispute")

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


def test_thread_generated_message(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Lab Group A: safety briefing")

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


def test_thread_attachments(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        scroll_thread_to(pilot.app, "lab-report-draft.pdf")
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


def test_attachments_picker(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        await pilot.press("o")
        await async_wait_until(lambda: isinstance(pilot.app.screen, AttachmentsScreen))
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_markup_and_escapes_shown_literally(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, MARKUP_SUBJECT_START)
        assert pilot.app.is_running

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


# -- the composer ----------------------------------------------------------------------------------------------

def test_compose_new(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        assert pilot.app.focused is screen.query_one("#to")

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_compose_reply(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        screen = await open_composer(pilot, "r")
        assert screen.draft.kind == "reply"

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_compose_forward(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Fwd: Grade dispute")
        screen = await open_composer(pilot, "f")
        assert screen.draft.kind == "forward" and screen.draft.forward_message_ids

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_compose_recipient_suggestions(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        await pilot.press("J", "a")
        suggestions = screen.query_one(Suggestions)
        await async_wait_until(lambda: suggestions.display and suggestions.option_count
                               and screen.query_one("#to", Input).value == "Ja")
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


# -- help and errors ---------------------------------------------------------------------------------------------

def test_help_screen(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("question_mark")
        await async_wait_until(lambda: isinstance(pilot.app.screen, HelpScreen))
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


def test_help_screen_patterns_at_80x24(snap_compare, make_inbox_app):
    """The end of the help at the smallest size: the pattern table, each wrapped line in its column."""
    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("question_mark")
        screen = await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, HelpScreen) else None)
        screen.query_one(VerticalScroll).scroll_end(animate=False)
        await settle(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_error_in_the_status_bar(snap_compare, make_inbox_app, fixed_sandbox):
    """Canvas goes away, the user stars a row: one line says it waits in the Outbox (7 on the
    rail, with its count), and the row shows it starred, as the user made it."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        # Quick retries: the message is the same, the test is shorter.
        app.session.client.http.retry = RetryPolicy(attempts=3, base=0.01)
        row = app.list.current
        await asyncio.to_thread(fixed_sandbox.stop)
        await pilot.press("s")
        await async_wait_until(lambda: "(Outbox)" in app.status.message and not app.status.running)
        await settle(pilot)
        assert app.session.row(row.id).starred != row.starred
        assert app.status.message == "Offline: starred here, will be done when Canvas is back (Outbox)"

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)
