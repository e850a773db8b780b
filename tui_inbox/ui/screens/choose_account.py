"""Which account a new message goes from, when there are several: asked before the composer opens.

The list starts on the account the user is most likely in (the one whose course filters the
list, else the one of the row under the cursor); Enter or its number takes one, Esc writes nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ChooseAccountScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ChooseAccountScreen { align: center middle; }
    ChooseAccountScreen > Vertical { width: 60; max-width: 95%; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    ChooseAccountScreen #choose-title { text-style: bold; margin-bottom: 1; }
    ChooseAccountScreen OptionList { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", show=False)]

    def __init__(self, accounts: list[tuple[str, str]], default: str) -> None:
        """``accounts``: (name, where: the Canvas host and who is signed in there)."""
        super().__init__()
        self.accounts = accounts
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New message from which account? (Enter chooses, Esc cancels)", id="choose-title")
            options = []
            for number, (name, where) in enumerate(self.accounts, 1):
                label = Text(f"{number} ")
                label.append(name, style="bold")
                label.append(f"  {where}", style="dim")  # the host and a name from Canvas: text, never markup
                options.append(Option(label, id=name))
            yield OptionList(*options)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [name for name, _ in self.accounts]
        options.highlighted = names.index(self.default) if self.default in names else 0
        options.focus()

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(self.accounts):
            event.stop()
            self.dismiss(self.accounts[int(event.character) - 1][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
