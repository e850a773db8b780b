"""A radio button whose shape says whether it is chosen: a dot, or an empty ring."""

from __future__ import annotations

from textual.widgets import RadioButton


class ChoiceButton(RadioButton):
    """Textual draws every radio button with the same dot and tells the chosen one by its colour
    alone: without colour (NO_COLOR, a monochrome terminal, a screen read as text) a choice of
    three looked like three chosen. Here only the chosen one has the dot."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 - the name ToggleButton reads on every render
        return "●" if self.value else "○"
