"""How a list row shares its width, and the dates that fill its date column (issue 12, layout)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rich.cells import cell_len

from tui_inbox.inbox.formatting import relative_date
from tui_inbox.ui.widgets.row_columns import FIXED, date_width, share

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
TYPICAL_COURSES = ("BIO 101", "CHEM 210", "Lab Group A")


@pytest.fixture(autouse=True)
def local_is_utc(utc):
    """Dates are local: the same day everywhere the test runs."""


@pytest.mark.parametrize("width", [60, 80, 120, 160, 240])
@pytest.mark.parametrize("style", ["relative", "absolute"])
def test_the_columns_fill_the_row_and_the_subject_has_the_most(width, style):
    columns = share(width, date_width(style))
    assert FIXED + columns.names + columns.middle + columns.course + columns.date == width
    assert columns.middle > columns.names and columns.middle > columns.course


def test_names_widen_with_the_row_and_stop_where_the_subject_is_worth_more():
    names = [share(width, date_width("relative")).names for width in (60, 80, 120, 160, 240)]
    assert names == sorted(names) and names[0] < names[-1]
    assert names[-1] == names[-2] <= 28  # past 120 columns the width goes to the subject


@pytest.mark.parametrize("width", [80, 120, 160, 240])
def test_typical_course_labels_are_whole_from_80_columns(width):
    course = share(width, date_width("relative")).course
    assert all(cell_len(label) <= course for label in TYPICAL_COURSES)


def test_the_list_beside_the_thread_at_160_columns_still_holds_a_course_label():
    # 160 columns, the rail shown, list and thread side by side: the row is 67 cells.
    assert share(67, date_width("relative")).course >= cell_len("Lab Group A")


def test_at_80_columns_the_subject_keeps_the_most_room():
    names, middle, course, _ = share(80, date_width("relative"))
    assert middle >= names + course - 2


def test_a_narrow_row_keeps_a_readable_subject_and_a_whole_date():
    for width in range(34, 60):  # from 34 cells: the fixed parts, the date and 12 for the subject
        columns = share(width, date_width("relative"))
        assert columns.middle >= 12 and columns.date == date_width("relative")
        assert FIXED + sum(columns) == width


def test_the_date_column_holds_every_date_its_style_writes():
    relative, absolute = date_width("relative"), date_width("absolute")
    assert absolute == len("2026-11-24 12:00")
    moments = [NOW - timedelta(minutes=m) for m in range(0, 60 * 24 * 800, 97)]
    assert max(cell_len(relative_date(moment, NOW)) for moment in moments) == relative
    assert max(cell_len(relative_date(moment, NOW, "absolute")) for moment in moments) == absolute


def test_a_date_of_another_year_keeps_its_month_and_whole_year():
    assert relative_date(datetime(2024, 11, 3, 9, tzinfo=timezone.utc), NOW) == "Nov 2024"
    assert relative_date(datetime(2026, 11, 3, 9, tzinfo=timezone.utc), NOW) == "Nov 3"
    assert relative_date(datetime(2025, 12, 30, 9, tzinfo=timezone.utc), NOW) == "Dec 2025"
