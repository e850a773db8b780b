"""``/`` patterns as a person types them: a mistake narrows nothing, an unknown key is named, the count shows."""

from __future__ import annotations

import pytest

from tests.conftest import press_quickly, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.inbox.query import QueryError, compile_query, parse


@pytest.mark.parametrize("text, fragment", [
    ("star:yes", "Unknown key star: (did you mean is:starred?)"),
    ("unread:1", "did you mean is:unread?"),
    ("sujbect:exam", "did you mean subject:?"),
    ("weather:rain", "Unknown key weather:. Keys: is:, from:"),
])
def test_an_unknown_key_with_a_value_is_an_error_with_a_way_forward(text, fragment):
    with pytest.raises(QueryError) as caught:
        compile_query(text, me=1, now=lambda: None, course_of=lambda c: None)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("text", ["re:exam", "Fwd:grades", "https://canvas.example.edu/courses/1", "10:30"])
def test_text_with_a_colon_a_person_searches_for_stays_text(text):
    assert [term.key for term in parse(text)] == ["text"]


async def test_a_pattern_with_a_mistake_filters_nothing_and_the_count_shows(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        everything = [r.id for r in app.list.rows]
        search = app.query_one("#search")
        error = app.query_one("#search-error")
        await pilot.press("slash", *"from")
        await async_wait_until(lambda: len(app.list.rows) < len(everything))  # the word "from" narrows
        assert search.border_subtitle == f"{len(app.list.rows)} of {len(everything)} match"
        await pilot.press("colon")
        await settle(pilot)
        assert error.display and "from: needs a value" in str(error.render())
        assert [r.id for r in app.list.rows] == everything  # not the rows with the word "from"
        assert search.border_subtitle == f"{len(everything)} of {len(everything)} match"
        await pilot.press(*"jane")
        await async_wait_until(lambda: not error.display and len(app.list.rows) < len(everything))
        assert search.border_subtitle == f"{len(app.list.rows)} of {len(everything)} match"
        assert all(any("jane" in p.name.lower() for p in r.participants) for r in app.list.rows)


async def test_the_match_count_follows_the_view_when_matching_rows_leave_it(make_inbox_app):
    """``/midterm`` Enter, ``*``, ``a``: the matches are archived and leave the Inbox; the count under
    the pattern says so, as the list's "Nothing matches" does (it said "6 of 137 match")."""
    app = make_inbox_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        search = app.query_one("#search")
        await pilot.press("slash", *"midterm", "enter")
        await async_wait_until(lambda: app.list.rows and all("midterm" in r.subject.lower() for r in app.list.rows))
        matching, total = len(app.list.rows), app.session.view.total
        assert search.border_subtitle == f"{matching} of {total} match"
        await pilot.press("asterisk")
        await async_wait_until(lambda: app.merged_triage.count == matching)
        await pilot.press("a")
        await async_wait_until(lambda: app.list.rows == [] and app.session.view.total == total - matching)
        await settle(pilot)
        assert app.list.empty_text == "Nothing matches 'midterm'."
        assert search.border_subtitle == f"0 of {total - matching} match"


async def test_after_a_pattern_and_enter_the_cursor_is_on_the_first_match(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        everything = app.list.rows
        below = max(i for i, r in enumerate(everything) if "midterm" in r.subject.lower()) + 1
        await press_quickly(pilot, "g", *["j"] * below)  # below every match: not one of them
        assert "midterm" not in app.list.current.subject.lower()
        await pilot.press("slash", *"midterm", "enter")
        await async_wait_until(lambda: app.focused is app.list and len(app.list.rows) > 1)
        await settle(pilot)
        assert app.list.cursor == 0 and "midterm" in app.list.current.subject.lower()
        await pilot.press("j", "j", "slash", "backspace", "enter")  # a pattern changed again: its first match
        await settle(pilot)
        assert app.list.cursor == 0 and app.list.current.id == app.list.rows[0].id


async def test_select_by_pattern_shows_how_many_match_while_typing(make_inbox_app):
    """``T`` counts as ``/`` does, over the whole view (what Enter would select), before selecting."""
    app = make_inbox_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        search = app.query_one("#search")
        rows = app.session.view.all()
        await pilot.press("T", *"midterm")
        matching = sum(1 for r in rows if "midterm" in r.subject.lower() or "midterm" in (r.last_message or "").lower())
        await async_wait_until(lambda: search.border_subtitle == f"{matching} of {len(rows)} match")
        assert app.merged_triage.count == 0  # counted, nothing selected yet
        await pilot.press("space", *"from:")
        await settle(pilot)
        assert search.border_subtitle == ""  # a pattern with a mistake selects nothing: no count to give
        await pilot.press("enter")
        assert app.merged_triage.count == 0
        await pilot.press(*"jane", "enter")
        await settle(pilot)
        assert app.merged_triage.count == sum(1 for r in rows if ("midterm" in r.subject.lower() or "midterm" in (r.last_message or "").lower()) and any("jane" in p.name.lower() for p in r.participants if p.id != app.session.me_id))


@pytest.mark.parametrize("opening, mode", [("slash", "narrow"), ("T", "select")])
async def test_a_pattern_typed_fast_after_its_key_all_goes_into_the_bar(make_inbox_app, opening, mode):
    """Found using the demo: ``/midterm`` typed in one go gave "m" (mark read!), "i", "d" (delete, asking)
    ... to the list, because the bar took the focus only after the keys already on their way there."""
    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        unread_before = app.session.unread_count
        from textual import events

        first = {"slash": "/", "T": "T"}[opening]
        for key, char in [(opening, first)] + [(c, c) for c in "midterm"]:
            app.post_message(events.Key(key, char))  # queued together, as a terminal hands over a burst
        await pilot.pause()
        await settle(pilot)
        assert app.search_mode == mode
        assert app.query_one("#search").value == "midterm"
        assert app.session.unread_count == unread_before and app.status.message.startswith("Signed in")


async def test_a_reply_typed_fast_after_r_all_goes_into_the_body(make_inbox_app):
    """Found using the demo: ``r`` then "Thanks, see you" in one go gave an empty reply, the
    characters spent on the list behind it."""
    from textual import events
    from textual.widgets import TextArea

    from tui_inbox.ui.screens.compose import ComposeScreen

    app = make_inbox_app()
    async with app.run_test(size=(120, 32)) as pilot:
        await ready(pilot)
        unread_before = app.session.unread_count
        for key, char in [("r", "r")] + [(c if c.isalnum() else {" ": "space", ",": "comma"}[c], c)
                                          for c in "Thanks, see you"]:
            app.post_message(events.Key(key, char))
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
        await pilot.pause()
        await async_wait_until(lambda: screen.query_one("#body", TextArea).text == "Thanks, see you")
        assert app.session.unread_count == unread_before
