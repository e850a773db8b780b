"""The status bar: the feed's state, what is running, the selection, and the last error."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    /* One line, cut with an ellipsis: Textual wraps a Text by words whatever its no_wrap, and the
       second line, hidden, would take the rest of a long error without a sign that it is cut. */
    StatusBar { dock: bottom; height: 1; background: $panel; color: $text; padding: 0 1;
                text-wrap: nowrap; text-overflow: ellipsis; }
    """

    feed = reactive("offline")
    feed_detail = reactive("")
    running = reactive("")
    message = reactive("")
    error = reactive("")
    selection = reactive(0)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        colours = {"live": "green", "polling": "yellow", "offline": "red", "connecting": "yellow"}
        text.append(f"● {self.feed}", style=f"bold {colours.get(self.feed, 'white')}")
        if self.feed_detail:
            text.append(f" {self.feed_detail}", style="dim")
        if self.selection:
            text.append(f"  {self.selection:,} selected", style="bold")
        if self.running:
            text.append(f"  ⟳ {self.running}")
        if self.error:
            text.append("  ✖ ", style="bold red")
            text.append(self.error, style="red")
        elif self.message:
            text.append(f"  {self.message}", style="dim")
        text.append("   ? help", style="dim")
        return text

    def show_error(self, message: str) -> None:
        self.error = " ".join(message.split())

    def show_message(self, message: str) -> None:
        self.error = ""
        self.message = " ".join(message.split())
