"""The messages log (as ``:messages`` in vim): every status line, error and notice, whole, oldest first.

The status bar cuts a long line to one row and fades it; here each is kept in full with the
time it was said, so an error can be read (and copied) after it has gone from the bar.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import MESSAGES_KEY
from ..widgets.status_bar import Entry

STYLES = {"error": "red", "notice": "bold", "feed": "yellow", "message": ""}
LABELS = {"error": "error", "notice": "notice", "feed": "live", "message": ""}


class MessagesScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    MessagesScreen { align: center middle; }
    MessagesScreen > VerticalScroll { width: 100; max-width: 98%; height: 90%; border: thick $accent;
                                      background: $surface; padding: 0 1; }
    """

    # Esc and q close it, and so does the key that opened it: the same binding id, so the
    # config's [keys] remaps both.
    BINDINGS = [Binding("escape,q", "dismiss", "Close", show=False),
                Binding(MESSAGES_KEY.keys, "dismiss", "Close", show=False, id=MESSAGES_KEY.id)]

    def __init__(self, entries: Iterable[Entry]) -> None:
        super().__init__()
        self.entries = list(entries)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Messages  (oldest first; Esc closes)", style="bold"))
            yield Static(self.table() if self.entries else Text("No messages yet.", style="dim"), id="messages-log")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)  # the newest, as the bar just said it

    def table(self) -> Table:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1, 0, 0))
        table.add_column("At", no_wrap=True, style="dim")
        table.add_column("Kind", no_wrap=True)
        table.add_column("Text", overflow="fold")
        for entry in self.entries:
            style = STYLES.get(entry.kind, "")
            table.add_row(entry.at.astimezone().strftime("%H:%M:%S"), Text(LABELS.get(entry.kind, ""), style=style),
                          Text(entry.text, style=style))  # server text: shown as text, never markup
        return table
