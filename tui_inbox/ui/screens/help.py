"""Every key in force, grouped, with the config's [keys] remapping applied."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...inbox.query import PATTERNS
from ..keys import ALL_KEYS, display_key

PATTERN_WIDTH = 24
GROUPS = ["Move", "Read", "Inbox", "Select", "Write", "Mailboxes", "App"]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 98%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", show=False)]

    def __init__(self, keys: dict[str, str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("tui-inbox keys  (Esc closes; remap any of them in the config's [keys] by id)", style="bold"))
            yield Static(self.table())
            yield Static(Text("\nPatterns for / and T (terms combine with AND):", style="bold"))
            yield Static(self.patterns(), id="patterns")

    @staticmethod
    def patterns() -> Table:
        """What to type and what it matches, in two columns: a long line wraps inside its own column,
        so a description never runs on under the next pattern (as plain text would at 80 columns)."""
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1, 0, 0))
        # Wide enough for the longest single term (course:CODE-or-name); longer rows wrap at spaces.
        table.add_column("Pattern", width=PATTERN_WIDTH, overflow="fold")
        table.add_column("Matches", ratio=1)
        for pattern, meaning in PATTERNS:
            table.add_row(Text(pattern), Text(meaning))
        return table

    def table(self) -> Table:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("id", style="dim", no_wrap=True)
        rows = {g: [] for g in GROUPS}
        for key in ALL_KEYS:
            rows.setdefault(key.group, []).append((display_key(self.keys.get(key.id, key.keys)), key.description, key.id))
        for group in rows:
            if not rows[group]:
                continue
            table.add_row(Text(group, style="bold underline"), "", "")
            for keys, description, ident in rows[group]:
                table.add_row(Text(keys), Text(description), Text(ident))
        return table
