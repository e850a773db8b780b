"""Choose an attachment of the open conversation to download and open."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...canvas.models import Attachment
from ...inbox.formatting import human_size
from ...inbox.text import one_line


class AttachmentsScreen(ModalScreen[Attachment | None]):
    DEFAULT_CSS = """
    AttachmentsScreen { align: center middle; }
    AttachmentsScreen > Vertical { width: 70; max-width: 95%; height: auto; max-height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    AttachmentsScreen OptionList { height: auto; max-height: 20; border: none; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close", show=False)]

    def __init__(self, attachments: list[Attachment], folder: Path) -> None:
        super().__init__()
        self.attachments = attachments
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Download to {self.folder} and open:", style="bold"))
            options = []
            for index, attachment in enumerate(self.attachments):
                label = Text(one_line(attachment.display_name) or "attachment")
                label.append(f"  {human_size(attachment.size)}", style="dim")
                options.append(Option(label, id=str(index)))
            yield OptionList(*options)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.attachments[int(event.option.id or 0)])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
