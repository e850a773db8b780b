"""The rail: the mailboxes with their counts, then the user's courses and groups as filters."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...inbox.mailboxes import DRAFTS, MAILBOXES, NUMBERED, OUTBOX
from ...inbox.text import one_line


class MailboxRail(OptionList):
    DEFAULT_CSS = """
    MailboxRail { width: 24; border: none; border-right: tall $panel; padding: 0; }
    MailboxRail:focus { border: none; border-right: tall $accent; }
    """

    class Chosen(Message):
        def __init__(self, mailbox: str | None, filter_code: str | None) -> None:
            super().__init__()
            self.mailbox = mailbox
            self.filter_code = filter_code

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.contexts: list[tuple[str, str]] = []  # (context code, label)
        self.active_index = 0  # the option of the mailbox on screen

    def on_focus(self) -> None:
        # An OptionList shows no highlight until the first key: the rail shows its cursor at
        # once, on the mailbox on screen, so j/k/Enter start from where the user is.
        if self.highlighted is None and self.option_count:
            self.highlighted = self.active_index

    def update_counts(self, counts: dict[str, int | None], active: str, filter_code: str | None,
                      contexts: list[tuple[str, str]]) -> None:
        """Redraw the rail; the highlight stays where the user left it."""
        self.contexts = contexts
        highlighted = self.highlighted
        options: list[Option | None] = []
        # The Outbox (7) and Drafts (8) show only while they hold something: an empty one is nothing
        # to look at. Each keeps its number (its key) whether the one before it shows or not.
        shown = MAILBOXES + tuple(box for box in (OUTBOX, DRAFTS) if counts.get(box.id) or active == box.id)
        for mailbox in shown:
            number = NUMBERED.index(mailbox) + 1
            label = Text()
            label.append("▸ " if mailbox.id == active else "  ")
            label.append(f"{number} {mailbox.label}", style="bold" if mailbox.id == active else "")
            count = counts.get(mailbox.id)
            if count is not None:
                label.append(f" {count:,}", style="dim")
            if mailbox.id == active:
                self.active_index = len(options)
            options.append(Option(label, id=f"mailbox:{mailbox.id}"))
        options.append(None)
        everything = Text("  All courses", style="bold" if filter_code is None else "")
        options.append(Option(everything, id="filter:"))
        for code, name in contexts:
            label = Text("▸ " if code == filter_code else "  ")
            label.append(one_line(name), style="bold" if code == filter_code else "")
            options.append(Option(label, id=f"filter:{code}"))
        self.set_options(options)
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        kind, _, value = option_id.partition(":")
        if kind == "mailbox":
            self.post_message(self.Chosen(value, ...))
        elif kind == "filter":
            self.post_message(self.Chosen(None, value or None))
