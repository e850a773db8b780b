"""``/`` patterns as a person types them: a mistake narrows nothing, an unknown key is named, the count shows."""

from __future__ import annotations

import pytest

from tests.conftest import ready, settle
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
