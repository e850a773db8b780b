"""The layout at the sizes people use (issue 12): the rail key, the columns, whole dates.

At 80x24 ``b`` hides the mailbox rail and the list's subject gets the room; the number keys
still switch mailboxes and the title says how to bring the rail back. At 160x48 the course
label is whole beside the thread. A date from another year is never cut, at 60, 80 or 160
columns. Everything is read from what the list paints.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import FIXED_NOW, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.config import Config, ConfigError
from tui_inbox.inbox.formatting import relative_date
from tui_inbox.inbox.text import one_line
from tui_inbox.launch import check_settings
from tui_inbox.ui.screens.help import HelpScreen

SMALL = (80, 24)
LARGE = (160, 48)


def title(app) -> str:
    return str(app.query_one("#title-bar").content)


def line_of(app, index: int) -> str:
    y = index - app.list.top
    assert 0 <= y < app.list.size.height, f"row {index} is not on screen"
    return app.list.render_line(y).text


def subject_shown(app, index: int) -> int:
    """How many characters of row ``index``'s subject its line shows."""
    subject, line = one_line(app.list.rows[index].subject), line_of(app, index)
    return max(n for n in range(len(subject) + 1) if subject[:n] in line)


def first_row_longer_than(app, cells: int) -> int:
    return next(i for i, row in enumerate(app.list.rows[:app.list.size.height])
                if len(one_line(row.subject)) > cells)


async def press_and_settle(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


# -- the rail key -----------------------------------------------------------------------------------------

async def test_b_hides_the_rail_at_80x24_and_the_subject_gets_the_room(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        rail = app.query_one("#rail")
        assert rail.display and app.list.size.width < 60
        index = first_row_longer_than(app, 30)
        before = subject_shown(app, index)
        assert "shows the mailboxes" not in title(app)

        await press_and_settle(pilot, "b")
        assert not rail.display
        assert app.list.size.width == 80
        assert subject_shown(app, index) >= before + 10
        assert "b shows the mailboxes" in title(app)

        await press_and_settle(pilot, "b")
        assert rail.display and app.list.size.width < 60
        assert "shows the mailboxes" not in title(app)


async def test_the_number_keys_switch_mailboxes_with_the_rail_hidden(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await press_and_settle(pilot, "b")
        await pilot.press("3")
        await async_wait_until(lambda: app.session.mailbox.id == "starred" and app.session.view.loaded)
        await settle(pilot)
        assert "Starred" in title(app) and "b shows the mailboxes" in title(app)
        assert app.list.rows and all(row.starred for row in app.list.rows)
        assert not app.query_one("#rail").display  # switching does not bring it back


async def test_hiding_the_focused_rail_gives_the_focus_to_the_list_and_tab_skips_it(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await press_and_settle(pilot, "shift+tab")
        assert app.focused is app.query_one("#rail")
        await press_and_settle(pilot, "b")
        assert app.focused is app.list
        for _ in range(3):
            await press_and_settle(pilot, "tab")
            assert app.focused is not app.query_one("#rail")


async def test_at_160x48_hiding_the_rail_widens_the_list_and_the_thread(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=LARGE) as pilot:
        await ready(pilot)
        widths = app.list.size.width, app.thread.size.width
        await press_and_settle(pilot, "b")
        # The rail's 24 columns shared out: half of the screen each (the thread's border aside).
        assert app.list.size.width == 80 and app.list.size.width >= widths[0] + 10
        assert app.thread.size.width >= widths[1] + 10


async def test_a_remapped_rail_key_works_and_the_title_names_it(make_inbox_app):
    app = make_inbox_app(keymap={"rail": "ctrl+l"})
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await press_and_settle(pilot, "b")
        assert app.query_one("#rail").display  # b is no longer the rail's
        await press_and_settle(pilot, "ctrl+l")
        assert not app.query_one("#rail").display
        assert "ctrl+l shows the mailboxes" in title(app)


def test_a_rail_key_another_action_holds_is_refused_in_one_line():
    config = Config()
    config.keys = {"rail": "j"}
    with pytest.raises(ConfigError) as caught:
        check_settings(config)
    assert '[keys] rail = "j": j already does down' in str(caught.value) and "\n" not in str(caught.value)


def test_the_help_screen_and_the_readme_name_the_rail_key():
    console = Console(file=io.StringIO(), width=120)
    console.print(HelpScreen({"rail": "ctrl+l"}).table())
    shown = console.file.getvalue()
    assert re.search(r"ctrl\+l +Hide or show the mailbox rail \(1-6 switch mailboxes either way\) +rail *$", shown, re.M)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| `b` |" in readme


# -- [ui] rail ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode, size, shown", [
    ("shown", SMALL, True), ("hidden", LARGE, False), ("auto", SMALL, False), ("auto", LARGE, True),
])
async def test_the_rail_setting_decides_the_start(make_inbox_app, mode, size, shown):
    app = make_inbox_app(rail=mode)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        assert app.query_one("#rail").display is shown
        await press_and_settle(pilot, "b")
        assert app.query_one("#rail").display is not shown


async def test_the_rail_keys_choice_holds_when_the_terminal_is_resized(make_inbox_app):
    app = make_inbox_app(rail="auto")
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await press_and_settle(pilot, "b")  # shown at 80 columns, asked for
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert app.query_one("#rail").display
        await press_and_settle(pilot, "b")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not app.query_one("#rail").display


# -- columns and dates -------------------------------------------------------------------------------------

async def test_at_160x48_course_labels_are_whole_beside_the_thread(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=LARGE) as pilot:
        await ready(pilot)
        labels = {}
        for index, row in enumerate(app.list.rows[:app.list.size.height]):
            label = app.session.course_label(row)
            if label:
                labels.setdefault(label, index)
        assert {"BIO 101", "CHEM 210", "Lab Group A"} <= set(labels)
        for label, index in labels.items():
            assert f" {label} " in line_of(app, index), (label, line_of(app, index))


@pytest.fixture
def old_sandbox(make_sandbox):
    """The seed-1 sandbox with 100 more conversations spread over 400 days: the oldest from 2025."""
    return make_sandbox(seed=1, now=FIXED_NOW, conversations=100)


@pytest.mark.parametrize("size", [(60, 24), (80, 24), (160, 48)])
async def test_a_date_from_another_year_is_never_cut(make_inbox_app, old_sandbox, size):
    app = make_inbox_app(sandbox=old_sandbox)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await press_and_settle(pilot, "G")  # the oldest rows
        checked = 0
        for index in range(app.list.top, min(len(app.list.rows), app.list.top + app.list.size.height)):
            row = app.list.rows[index]
            date = relative_date(row.last_message_at or row.last_authored_message_at, FIXED_NOW)
            line = line_of(app, index)
            assert f" {date} " in line, (date, line)
            assert "…" not in line[line.index(f" {date} "):], line  # nothing cut from the date on
            checked += date[-4:].isdigit()  # "Nov 2025": another year
        assert checked >= 10  # rows of another year were on screen
