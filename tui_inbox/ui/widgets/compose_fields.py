"""The composer's fields that add to a list (To, Attach), the delivery choice, and the messages
the fields send up to the composer."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input, OptionList, RadioButton, RadioSet


class Said(Message):
    """A line for the composer's status line, from one of its fields."""

    def __init__(self, text: str, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error


class Edited(Message):
    """A field changed the draft: the keys in force and the delivery notes follow, and it is saved."""


class BackspaceOnEmpty(Message):
    """Backspace in an empty list field (To, Attach): take off the field's last item."""

    def __init__(self, field: Input) -> None:
        super().__init__()
        self.field = field


class ListInput(Input):
    """An input that adds to a list: backspace when it is empty takes off the list's last item."""

    def action_delete_left(self) -> None:
        if not self.value and self.cursor_position == 0:
            self.post_message(BackspaceOnEmpty(self))
            return
        super().action_delete_left()


class Suggestions(OptionList, can_focus=False):
    """Recipients matching what is typed in To; driven from the To field's keys, never focused."""


class DeliveryChoice(RadioSet):
    """The delivery choice; its cursor starts on the choice in force, not on the first one."""

    def _on_mount(self, event) -> None:
        self._selected = max(0, self.pressed_index)  # after RadioSet's own _on_mount (Textual calls both)

    def press(self, button: RadioButton) -> None:
        """Press ``button`` from code, quietly: the screen has already acted on the choice. Done
        here rather than by setting its value, whose Changed is swallowed when this runs while
        RadioSet handles a press (its ``prevent``), leaving two buttons on."""
        with self.prevent(RadioButton.Changed):
            for other in self.query(RadioButton):
                other.value = other is button
        self._pressed_button = button
        self._selected = self._nodes.index(button)
