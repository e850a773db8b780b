"""The conversation list as a user drives it: its scrollbar, the mouse, and dates that age.

The list scrolls itself, draws its own bar and keeps finished lines between frames; these
tests read what it paints (``render_line``), so a stale line or a bar in the wrong place
shows up as the wrong text or the wrong colour on screen.
"""

from __future__ import annotations

from datetime import timedelta

from textual import events

from tests.conftest import FIXED_NOW, ready
from tests.waiting import async_wait_until
from tui_inbox.inbox.formatting import relative_date
from tui_inbox.ui.widgets.scroll_thumb import thumb_lines

SIZE = (120, 36)


def thumb_on(lst) -> list[int]:
    """The lines whose last cell is painted in the thumb's colour."""
    _, thumb, _ = lst.bar_styles()
    return [y for y in range(lst.size.height) if list(lst.render_line(y))[-1].style == thumb]


def bar_cells(lst) -> set:
    return {list(lst.render_line(y))[-1].style for y in range(lst.size.height)}


def test_the_thumb_covers_the_window_in_proportion():
    assert thumb_lines(0, 10, 10) == range(0, 10)  # everything shows: no thumb to move
    assert thumb_lines(0, 10, 100) == range(0, 1)
    assert thumb_lines(90, 10, 100) == range(9, 10)  # at the bottom exactly when the window is
    assert thumb_lines(0, 10, 20) == range(0, 5)
    assert thumb_lines(10, 10, 20) == range(5, 10)
    assert len(thumb_lines(50_000, 46, 100_000)) == 1  # at least one line, however many rows


async def test_the_bar_follows_g_and_G(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lst = app.list
        assert len(lst.rows) > lst.size.height, "the seeded inbox should be longer than the screen"
        height = lst.size.height
        assert thumb_on(lst)[0] == 0 and thumb_on(lst)[-1] < height - 1

        await pilot.press("G")
        assert lst.cursor == len(lst.rows) - 1
        assert lst.top == len(lst.rows) - height  # the last row on the last line
        assert thumb_on(lst)[-1] == height - 1 and thumb_on(lst)[0] > 0
        last = lst.rows[-1]
        assert lst.render_line(height - 1).text.startswith(" ●" if last.workflow_state == "unread" else "  ")

        await pilot.press("g")
        assert (lst.cursor, lst.top) == (0, 0)
        assert thumb_on(lst)[0] == 0


async def test_no_bar_when_every_row_fits(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lst = app.list
        _, thumb, track = lst.bar_styles()
        lst.set_rows(lst.rows[:3])
        await pilot.pause()
        assert not ({thumb, track} & bar_cells(lst))
        assert lst.render_line(0).cell_length == lst.size.width  # the rows take the bar's column back


async def test_the_wheel_scrolls_and_a_click_moves_the_cursor(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lst = app.list
        lst.post_message(events.MouseScrollDown(lst, 2, 2, 0, 1, 0, False, False, False))
        await async_wait_until(lambda: lst.top == 3)
        assert lst.cursor == 0  # the wheel moves the view, not the cursor, as in every list

        await pilot.click("#list", offset=(5, 4))
        assert lst.cursor == 3 + 4
        assert app.list.current is lst.rows[7]

        await pilot.click("#list", offset=(lst.size.width - 1, lst.size.height - 1))  # the bottom of the bar
        assert lst.cursor == len(lst.rows) - 1


async def test_dates_age_on_screen_without_a_reload(make_inbox_app):
    now = [FIXED_NOW]
    app = make_inbox_app(clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lst = app.list
        row = lst.rows[0]
        stamp = row.last_message_at
        before = lst.render_line(0).text
        assert relative_date(stamp, now[0]) in before

        now[0] = FIXED_NOW + timedelta(days=8)
        lst.refresh_line(0)  # any repaint, such as the cursor passing by
        await pilot.pause()
        after = lst.render_line(0).text
        assert relative_date(stamp, now[0]) in after and after != before
