"""To, in the composer: who the draft goes to (as chips), the name being typed, and who matches it.

Recipients are searched after a pause in the typing (or at once on Enter), through the
``RecipientSearch`` port: the field never calls HTTP. Names and course names came from a server
and are shown as ``Text``, never parsed as markup. The rules (what a pick adds, how a person is
named) are the core's (inbox/recipient_rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...canvas.models import Conversation, Course, Recipient
from ...inbox import recipient_rules
from ...inbox.compose import Draft
from ...inbox.formatting import formal_name, with_pronouns
from ...inbox.text import one_line
from .compose_fields import BackspaceOnEmpty, Edited, ListInput, Said, Suggestions


@dataclass(frozen=True)
class RecipientSearch:
    """What To asks of the inbox: who matches a text, the user's courses, the open conversation."""

    search: Callable[[str], Awaitable[list[Recipient]]]
    courses: Callable[[], list[Course]]
    current: Callable[[], Conversation | None]


def suggestion_text(recipient: Recipient, courses: list[Course]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if recipient.is_context:
        text.append(one_line(recipient.name), style="bold")
        if recipient.user_count is not None:
            text.append(f"  {recipient.user_count} {'person' if recipient.user_count == 1 else 'people'}", style="dim")
        if recipient.context_name and one_line(recipient.context_name) != one_line(recipient.name):
            text.append(f"  {one_line(recipient.context_name)}", style="dim")
        return text
    # Which Jane: the full name, and the pronouns they chose, as Canvas's address book shows them.
    text.append(with_pronouns(formal_name(recipient.name, recipient.full_name), recipient.pronouns), style="bold")
    where = recipient_rules.where_they_are(recipient, courses)
    if where:
        text.append("  " + where, style="dim")
    return text


class RecipientsField(Vertical):
    def __init__(self, draft: Draft, inbox: RecipientSearch, *, delay: float, placeholder: str,
                 classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.draft = draft
        self.inbox = inbox
        self.delay = delay  # seconds of quiet typing before a search
        self.placeholder = placeholder
        self.found: dict[str, Recipient] = {}  # option id -> Recipient, for the suggestions shown
        self.found_for: str | None = None  # the text those suggestions answer (typing on keeps them until the next)
        self.errors_heard = 0  # the inbox's errors, counted by the composer: one may say why nothing matched
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="to-chips")
        yield ListInput(placeholder=self.placeholder, id="to", compact=True)
        yield Suggestions(id="suggestions")

    def on_mount(self) -> None:
        self.query_one(Suggestions).display = False
        self.paint_chips()

    def paint_chips(self) -> None:
        text = Text()
        if not self.draft.to:
            text.append("nobody yet", style="dim italic")
        for index, ref in enumerate(self.draft.to):
            if index:
                text.append(" ")
            text.append(f" {one_line(ref.label) or ref.id} ", style="reverse")
            if ref.count is not None:
                text.append(f" {ref.count}", style="dim")
        self.query_one("#to-chips", Static).update(text)

    def edited(self, said: str) -> None:
        self.paint_chips()
        self.post_message(Edited())
        self.post_message(Said(said))

    # -- suggestions ------------------------------------------------------------------------------
    @property
    def suggestions_open(self) -> bool:
        suggestions = self.query_one(Suggestions)
        return bool(suggestions.display and suggestions.option_count)

    def _stop_timer(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None

    def close_suggestions(self) -> None:
        self._stop_timer()
        self.workers.cancel_group(self, "recipients")
        suggestions = self.query_one(Suggestions)
        suggestions.clear_options()
        suggestions.display = False
        self.found = {}
        self.found_for = None

    @on(Input.Changed, "#to")
    def to_typed(self, event: Input.Changed) -> None:
        self._stop_timer()
        if not event.value.strip():
            self.close_suggestions()
            return
        self._search_timer = self.set_timer(self.delay, self.start_search)

    def start_search(self) -> None:
        self._search_timer = None
        text = self.query_one("#to", Input).value
        if text.strip():
            self.search(text)

    @work(exclusive=True, group="recipients")
    async def search(self, text: str) -> None:
        errors = self.errors_heard
        found = await self.inbox.search(text)
        if get_current_worker().is_cancelled or self.query_one("#to", Input).value != text:
            return  # typed on since: a newer search owns the list
        chosen = {r.id for r in self.draft.to}
        suggestions = self.query_one(Suggestions)
        suggestions.clear_options()
        self.found = {}
        self.found_for = text
        courses = self.inbox.courses()
        for recipient in found:
            if recipient.id in chosen or recipient.id in self.found:
                continue
            self.found[recipient.id] = recipient
            suggestions.add_option(Option(suggestion_text(recipient, courses), id=recipient.id))
        if self.found:
            suggestions.highlighted = 0
            suggestions.display = True
        else:
            suggestions.display = False
            if self.errors_heard == errors:  # an error already said why nothing came back
                self.post_message(Said(f"Nobody matches {one_line(text)!r}."))

    def pick_highlighted(self) -> bool:
        suggestions = self.query_one(Suggestions)
        index = suggestions.highlighted
        if not self.suggestions_open or index is None:
            return False
        option = suggestions.get_option_at_index(index)
        recipient = self.found.get(option.id or "")
        if recipient is None:
            return False
        said = recipient_rules.add(self.draft, recipient_rules.ref_for(recipient), self.inbox.current())
        self.close_suggestions()
        to = self.query_one("#to", Input)
        to.value = ""
        to.focus()
        self.edited(said)
        return True

    def move(self, delta: int) -> None:
        suggestions = self.query_one(Suggestions)
        if delta > 0:
            suggestions.action_cursor_down()
        else:
            suggestions.action_cursor_up()

    @on(Suggestions.OptionSelected)
    def suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(Suggestions).highlighted = event.option_index
        self.pick_highlighted()

    @on(Input.Submitted, "#to")
    def to_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.pick_highlighted():
            return
        if event.value.strip():  # Enter before the pause: search now
            self._stop_timer()
            self.search(event.value)

    # -- taking people off ------------------------------------------------------------------------
    @on(BackspaceOnEmpty)
    def backspace_on_empty(self, event: BackspaceOnEmpty) -> None:
        event.stop()
        if self.draft.to:
            removed = self.draft.to.pop()
            self.edited(f"Removed {removed.label}.")

    def clear(self) -> None:
        if self.draft.to:
            self.draft.to.clear()
            self.edited("To cleared.")
