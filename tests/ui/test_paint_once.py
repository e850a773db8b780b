"""Changes come in bursts; the list is painted once for each, before the next frame (screens/main.py,
``paint_list_soon``), so the user never sees a state in between and a burst costs one paint."""

from __future__ import annotations

from tests.ui.test_triage import make_app, settle
from tui_inbox.inbox.changes import ViewChanged


def count_paints(app) -> list[int]:
    """Each time the list is given its rows, one item: a paint of the whole list."""
    paints: list[int] = []
    set_rows = app.list.set_rows

    def counted(*args, **kwargs):
        paints.append(len(args[0]))
        return set_rows(*args, **kwargs)

    app.list.set_rows = counted
    return paints


async def test_an_archive_of_two_selected_rows_paints_the_list_once(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first, _, third = app.list.rows[:3]
        shown = len(app.list.rows)
        paints = count_paints(app)
        await pilot.press("x", "j", "x", "a")
        await settle(pilot)
        assert "Archived 2 conversations" in app.status.message
        assert paints == [shown - 2]
        assert {first.id, third.id}.isdisjoint(r.id for r in app.list.rows)


async def test_changes_reported_together_paint_the_list_once_with_all_of_them(sandbox):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        ids = [r.id for r in app.list.rows[:3] if not r.starred][:2]
        assert len(ids) == 2
        views_changed = []
        app.session.on_change(lambda change: views_changed.append(change) if isinstance(change, ViewChanged) else None)
        paints = count_paints(app)
        # Two changes in one go, as a reload or a burst of events makes them: each is reported.
        app.session.update_many(ids[:1], starred=True)
        app.session.update_many(ids[1:], starred=True)
        assert len(views_changed) == 2
        await pilot.pause()
        assert len(paints) == 1
        starred = {r.id for r in app.list.rows if r.starred}
        assert set(ids) <= starred
