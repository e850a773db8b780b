"""Snapshots of several accounts in one inbox: two schools over loopback (tests/two_schools.py),
clocks fixed, each feed's state set by hand (a ``StillFeed`` never connects), at 120x40 and 80x24.

- the merged Inbox: both schools' rows newest first, each with its account's tag in its colour;
  the rail with each account's unread count and state (one live, one polling);
- one school stopped before the start: its rail line says offline, the list holds the other's rows.
"""

from __future__ import annotations

import pytest

from tests.conftest import settle
from tests.two_schools import COLLEGE, STATE, accounts_shown, both_ready, close_stores, start_schools, two_school_app
from tests.ui.test_ui_snapshots_live import FEED_STATES, StillFeed
from tui_inbox.inbox.accounts import AccountState

SIZES = [(120, 40), (80, 24)]


def still_feeds(app, states: dict[str, str]) -> None:
    """Each account's feed in a state of FEED_STATES, painted as the feed would paint it."""
    for name, shown in states.items():
        feed = StillFeed()
        state, error = FEED_STATES[shown]
        feed.state.set(state, error, updated=shown == "live")
        app.feeds[name] = feed
    for name in states:
        app.main.feed.paint(name)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_merged_inbox_of_two_schools(snap_compare, make_sandbox, tmp_path, utc, size):
    app = two_school_app(start_schools(make_sandbox), tmp_path)

    async def run_before(pilot):
        await both_ready(pilot)
        # The cursor follows its row when the other school's newer rows come in above it, so where
        # it is depends on which school answered first: the picture starts from the top.
        await pilot.press("g")
        still_feeds(pilot.app, {STATE: "live", COLLEGE: "polling"})
        await settle(pilot)
        assert accounts_shown(pilot.app) == {STATE, COLLEGE}

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        close_stores(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_rail_with_one_school_offline(snap_compare, make_sandbox, tmp_path, utc, size):
    schools = start_schools(make_sandbox)
    schools[1].stop()
    app = two_school_app(schools, tmp_path)

    async def run_before(pilot):
        await both_ready(pilot)
        assert pilot.app.accounts.state_of(COLLEGE) is AccountState.OFFLINE
        still_feeds(pilot.app, {STATE: "live"})
        await settle(pilot)

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        close_stores(app)
