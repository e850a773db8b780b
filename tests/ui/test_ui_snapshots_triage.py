"""Pictures of bulk triage: the selection, the pattern prompt, the delete question, progress, the outcome.

Same ground rules as ``test_ui_snapshots.py``: the seeded sandbox with its clock starting at
``FIXED_NOW``, the app's clock fixed to it, TZ=UTC, no feed, cursors that do not blink.
The progress bar's "time left" reads ``time.monotonic``: the test pins the clock that
``tui_inbox.inbox.triage`` sees, so the ETA is the same on every run.
To regenerate after an intended change: ``pytest tests/ui/test_ui_snapshots_triage.py --snapshot-update``,
then look at every changed SVG in ``tests/ui/__snapshots__/test_ui_snapshots_triage/``.
"""

from __future__ import annotations

import types

from textual.widgets import ProgressBar, Static

import tui_inbox.inbox.triage as triage_module
from tests.conftest import ready, settle
from tests.waiting import async_wait_until
from tui_inbox.inbox.triage import Progress
from tui_inbox.ui.screens.confirm import ConfirmScreen
from tui_inbox.ui.widgets.bulk_progress import BulkProgress

SMALL = (80, 24)
LARGE = (160, 48)

# The bulk progress: 600 of 1,500 done after 37.5 s (0.0625 s each, exact in binary floating
# point), so 900 left take 56.25 s: "about 57 s left", whatever the machine.
STARTED = 1000.0
ELAPSED = 37.5


def test_selection_with_its_count(snap_compare, make_inbox_app):
    """x x selects rows 1 and 2 (moving down), V j j adds rows 3 to 5: five ✓ and "5 selected"."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        rows = [r.id for r in app.list.rows]
        await pilot.press("x", "x", "V", "j", "j")
        await settle(pilot)
        assert [cid for _, cid in app.merged_triage.selected] == rows[:5]
        assert app.status.selection == 5 and app.list.cursor == 4

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_select_by_pattern_with_an_error(snap_compare, make_inbox_app):
    """T opens the select prompt; a misspelt state gets a red caret message under it."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        await pilot.press("T", *"is:urnead")
        await settle(pilot)
        search = app.query_one("#search")
        error = app.query_one("#search-error", Static)
        assert app.search_mode == "select" and app.focused is search and search.value == "is:urnead"
        # The caret stands under the "i" the error names: past the input's border and padding.
        assert str(error.render()).startswith(" " * search.gutter.left + "^ is:urnead is not a state")
        assert app.merged_triage.count == 0

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_select_by_pattern_with_an_error_wide(snap_compare, make_inbox_app):
    """At 160 columns the prompt and its error sit above the list and the thread, side by side below;
    the caret stands under the term it names (the second one here)."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        await pilot.press("T", *"from:jane is:urnead")
        await settle(pilot)
        search = app.query_one("#search")
        error = app.query_one("#search-error", Static)
        assert str(error.render()).startswith(" " * (search.gutter.left + len("from:jane ")) + "^ is:urnead")
        below = search.region.bottom + error.region.height
        assert app.list.region.y == app.thread.region.y == below and app.list.region.x < app.thread.region.x

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)


def test_delete_confirmation_for_a_selection(snap_compare, make_inbox_app):
    """Seven selected, d: the first five subjects, "…and 2 more", and that delete cannot be undone."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        await pilot.press(*["x"] * 7, "d")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
        await settle(pilot)
        assert screen.title_text == "Delete 7 conversations?"
        assert "…and 2 more" in screen.lines and any("cannot be undone" in line for line in screen.lines)

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_bulk_progress_mid_way(snap_compare, make_inbox_app, monkeypatch):
    """600 of 1,500 done: the bar at 40%, the count and a fixed time left, above the status bar."""
    monkeypatch.setattr(triage_module, "time", types.SimpleNamespace(monotonic=lambda: STARTED + ELAPSED))

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        progress = Progress(done=600, total=1500, started=STARTED)
        assert progress.eta_seconds == 56.25
        app.status.running = "archiving"
        app.query_one(BulkProgress).show_progress(progress)
        await settle(pilot)
        bar = app.query_one(BulkProgress)
        assert bar.query_one(ProgressBar).percentage == 0.4
        # Seen: above the status bar, not under it.
        assert bar.display and bar.region.height == 1 and bar.region.bottom == app.status.region.y
        assert str(bar.query_one("#bulk-label", Static).render()) == " 600 of 1,500, about 57 s left"

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_outcome_after_archiving_three_selected(snap_compare, make_inbox_app):
    """x x x, a: the three rows leave the Inbox, the progress bar is gone, the outcome line says so."""

    async def run_before(pilot):
        app = pilot.app
        await ready(pilot)
        archived = [r.id for r in app.list.rows[:3]]
        await pilot.press("x", "x", "x", "a")
        await async_wait_until(lambda: "Archived 3 conversations" in app.status.message and not app.status.running)
        await settle(pilot)
        assert app.status.message == "Archived 3 conversations" and not app.status.error
        assert app.merged_triage.count == 0 and app.status.selection == 0
        assert not set(archived) & {r.id for r in app.list.rows}
        assert not app.query_one(BulkProgress).display

    assert snap_compare(make_inbox_app(), terminal_size=SMALL, run_before=run_before)


def test_muted_thread_with_the_message_cursor(snap_compare, make_inbox_app):
    """Lab Group A muted with z: 🔕 in its row (only there), "muted: ..." in the thread's header;
    Tab into the thread and K K: past the generated "Dana was added" to Jane Doe's message, highlighted,
    the one d would delete."""

    async def run_before(pilot):
        from tests.conftest import open_row

        app = pilot.app
        await ready(pilot)
        cid = await open_row(pilot, "Lab Group A: safety briefing")
        await pilot.press("z")
        await settle(pilot)
        assert app.session.row(cid).subscribed is False
        await pilot.press("tab", "K", "K")
        await settle(pilot)
        assert app.focused is app.thread and app.thread.cursor == len(app.thread.units) - 3

    assert snap_compare(make_inbox_app(), terminal_size=LARGE, run_before=run_before)
