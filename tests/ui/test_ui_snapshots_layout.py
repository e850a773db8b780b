"""Pictures of the layout at the sizes people use (issue 12): the rail hidden, old dates whole.

Same ground rules as ``test_ui_snapshots.py``: the seeded sandbox with its clock starting at
``FIXED_NOW``, the app's clock fixed to it, TZ=UTC, no feed, cursors that do not blink.
To regenerate after an intended change: ``pytest tests/ui/test_ui_snapshots_layout.py --snapshot-update``,
then look at every changed SVG in ``tests/ui/__snapshots__/test_ui_snapshots_layout/``.
"""

from __future__ import annotations

import pytest

from tests.conftest import FIXED_NOW, ready, settle

SMALL = (80, 24)
LARGE = (160, 48)


@pytest.fixture
def old_sandbox(make_sandbox):
    """Seed 1 with 100 more conversations spread over 400 days back: the oldest are from 2025.

    Its own sandbox, so the seed every other snapshot draws stays as it is.
    """
    return make_sandbox(seed=1, now=FIXED_NOW, conversations=100)


def test_80x24_with_the_rail_hidden(snap_compare, make_inbox_app):
    """b: the list takes the whole width, the subject the room; the title names the mailbox and b."""

    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert not pilot.app.query_one("#rail").display

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_old_dates_at_160x48(snap_compare, make_inbox_app, old_sandbox):
    """G: the oldest conversations, from 2025, dated "Dec 2025", "Nov 2025", ... and never cut."""

    async def run_before(pilot):
        await ready(pilot)
        await pilot.press("G")
        await settle(pilot)

    assert snap_compare(make_inbox_app(sandbox=old_sandbox), terminal_size=LARGE, run_before=run_before)
