"""The Outbox mailbox: what waits for Canvas, oldest first (the order it will be carried out in).

With several accounts it holds every account's items, each with its account's tag; an item is
known by (account, item), since each account's Outbox numbers its own."""

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
from .account_tag import AccountTags, tag_classes, tag_css

Tagged = tuple[str, Item]  # an item with the account whose Outbox holds it


class OutboxList(OptionList):
    COMPONENT_CLASSES = tag_classes("outbox-list")
    DEFAULT_CSS = """
    OutboxList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """ + tag_css("OutboxList", "outbox-list")
    BINDINGS = [
        Binding("j,down", "cursor_down", show=False),
        Binding("k,up", "cursor_up", show=False),
        # d here drops the item (after asking), not the app's delete of a conversation.
        Binding("d", "drop", "Drop from the Outbox (asks first)"),
    ]

    class Opened(Message):
        """Enter on an item: a message goes back to the composer (out of the Outbox)."""

        def __init__(self, account: str, item: Item) -> None:
            super().__init__()
            self.account = account
            self.item = item

    class Drop(Message):
        def __init__(self, account: str, item: Item) -> None:
            super().__init__()
            self.account = account
            self.item = item

    def __init__(self, *, subject_of: Callable[[str, int], str | None], id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[Tagged] = []
        self.tags = AccountTags()
        self._subject_of = subject_of  # (account, conversation id) -> its subject, if loaded

    def set_tags(self, names: list[str]) -> None:
        """Several accounts: each item starts with its account's name, in its colour."""
        self.tags = AccountTags(names)

    def show_items(self, items: list[Tagged]) -> None:
        keep = self.current_key
        self.items = list(items)
        if not self.items:
            self.set_options([Option(Text("The Outbox is empty: everything reached Canvas.", style="dim"),
                                     disabled=True)])
            return
        self.set_options([Option(self.prompt(account, item), id=f"{account}:{item.position}")
                          for account, item in self.items])
        self.highlighted = next((i for i, (account, item) in enumerate(self.items)
                                 if (account, item.position) == keep), 0)

    def prompt(self, account: str, item: Item) -> Text:
        # Names, subjects and bodies are the user's or the server's text: Text, never markup.
        text = Text(no_wrap=True, overflow="ellipsis")
        when = datetime.fromtimestamp(item.created_at).strftime("%H:%M")
        text.append(f"{when}  ", style="dim")
        self.tags.append(text, account, self.get_component_rich_style, "outbox-list")
        text.append("sending  " if item.state == "sending" else "waiting  ", style="yellow")
        text.append(describe(item, lambda conversation_id: self._subject_of(account, conversation_id)))
        return text

    @property
    def current(self) -> Tagged | None:
        if self.highlighted is None or not self.items or self.highlighted >= len(self.items):
            return None
        return self.items[self.highlighted]

    @property
    def current_key(self) -> tuple[str, int] | None:
        current = self.current
        return (current[0], current[1].position) if current is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Opened(*self.current))

    def action_drop(self) -> None:
        if self.current is not None:
            self.post_message(self.Drop(*self.current))
