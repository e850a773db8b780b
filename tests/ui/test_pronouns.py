"""Pronouns after a name, where Canvas's web Inbox shows them: "Quinn Harper (they/them)".

Canvas sends each participant's and each search result's ``pronouns`` (null when unset; lib/api/v1/
conversation.rb ``conversation_user_json``); its Inbox shows them after the author of a message and
after a person offered as a recipient. The seeded Quinn Harper chose "they/them"; Jane chose none.
"""

from __future__ import annotations

from textual.widgets import Input

from tests.conftest import move_to, open_composer, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.ui.screens.compose import Suggestions

QUINN = 27  # Quinn Harper in the seed-1 school (tui_inbox/sandbox/people.py)


async def open_quinns_conversation(pilot) -> int:
    """Open the first conversation of the list with Quinn in it, with keys; returns its id."""
    app = pilot.app
    index = next(i for i, row in enumerate(app.list.rows)
                 if any(p.id == QUINN for p in app.session.row(row.id).participants))
    await move_to(pilot, index)
    wanted = app.list.rows[index].id
    await pilot.press("enter")
    await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == wanted)
    await settle(pilot)
    return wanted


async def test_a_message_names_its_author_with_their_pronouns_and_the_with_line_too(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_quinns_conversation(pilot)
        header = app.thread.query_one(".thread-header").content.plain
        with_line = next(line for line in header.splitlines() if line.startswith("With: "))
        # Maggie chose no pronouns: none shown for her.
        assert sorted(with_line.removeprefix("With: ").split(", ")) == [
            "Maggie Okafor (Margaret Okafor) (me)", "Quinn Harper (they/them)"]
        blocks = [str(block.content) for block in app.thread.query("MessageBlock")]
        quinns = [text for text in blocks if text.startswith("Quinn")]
        assert quinns and all(text.startswith("Quinn (they/them)  ") for text in quinns)
        assert all(text.startswith("Maggie Okafor  ") for text in blocks if not text.startswith("Quinn"))


async def test_a_recipient_suggestion_shows_their_pronouns_and_the_searcher_is_not_offered(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        await pilot.press(*"quinn")
        # Mounted with the first answer: wait for it rather than race it.
        suggestions = await async_wait_until(lambda: next(iter(screen.query(Suggestions)), None))
        await async_wait_until(lambda: suggestions.display and suggestions.option_count
                               and screen.query_one("#to", Input).value == "quinn")
        await settle(pilot)
        shown = [str(suggestions.get_option_at_index(i).prompt) for i in range(suggestions.option_count)]
        assert any(text.startswith("Quinn Harper (they/them)") for text in shown)

        # Canvas lists the searcher among the matches; the composer does not offer them.
        await pilot.press(*["backspace"] * 5, *"okafor")
        await async_wait_until(lambda: screen.query_one("#to", Input).value == "okafor")
        await settle(pilot)
        offered = [str(suggestions.get_option_at_index(i).prompt) for i in range(suggestions.option_count)]
        assert not any("Margaret Okafor" in text for text in offered)
