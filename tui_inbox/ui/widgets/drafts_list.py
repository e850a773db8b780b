"""The Drafts mailbox: every kept draft, newest first, with whom it goes to and its first line.

With several accounts it holds every account's drafts, each with its account's tag: a draft is
sent from the account it was written in, and is known by (account, its key)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...inbox.drafts_box import Kept
from .account_tag import AccountTags, tag_classes, tag_css

Tagged = tuple[str, Kept]  # a draft with the account whose store keeps it


class DraftsList(OptionList):
    COMPONENT_CLASSES = tag_classes("drafts-list")
    DEFAULT_CSS = """
    DraftsList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """ + tag_css("DraftsList", "drafts-list")
    BINDINGS = [
        Binding("j,down", "cursor_down", show=False),
        Binding("k,up", "cursor_up", show=False),
        # d here discards the draft (after asking), not the app's delete of a conversation.
        Binding("d", "discard", "Discard the draft (asks first)"),
    ]

    class Opened(Message):
        """Enter on a draft: it opens in the composer."""

        def __init__(self, account: str, entry: Kept) -> None:
            super().__init__()
            self.account = account
            self.entry = entry

    class Discard(Message):
        def __init__(self, account: str, entry: Kept) -> None:
            super().__init__()
            self.account = account
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[Tagged] = []
        self.tags = AccountTags()

    def set_tags(self, names: list[str]) -> None:
        """Several accounts: each draft starts with its account's name, in its colour."""
        self.tags = AccountTags(names)

    def show_entries(self, entries: list[Tagged]) -> None:
        keep = self.current_key
        self.entries = list(entries)
        if not self.entries:
            self.set_options([Option(Text("No drafts: what you write and do not send is kept here.", style="dim"),
                                     disabled=True)])
            return
        self.set_options([Option(self.prompt(account, entry), id=f"{account}:{entry.key}")
                          for account, entry in self.entries])
        self.highlighted = next((i for i, (account, entry) in enumerate(self.entries)
                                 if (account, entry.key) == keep), 0)

    def prompt(self, account: str, entry: Kept) -> Text:
        # Names and text are the user's or the server's: Text, never markup.
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{datetime.fromtimestamp(entry.saved_at):%d %b %H:%M}  ", style="dim")
        self.tags.append(text, account, self.get_component_rich_style, "drafts-list")
        text.append(f"{entry.draft.title} to ", style="dim")
        text.append(entry.who, style="bold")
        text.append("  ")
        text.append(entry.first_line or "(no text yet)", style="" if entry.first_line else "dim italic")
        return text

    @property
    def current(self) -> Tagged | None:
        if self.highlighted is None or not self.entries or self.highlighted >= len(self.entries):
            return None
        return self.entries[self.highlighted]

    @property
    def current_key(self) -> tuple[str, str] | None:
        current = self.current
        return (current[0], current[1].key) if current is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.current is not None:
            self.post_message(self.Opened(*self.current))

    def action_discard(self) -> None:
        if self.current is not None:
            self.post_message(self.Discard(*self.current))
