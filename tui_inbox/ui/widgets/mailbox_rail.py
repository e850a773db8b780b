"""The rail: the mailboxes with their counts; with several accounts, each account with its unread
count and its state (choosing one shows it alone); then the courses and groups as filters."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...inbox.mailboxes import DRAFTS, MAILBOXES, NUMBERED, OUTBOX
from ...inbox.text import one_line
from .conversation_row import fit


LABEL_CELLS = 19  # the rail's 24 columns, less its border, the mark's two and a scrollbar's two (a label that wraps
# only once the scrollbar shows would keep the scrollbar, depending on which paint came first)
STATE_STYLES = {"live": "green", "polling": "cyan", "ready": "green", "starting": "dim", "offline": "bold red",
                "sign in again": "bold red", "failed": "bold red", "throttled": "yellow"}


class MailboxRail(OptionList):
    DEFAULT_CSS = """
    MailboxRail { width: 24; border: none; border-right: tall $panel; padding: 0; }
    MailboxRail:focus { border: none; border-right: tall $accent; }
    """

    class Chosen(Message):
        def __init__(self, mailbox: str | None, filter_code: tuple[str, str] | None | object,
                     account: str | None | object = ...) -> None:
            super().__init__()
            self.mailbox = mailbox
            self.filter_code = filter_code  # (account, context code), None for every course, ... unchanged
            self.account = account  # an account's line: its name, None for every account, ... not chosen

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.contexts: list[tuple[tuple[str, str], str]] = []  # ((account, context code), label)
        self.active_index = 0  # the option of the mailbox on screen

    def on_focus(self) -> None:
        # An OptionList shows no highlight until the first key: the rail shows its cursor at
        # once, on the mailbox on screen, so j/k/Enter start from where the user is.
        if self.highlighted is None and self.option_count:
            self.highlighted = self.active_index

    def update_counts(self, counts: dict[str, int | None], active: str, filter_code: tuple[str, str] | None,
                      contexts: list[tuple[tuple[str, str], str]], *,
                      accounts: list[tuple[str, int | None, str]] = (), narrowed: str | None = None) -> None:
        """Redraw the rail; the highlight stays where the user left it. ``accounts``: with several,
        each one's (name, unread count, state in words); ``narrowed``: the one shown alone."""
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
        if accounts:
            options.append(Option(Text("▸ All accounts" if narrowed is None else "  All accounts",
                                       style="bold" if narrowed is None else ""), id="account:"))
            for number, (name, unread, state) in enumerate(accounts):
                label = Text("▸ " if name == narrowed else "  ")
                label.append(one_line(name), style="bold" if name == narrowed else "")
                if unread is not None:
                    label.append(f" {unread:,}", style="dim")
                label.append(f" {state}", style=STATE_STYLES.get(state, "yellow"))
                options.append(Option(label, id=f"account:{number}"))
            options.append(None)
        self.account_names = [name for name, _, _ in accounts]
        everything = Text("  All courses", style="bold" if filter_code is None else "")
        options.append(Option(everything, id="filter:"))
        self.filters: dict[str, tuple[str, str]] = {}  # option id -> (account, context code)
        for code, name in contexts:
            label = Text("▸ " if code == filter_code else "  ")
            # One line each: a long course name is cut (the rail is narrow; the title says it whole).
            name = one_line(name)
            if cell_len(name) > LABEL_CELLS:
                # "A&P Study Group · river": the course is cut, never the account it belongs to.
                course, dot, account = name.rpartition(" · ") if " · " in name else (name, "", "")
                rest = LABEL_CELLS - cell_len(dot + account)
                name = fit(course, rest) + dot + account if rest > 4 else fit(name, LABEL_CELLS)
            label.append(name, style="bold" if code == filter_code else "")
            option_id = f"filter:{code[0]}/{code[1]}" if accounts else f"filter:{code[1]}"
            options.append(Option(label, id=option_id))
            self.filters[option_id] = code
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
            self.post_message(self.Chosen(None, self.filters[option_id] if value else None))
        elif kind == "account":
            self.post_message(self.Chosen(None, ..., self.account_names[int(value)] if value else None))
