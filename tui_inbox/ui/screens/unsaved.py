"""The question when the composer is closed on text it could not save: a file elsewhere, or keep trying.

The drafts file could not be written (the data folder is full or read-only): closing would
lose the text. Enter writes it to the file named (a folder the user chooses, the downloads
folder at first); escape stays in the composer, which saves again every few seconds.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ...inbox.text import one_line
from ..path_completion import PathSuggester


class UnsavedScreen(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    UnsavedScreen { align: center middle; }
    UnsavedScreen > Vertical { width: 76; max-width: 95%; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    UnsavedScreen #unsaved-title { text-style: bold; margin-bottom: 1; }
    UnsavedScreen #unsaved-lines { margin-bottom: 1; }
    UnsavedScreen Input { margin-bottom: 1; }
    UnsavedScreen Horizontal { height: auto; align-horizontal: right; }
    UnsavedScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "keep_trying", "Keep trying", show=False)]

    def __init__(self, error: str, path: Path, problem: str = "") -> None:
        super().__init__()
        self.error = error
        self.path = path
        self.problem = problem  # why the last write to a file failed, if it did

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("The draft could not be saved"), id="unsaved-title")
            lines = [f"{one_line(self.error)}.",
                     "Closing now would lose what you wrote. Write it to a file elsewhere (Enter), "
                     "or stay and keep trying (esc): it is saved as soon as there is room."]
            if self.problem:
                lines.append(one_line(self.problem))
            yield Static(Text("\n".join(lines)), id="unsaved-lines")
            yield Input(str(self.path), id="unsaved-path", suggester=PathSuggester())
            with Horizontal():
                yield Button("Keep trying (esc)", id="keep")
                yield Button("Write to this file (enter)", id="write", variant="error")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.write()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "write":
            self.write()
        else:
            self.dismiss(None)

    def write(self) -> None:
        typed = self.query_one(Input).value.strip()
        if typed:
            self.dismiss(Path(typed))

    def action_keep_trying(self) -> None:
        self.dismiss(None)
