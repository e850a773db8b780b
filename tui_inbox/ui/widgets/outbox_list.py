"""The Outbox mailbox: what waits for Canvas, oldest first (the order it will be carried out in)."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...inbox.outbox import describe
from ...store.outbox import Item


class OutboxList(OptionList):
    DEFAULT_CSS = """
    OutboxList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("j,down", "cursor_down", show=False),
        Binding("k,up", "cursor_up", show=False),
        # d here drops the item (after asking), not the app's delete of a conversation.
        Binding("d", "drop", "Drop from the Outbox (asks first)"),
    ]

    class Opened(Message):
        """Enter on an item: a message goes back to the composer (out of the Outbox)."""

        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    class Drop(Message):
        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, *, subject_of: Callable[[int], str | None], id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[Item] = []
        self._subject_of = subject_of

    def show_items(self, items: list[Item]) -> None:
        keep = self.current.position if self.current else None
        self.items = list(items)
        if not self.items:
            self.set_options([Option(Text("The Outbox is empty: everything reached Canvas.", style="dim"),
                                     disabled=True)])
            return
        self.set_options([Option(self.prompt(item), id=str(item.position)) for item in self.items])
        self.highlighted = next((i for i, item in enumerate(self.items) if item.position == keep), 0)

    def prompt(self, item: Item) -> Text:
        # Names, subjects and bodies are the user's or the server's text: Text, never markup.
        text = Text(no_wrap=True, overflow="ellipsis")
        when = datetime.fromtimestamp(item.created_at).strftime("%H:%M")
        text.append(f"{when}  ", style="dim")
        text.append("sending  " if item.state == "sending" else "waiting  ", style="yellow")
        text.append(describe(item, self._subject_of))
        return text

    @property
    def current(self) -> Item | None:
        if self.highlighted is None or not self.items or self.highlighted >= len(self.items):
            return None
        return self.items[self.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def action_drop(self) -> None:
        if self.current is not None:
            self.post_message(self.Drop(self.current))
