"""The composer's three delivery choices are told apart by their shape, not only by colour.

Textual draws every radio button with the same dot and colours the chosen one: with no colour
(NO_COLOR, a monochrome terminal, a screen read as text) the three looked alike.
"""

from __future__ import annotations

from textual.widgets import RadioButton

from tests.conftest import open_composer, ready, settle
from tests.ui.test_compose import choose

SIZE = (100, 30)


def shown(screen) -> dict[str, str]:
    """Each choice as its characters only, colour and style dropped: what a monochrome terminal shows."""
    return {button.id.removeprefix("delivery-"): button.render().plain.strip()
            for button in screen.query("#delivery RadioButton").results(RadioButton)}


async def test_the_chosen_delivery_is_marked_without_colour(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, "c")
        for choice in ("separate", "group", "new_separate"):
            if choice != "separate":
                await choose(pilot, screen, choice)
                await settle(pilot)
            plain = shown(screen)
            marks = {name: text.split(" ", 1)[0] for name, text in plain.items()}
            others = {mark for name, mark in marks.items() if name != choice}
            assert len(others) == 1 and marks[choice] not in others, plain
            assert marks[choice] == "▐●▌" and others == {"▐○▌"}, plain
