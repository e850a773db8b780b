"""The help screen at the smallest size we support (80x24): its pattern table keeps its columns.

A description too long for the line wraps inside the description column; it never runs on
under the patterns, where it would read as a pattern of its own.
"""

from __future__ import annotations

from textual.widgets import Static

from tests.conftest import ready, settle
from tests.waiting import async_wait_until
from tui_inbox.inbox.query import PATTERNS
from tui_inbox.ui.screens.help import HelpScreen

SMALL = (80, 24)


def lines_of(widget: Static) -> list[str]:
    """The widget's lines as drawn on screen, scrolled into view or not."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def test_a_wrapped_pattern_description_stays_in_its_column_at_80x24(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, HelpScreen) else None)
        await settle(pilot)
        [table] = [lines_of(s) for s in screen.query(Static) if any("from:NAME" in line for line in lines_of(s))]
        start = next(i for i, line in enumerate(table) if line.startswith("is:unread"))
        rows = [line for line in table[start:] if line.strip()]
        column = rows[0].index("state")  # where every description starts
        patterns = " ".join(pattern for pattern, _ in PATTERNS)
        described = []
        for line in rows:
            left, right = line[:column].strip(), line[column:]
            # Left of the column only patterns (a long one wraps in its own column), never description words.
            assert left == "" or left in patterns, f"description under the patterns: {line!r}"
            assert not right.startswith(" "), f"not at the description column: {line!r}"
            described.append(right.strip())
        text = " ".join(part for part in described if part)
        for _, meaning in PATTERNS:
            assert meaning in text  # every description whole, in reading order
        assert len(rows) > len(PATTERNS)  # at 80 columns some rows wrap: the case this test is about
