"""Inbox Settings of one account: the signature and the out-of-office reply, as Canvas keeps them.

The fields are those of Canvas's web Inbox Settings (ui/features/inbox/react/components/
InboxSettingsModalContainer): use a signature and its text; an automatic reply on or off, its
first and last day, subject and message. Only the parts the school has turned on are shown.
The title says which account it is. ctrl+s gives the settings back to be saved; Esc changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Static, TextArea

from ...canvas.inbox_settings import InboxSettings


def day_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(timezone.utc).date().isoformat()


def read_day(text: str) -> datetime | None:
    """A day typed as 2026-12-21 (empty: none); ValueError for anything else."""
    text = text.strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


class InboxSettingsScreen(ModalScreen[InboxSettings | None]):
    DEFAULT_CSS = """
    InboxSettingsScreen { align: center middle; }
    InboxSettingsScreen > VerticalScroll { width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 2; }
    InboxSettingsScreen #settings-title { text-style: bold; margin: 1 0; }
    InboxSettingsScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    InboxSettingsScreen TextArea { height: 4; border: round $panel-lighten-2; }
    InboxSettingsScreen TextArea:focus { border: round $accent; }
    InboxSettingsScreen Horizontal { height: auto; }
    InboxSettingsScreen .label { width: 11; padding-top: 0; }
    InboxSettingsScreen Input { width: 1fr; }
    InboxSettingsScreen #settings-error { color: $error; height: auto; }
    InboxSettingsScreen #settings-keys { color: $text-muted; margin: 1 0; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save the settings", priority=True),
        Binding("escape", "cancel", "Close without saving", show=False),
    ]

    def __init__(self, settings: InboxSettings, *, signature: bool, out_of_office: bool, where: str) -> None:
        """``signature``/``out_of_office``: which parts the school shows; ``where``: the account, said in the title."""
        super().__init__()
        self.settings = settings
        self.signature = signature
        self.out_of_office = out_of_office
        self.where = where

    def compose(self) -> ComposeResult:
        settings = self.settings
        with VerticalScroll():
            yield Static(Text(f"Inbox Settings · {self.where}"), id="settings-title")  # names from Canvas: text
            if self.signature:
                yield Static("Signature", classes="section")
                yield Checkbox("Add my signature to new messages and replies", settings.use_signature,
                               id="use-signature")
                yield TextArea(settings.signature, id="signature", soft_wrap=True, tab_behavior="focus",
                               show_line_numbers=False)
            if self.out_of_office:
                yield Static("Out of office", classes="section")
                yield Checkbox("Reply automatically while I am away", settings.use_out_of_office,
                               id="use-out-of-office")
                for label, name, value in (("First day", "first-day", day_text(settings.out_of_office_first)),
                                           ("Last day", "last-day", day_text(settings.out_of_office_last)),
                                           ("Subject", "ooo-subject", settings.out_of_office_subject)):
                    with Horizontal():
                        yield Static(label, classes="label")
                        yield Input(value, placeholder="2026-12-21" if "day" in name else "", id=name, compact=True)
                yield Static("Message", classes="label")
                yield TextArea(settings.out_of_office_message, id="ooo-message", soft_wrap=True,
                               tab_behavior="focus", show_line_numbers=False)
            yield Static(id="settings-error")
            yield Static("ctrl+s saves · Esc closes without saving · Tab next field", id="settings-keys")

    def on_mount(self) -> None:
        self.query_one(Checkbox).focus()

    def chosen(self) -> InboxSettings:
        """What the fields say (ValueError with the line to show when a day is not a day)."""
        wanted = self.settings
        if self.signature:
            wanted = replace(wanted, use_signature=self.query_one("#use-signature", Checkbox).value,
                             signature=self.query_one("#signature", TextArea).text.strip("\n"))
        if self.out_of_office:
            try:
                first = read_day(self.query_one("#first-day", Input).value)
                last = read_day(self.query_one("#last-day", Input).value)
            except ValueError:
                raise ValueError("Write the days as 2026-12-21.") from None
            if first and last and last < first:
                raise ValueError("The last day comes before the first.")
            wanted = replace(wanted, use_out_of_office=self.query_one("#use-out-of-office", Checkbox).value,
                             out_of_office_first=first, out_of_office_last=last,
                             out_of_office_subject=self.query_one("#ooo-subject", Input).value.strip(),
                             out_of_office_message=self.query_one("#ooo-message", TextArea).text.strip("\n"))
        return wanted

    def action_save(self) -> None:
        try:
            wanted = self.chosen()
        except ValueError as problem:
            self.query_one("#settings-error", Static).update(str(problem))
            return
        self.dismiss(wanted)

    def action_cancel(self) -> None:
        self.dismiss(None)
