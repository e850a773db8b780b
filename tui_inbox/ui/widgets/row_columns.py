"""How a conversation row shares its width among its columns: one pure rule, tested on its own.

A row reads: marks (selected, unread, star), names, subject and preview, course, date, message
count, attachment mark. The marks, count and attachment mark are fixed; the date is as wide as
the longest date its style can write, so no date is ever cut; names, course and the subject
share what is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from rich.cells import cell_len

from ...inbox.formatting import relative_date

MARKS = 4  # "✓●" and "★ "
GAPS = 3  # one space after the names, before the course, before the date
COUNT = 4  # a space and up to three digits
ATTACHMENT = 3  # a space and 📎 (two cells)
FIXED = MARKS + GAPS + COUNT + ATTACHMENT

COURSE_MAX = 12  # "Lab Group A", "CHEM 210", "World Hist…": course codes and short group names whole
NAMES_MAX = 28  # "me, Dana Kim, Bob Martinez": past this, width is worth more to the subject
SUBJECT_MIN = 12  # below this the subject is no longer readable: names and course give way first


class Columns(NamedTuple):
    names: int
    middle: int  # subject, then " — " and the preview when there is room
    course: int
    date: int  # the date's text, without the gap before it


@lru_cache(maxsize=256)  # asked for every row painted, with the same few widths
def share(width: int, date_width: int) -> Columns:
    """The columns of a row ``width`` cells wide whose dates take up to ``date_width`` cells.

    The date always gets ``date_width``. Of the rest (``free``), the names get about three
    tenths (8 to 28 cells) and the course a quarter (7 to 12 cells, so "Lab Group A" is whole
    from a 63-cell row on with relative dates: the list beside the thread at 160 columns is 67);
    the subject and preview get everything else, the widest column at every width from 60 cells
    up. When even the minimums would leave the subject under 12 cells, the names and the course
    shrink instead, half each. With the fixed parts the columns add up to ``width`` whenever
    ``width`` holds the fixed parts and the date at all.
    """
    free = max(0, width - FIXED - date_width)
    names = max(8, min(NAMES_MAX, free * 3 // 10))
    course = max(7, min(COURSE_MAX, (free + 3) // 4))
    if names + course + SUBJECT_MIN > free:
        room = max(0, free - SUBJECT_MIN)
        names = min(names, (room + 1) // 2)
        course = min(course, room - names)
    return Columns(names, free - names - course, course, date_width)


@lru_cache(maxsize=None)
def date_width(style: str) -> int:
    """The most cells ``relative_date`` writes in ``style``, measured on its own output.

    Every form it has is tried: minutes, hours, each weekday, each month of this year and of
    another, so a longer month name than "Sep" (another C library, another locale) widens the
    column instead of being cut.
    """
    now = datetime(2030, 12, 31, 23, 59, tzinfo=timezone.utc)
    moments = [now - timedelta(minutes=59), now - timedelta(hours=23)]
    moments += [now - timedelta(days=days, hours=1) for days in range(1, 6)]
    moments += [datetime(2030, month, 28, 12, tzinfo=timezone.utc) for month in range(1, 13)]
    moments += [datetime(2029, month, 28, 12, tzinfo=timezone.utc) for month in range(1, 13)]
    return max(cell_len(relative_date(moment, now, style)) for moment in moments)
