"""Pictures of the composer in context, against the seeded sandbox (as tests/ui/test_ui_snapshots.py:
fixed clock, UTC, no live feed, no blinking cursor). To regenerate after an intended change:
``pytest tests/ui/test_ui_snapshots_compose.py --snapshot-update``, then look at each changed SVG.
"""

from __future__ import annotations

from textual.widgets import RadioButton

from tests.conftest import open_composer, open_row, ready, settle
from tests.ui.test_compose import choose

SMALL = (80, 24)
MEDIUM = (100, 32)


def test_compose_reply_with_the_thread_and_a_quote(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        screen = await open_composer(pilot, "r")
        await pilot.press("ctrl+o")
        await pilot.press(*"Yes, Friday works.")
        await settle(pilot)
        assert screen.query_one("#context").display

    assert snap_compare(make_inbox_app(), terminal_size=MEDIUM, run_before=run_before)


def test_compose_the_choice_of_three(snap_compare, make_inbox_app):
    async def run_before(pilot):
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        await choose(pilot, screen, "new_separate")
        await settle(pilot)
        assert screen.query_one("#delivery-new_separate", RadioButton).value

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)
