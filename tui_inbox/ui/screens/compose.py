"""The composer: a new message, a reply, a forward, or people to add, as a full screen.

Everything typed is kept in a ``Draft`` (inbox/compose.py) and saved as you type (at
most 0.15 s behind, however steady the typing) and on close, so a crash, a
failed send or ``escape`` loses nothing. A reply or forward closed as it was opened
leaves no draft; ``ctrl+g`` throws a draft away after asking. A draft that cannot be saved (a
full or read-only data folder) is never closed on: ``escape`` then offers to write the text to a
file elsewhere, or to stay while the save is tried again every few seconds. The
screen never calls HTTP: recipient search and sending run ``InboxSession`` coroutines
in workers. Every string that came from a server (names, course names, subjects) is
shown as ``rich.text.Text``, never parsed as markup.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, RadioButton, RadioSet, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...inbox import attaching, delivery_rules, recipient_rules
from ...inbox.formatting import formal_name
from ...inbox.changes import Change, Failed
from ...inbox import draft_file
from ...inbox.draft_life import ComposerTiming, DraftLife, Stage
from ...inbox.compose import DELIVERIES, Draft
from ...inbox.discussion_post import answered_post
from ...inbox.session import InboxSession, Outcome
from ...inbox.text import one_line
from ...inbox.quoting import answered, quote
from ..external_editor import EditorError, edit_externally, editor_command
from ..path_completion import PathSuggester, complete
from ..widgets.choice_button import ChoiceButton
from ..widgets.compose_context import ComposeContext, forward_context, post_context, reply_context
from ..keys import COMPOSE_KEYS, bindings, display_key
from .background_send import Sent
from .confirm import ConfirmScreen
from .unsaved import UnsavedScreen

class BackspaceOnEmpty(Message):
    """Backspace in an empty list field (To, Attach): take off the field's last item."""

    def __init__(self, field: Input) -> None:
        super().__init__()
        self.field = field


class ListInput(Input):
    """An input that adds to a list: backspace when it is empty takes off the list's last item."""

    def action_delete_left(self) -> None:
        if not self.value and self.cursor_position == 0:
            self.post_message(BackspaceOnEmpty(self))
            return
        super().action_delete_left()


class Suggestions(OptionList, can_focus=False):
    """Recipients matching what is typed in To; driven from the To field's keys, never focused."""


class DeliveryChoice(RadioSet):
    """The delivery choice; its cursor starts on the choice in force, not on the first one."""

    def _on_mount(self, event) -> None:
        self._selected = max(0, self.pressed_index)  # after RadioSet's own _on_mount (Textual calls both)

    def press(self, button: RadioButton) -> None:
        """Press ``button`` from code, quietly: the screen has already acted on the choice. Done
        here rather than by setting its value, whose Changed is swallowed when this runs while
        RadioSet handles a press (its ``prevent``), leaving two buttons on."""
        with self.prevent(RadioButton.Changed):
            for other in self.query(RadioButton):
                other.value = other is button
        self._pressed_button = button
        self._selected = self._nodes.index(button)


class ComposeScreen(Screen[Outcome | None]):
    DEFAULT_CSS = """
    ComposeScreen { layout: vertical; background: $surface; }
    ComposeScreen #compose-title { height: 1; background: $primary; color: $text; padding: 0 1; }
    ComposeScreen .row { height: auto; margin: 0 1; }
    ComposeScreen .label { width: 9; height: 1; color: $text-muted; text-style: bold; }
    ComposeScreen .field { width: 1fr; height: auto; }
    ComposeScreen #to-chips { height: auto; }
    ComposeScreen #to-summary { height: auto; }
    ComposeScreen Input { width: 1fr; height: 1; }
    ComposeScreen Select { width: 1fr; }
    ComposeScreen #suggestions { height: auto; max-height: 8; border: round $accent; background: $panel; padding: 0; }
    ComposeScreen #delivery { height: auto; margin: 0 1; padding-left: 9; }
    ComposeScreen #delivery-help { height: auto; margin: 0 1; padding-left: 9; color: $text-muted; }
    ComposeScreen #compose-where { height: auto; margin: 0 1; padding-left: 9; color: $warning; }
    ComposeScreen #body { width: 1fr; height: 1fr; min-height: 3; margin: 0 1; border: round $panel-lighten-2; padding: 0 1; }
    ComposeScreen #body:focus { border: round $accent; }
    ComposeScreen #attached { height: auto; color: $text-muted; }
    ComposeScreen #compose-status { height: 1; padding: 0 1; background: $panel; }
    ComposeScreen #compose-keys { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    ComposeScreen.no-body #body { display: none; }
    ComposeScreen.no-body #spacer { height: 1fr; }
    ComposeScreen #spacer { height: 0; }
    """
    BINDINGS = bindings(COMPOSE_KEYS) + [
        Binding("down", "suggestion(1)", "Next suggestion", show=False),
        Binding("up", "suggestion(-1)", "Previous suggestion", show=False),
        Binding("tab", "tab", "Pick or next field", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(self, session: InboxSession, draft: Draft, timing: ComposerTiming = ComposerTiming()) -> None:
        super().__init__()
        self.session = session
        self.draft = draft
        self.timing = timing
        self.found: dict[str, Any] = {}  # option id -> Recipient, for the suggestions shown
        self._search_timer: Timer | None = None
        self._listed: str | None = None  # the Attach text whose completions were last listed
        # The draft's life (inbox/draft_life.py): a reply comes with its subject and people filled
        # in, and closing it unchanged must leave nothing stored, unless the user kept it before.
        self.life = DraftLife(draft, session, lambda delay, callback: self.set_timer(delay, callback).stop,
                              self.say, kept_before=session.load_draft(draft.key) is not None, timing=timing)
        self._discard_shown = False
        self._errors = 0  # session errors heard while this screen is open
        self._unsubscribe = None
        self.status_text = ""  # what the status line says, as plain text

    @property
    def is_modal(self) -> bool:
        # A full screen that owns the keyboard: the inbox's single-letter keys (c, r, q, d...)
        # must not act behind the composer when a checkbox or the course field has focus.
        return True

    # -- what is shown for which kind of draft --------------------------------------------------
    @property
    def untouched(self) -> bool:
        return self.life.untouched

    @property
    def edits_to(self) -> bool:
        return self.draft.needs_recipients

    @property
    def edits_subject(self) -> bool:
        return self.draft.edits_subject

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        draft = self.draft
        yield Static(self.title_text(), id="compose-title")
        with Horizontal(classes="row"):
            yield Static(Text("To"), classes="label")
            with Vertical(classes="field"):
                if self.edits_to:
                    yield Static(id="to-chips")
                    placeholder = "People to add: type a name" if draft.kind == "add_people" else \
                        "Type a name, a course or a group (↓↑ choose, Enter/Tab pick)"
                    yield ListInput(placeholder=placeholder, id="to", compact=True)
                    yield Suggestions(id="suggestions")
                else:
                    yield Static(self.reply_summary(), id="to-summary")
        if self.edits_subject:
            with Horizontal(classes="row"):
                yield Static(Text("Course"), classes="label")
                yield Select(self.context_options(), prompt="No course", allow_blank=True,
                             value=draft.context_code if draft.context_code else Select.NULL,
                             id="course", compact=True)
            with Horizontal(classes="row"):
                yield Static(Text("Subject"), classes="label")
                yield Input(value=draft.subject, placeholder="Subject", id="subject", compact=True)
        if self.edits_subject:
            chosen = draft.delivery
            with DeliveryChoice(id="delivery", compact=True):
                for choice in DELIVERIES:
                    yield ChoiceButton(delivery_rules.LABELS[choice], choice == chosen, id=f"delivery-{choice}")
            yield Static(Text(delivery_rules.HELP[chosen]), id="delivery-help")
            yield Static(id="compose-where")
        context = self.context_widget()
        if context is not None:
            yield context
        if draft.needs_body:
            yield TextArea(draft.body, id="body", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        if draft.allows_attachments:
            with Horizontal(classes="row"):
                yield Static(Text("Attach"), classes="label")
                with Vertical(classes="field"):
                    yield ListInput(placeholder="Path to a file (Tab completes), then Enter", id="attach",
                                    compact=True, suggester=PathSuggester())
                    yield Static(id="attached")
        yield Static(id="spacer")
        yield Static(id="compose-status")
        yield Static(self.keys_text(), id="compose-keys")

    def on_mount(self) -> None:
        # The app's status bar is hidden behind this screen: the session's errors are said here.
        self._unsubscribe = self.session.on_change(self.session_changed)
        self.set_class(not self.draft.needs_body, "no-body")
        if self.edits_subject:
            self.query_one("#compose-where").display = False
        if self.edits_to:
            self.query_one("#suggestions").display = False
            self.paint_chips()
        if self.draft.allows_attachments:
            self.paint_attachments()
        self.focus_first()

    def focus_first(self) -> None:
        if self.edits_to and not self.draft.to:
            self.query_one("#to").focus()
        elif self.edits_subject and not self.draft.subject:
            self.query_one("#subject").focus()
        elif self.draft.needs_body:
            self.query_one("#body").focus()
        elif self.edits_to:
            self.query_one("#to").focus()

    @property
    def answering(self):
        """The conversation this reply or forward answers, when its messages are loaded."""
        return recipient_rules.answering(self.draft, self.session.current)

    def context_widget(self) -> ComposeContext | None:
        """What is answered or forwarded, shown above the body: the thread, or the messages carried."""
        kind = self.draft.kind
        if kind == "discussion_reply":  # public: the post answered stays in view while writing
            post = answered_post(self.session.activity, self.draft)
            if post is None:
                return None
            return ComposeContext(post_context(post), "The topic you answer" if post.is_topic else "The post you answer",
                                  id="context")
        if kind not in ("reply", "reply_all", "forward"):
            return None
        conversation = self.answering
        if conversation is not None and kind == "forward":
            return ComposeContext(forward_context(conversation, self.draft.forward_message_ids),
                                  "What the forward carries", id="context", classes="one-line-each")
        if conversation is not None:
            return ComposeContext(reply_context(conversation), "The conversation, newest last", id="context")
        row = self.session.row(self.draft.conversation_id) if self.draft.conversation_id is not None else None
        if row is None or not row.last_message:
            return None
        text = Text()
        text.append(one_line(row.last_message))
        text.append("\n(the latest message; open the conversation to see all of it here)", style="dim")
        return ComposeContext(text, "The conversation", id="context")

    def title_text(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.draft.title, style="bold")
        if self.draft.kind in ("reply", "reply_all", "add_people", "discussion_reply"):
            subject = one_line(self.draft.subject)
            text.append("  ·  ")
            text.append(subject or "(no subject)")
        return text

    def keys_text(self) -> Text:
        """The keys in force, shortest first; the list ones only when there is something to take off."""
        shown = [(self.key_of("send"), "add them" if self.draft.kind == "add_people" else "send"),
                 (self.key_of("close_composer"), "close (draft kept)")]
        if self.draft.needs_body:
            shown.append((self.key_of("editor"), "$EDITOR"))
        if self.draft.kind in ("reply", "reply_all") and self.answering is not None:
            shown.append((self.key_of("quote"), "quote"))
        if self.edits_to and self.draft.to:
            shown.append((self.key_of("clear_to"), "clear To"))
        if self.draft.needs_body and self.draft.attachments:
            shown.append((self.key_of("drop_attachment"), "drop last attachment"))
        self._discard_shown = not self.untouched
        if self._discard_shown:
            shown.append((self.discard_key(), "discard"))
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (key, what) in enumerate(shown):
            if index:
                text.append("   ")
            text.append(key, style="bold")
            text.append(f" {what}")
        return text

    def discard_key(self) -> str:
        return self.key_of("discard_draft")

    def key_of(self, key_id: str) -> str:
        """A composer key in force: the config's [keys] may have moved it."""
        current = getattr(self.app, "current_keys", None)
        keys = current()[key_id] if current else next(k.keys for k in COMPOSE_KEYS if k.id == key_id)
        return display_key(keys.split(",")[0])

    def paint_keys(self) -> None:
        self.query_one("#compose-keys", Static).update(self.keys_text())

    def reply_summary(self) -> Text:
        """Who a reply goes to: Canvas sends it to the conversation's participants."""
        who, why = recipient_rules.reply_goes_to(self.draft, self.session.current, self.session.me_id)
        text = Text()
        text.append(who, style="bold")
        text.append(why, style="dim")
        return text

    def context_options(self) -> list[tuple[Text, str]]:
        options: list[tuple[Text, str]] = []
        for course in self.session.courses:
            label = Text(one_line(course.course_code) or one_line(course.name))
            if course.course_code and course.name:
                label.append(f"  {one_line(course.name)}", style="dim")
            options.append((label, course.context_code))
        for group in self.session.groups:
            label = Text(one_line(group.name))
            label.append("  group", style="dim")
            options.append((label, group.context_code))
        code = self.draft.context_code
        if code and code not in {value for _, value in options}:
            options.append((Text(one_line(code)), code))  # a course we were not told about: keep it choosable
        return options

    # -- status line ------------------------------------------------------------------------------
    def show_message(self, message: str) -> None:
        self.status_text = one_line(message)
        self.paint_status(Text(one_line(message), no_wrap=True, overflow="ellipsis"))

    def say(self, message: str, error: bool) -> None:
        """The draft's life speaking (a save refused, or taken again)."""
        (self.show_error if error else self.show_message)(message)

    def show_error(self, message: str) -> None:
        self.status_text = one_line(message)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("✖ ", style="bold red")
        text.append(one_line(message), style="red")
        self.paint_status(text)

    def paint_status(self, text: Text) -> None:
        try:
            self.query_one("#compose-status", Static).update(text)
        except NoMatches:
            pass  # the screen is being taken down (the app quitting): status_text still says it

    # -- recipients -------------------------------------------------------------------------------
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
        self.paint_keys()
        self.paint_where()

    def paint_where(self) -> None:
        """Where the message will go, when Canvas will put it into a conversation that exists, and
        how a large audience is sent (over 100 people Canvas takes only individual messages)."""
        if not self.edits_subject:
            return
        forced = delivery_rules.forced(self.draft)
        if forced is not None:
            self.choose_delivery(forced)
        lines = delivery_rules.where_lines(self.draft, self.session.forecast(self.draft))
        line = self.query_one("#compose-where", Static)
        line.update(Text("\n".join(lines)))
        line.display = bool(lines)

    @property
    def suggestions_open(self) -> bool:
        if not self.edits_to:
            return False
        suggestions = self.query_one(Suggestions)
        return bool(suggestions.display and suggestions.option_count)

    def close_suggestions(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.workers.cancel_group(self, "recipients")
        if self.edits_to:
            suggestions = self.query_one(Suggestions)
            suggestions.clear_options()
            suggestions.display = False
        self.found = {}

    @on(Input.Changed, "#to")
    def to_typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if not event.value.strip():
            self.close_suggestions()
            return
        self._search_timer = self.set_timer(self.timing.search_delay, self.start_search)

    def start_search(self) -> None:
        self._search_timer = None
        text = self.query_one("#to", Input).value
        if text.strip():
            self.search(text)

    @work(exclusive=True, group="recipients")
    async def search(self, text: str) -> None:
        errors = self._errors
        found = await self.session.search_recipients(text)
        if get_current_worker().is_cancelled or self.query_one("#to", Input).value != text:
            return  # typed on since: a newer search owns the list
        chosen = {r.id for r in self.draft.to}
        suggestions = self.query_one(Suggestions)
        suggestions.clear_options()
        self.found = {}
        for recipient in found:
            if recipient.id in chosen or recipient.id in self.found:
                continue
            self.found[recipient.id] = recipient
            suggestions.add_option(Option(self.suggestion_text(recipient), id=recipient.id))
        if self.found:
            suggestions.highlighted = 0
            suggestions.display = True
        else:
            suggestions.display = False
            if self._errors == errors:  # an error already said why nothing came back
                self.show_message(f"Nobody matches {one_line(text)!r}.")

    def suggestion_text(self, recipient) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if recipient.is_context:
            text.append(one_line(recipient.name), style="bold")
            if recipient.user_count is not None:
                text.append(f"  {recipient.user_count} {'person' if recipient.user_count == 1 else 'people'}", style="dim")
            if recipient.context_name and one_line(recipient.context_name) != one_line(recipient.name):
                text.append(f"  {one_line(recipient.context_name)}", style="dim")
            return text
        text.append(formal_name(recipient.name, recipient.full_name), style="bold")  # which Jane: the full name
        where = recipient_rules.where_they_are(recipient, self.session.courses)
        if where:
            text.append("  " + where, style="dim")
        return text

    def pick_highlighted(self) -> bool:
        suggestions = self.query_one(Suggestions)
        index = suggestions.highlighted
        if not self.suggestions_open or index is None:
            return False
        option = suggestions.get_option_at_index(index)
        recipient = self.found.get(option.id or "")
        if recipient is None:
            return False
        self.add_recipient(recipient_rules.ref_for(recipient))
        return True

    def add_recipient(self, ref) -> None:
        said = recipient_rules.add(self.draft, ref, self.session.current)
        self.close_suggestions()
        to = self.query_one("#to", Input)
        to.value = ""
        to.focus()
        self.paint_chips()
        self.show_message(said)
        self.changed()

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
            if self._search_timer is not None:
                self._search_timer.stop()
                self._search_timer = None
            self.search(event.value)

    @on(BackspaceOnEmpty)
    def backspace_on_empty(self, event: BackspaceOnEmpty) -> None:
        event.stop()
        if event.field.id == "attach":
            self.action_drop_attachment()
        elif event.field.id == "to" and self.draft.to:
            removed = self.draft.to.pop()
            self.paint_chips()
            self.show_message(f"Removed {removed.label}.")
            self.changed()

    def action_clear_to(self) -> None:
        if not self.edits_to or not self.draft.to:
            return
        self.draft.to.clear()
        self.paint_chips()
        self.show_message("To cleared.")
        self.changed()

    def action_suggestion(self, delta: int) -> None:
        if self.suggestions_open:
            suggestions = self.query_one(Suggestions)
            if delta > 0:
                suggestions.action_cursor_down()
            else:
                suggestions.action_cursor_up()
        elif delta > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_tab(self) -> None:
        if self.suggestions_open and self.focused is self.query_one("#to") and self.pick_highlighted():
            return
        if self.draft.allows_attachments and self.focused is self.query_one("#attach") and self.complete_path():
            return
        self.focus_next()

    def complete_path(self) -> bool:
        """Tab in Attach: complete the path typed. True while there was something to complete or
        to choose from (Tab stays in the field); a second Tab on the same choices moves on."""
        field = self.query_one("#attach", Input)
        completion = complete(field.value)
        if not completion.offered:
            return False
        if completion.text != field.value:
            field.value = completion.text
            field.cursor_position = len(field.value)
            if len(completion.names) == 1:
                self.show_message("Enter attaches it." if not completion.text.endswith("/") else
                                  "A folder: type on, Tab completes.")
                self._listed = None
                return True
        elif len(completion.names) == 1 or self._listed == field.value:
            return False  # complete already, or the choices were shown: Tab moves on
        shown = ", ".join(completion.names[:8]) + ("…" if len(completion.names) > 8 else "")
        self.show_message(f"{len(completion.names)} match: {shown}")
        self._listed = field.value
        return True

    # -- the other fields ----------------------------------------------------------------------------
    @on(Select.Changed, "#course")
    def course_chosen(self, event: Select.Changed) -> None:
        value = event.value
        self.draft.context_code = None if value is Select.NULL or not value else str(value)
        self.changed()

    @on(Input.Changed, "#subject")
    def subject_typed(self, event: Input.Changed) -> None:
        self.draft.subject = event.value
        self.changed()

    @on(TextArea.Changed, "#body")
    def body_typed(self, event: TextArea.Changed) -> None:
        self.draft.body = event.text_area.text
        self.changed()

    @on(RadioSet.Changed, "#delivery")
    def delivery_chosen(self, event: RadioSet.Changed) -> None:
        choice = (event.pressed.id or "").removeprefix("delivery-")
        if choice not in DELIVERIES or choice == self.draft.delivery:
            return
        refused = delivery_rules.refusal(self.draft, choice)
        if refused is not None:  # Canvas would refuse it: put it back, say why
            self.choose_delivery(delivery_rules.forced(self.draft) or self.draft.delivery)
            self.show_message(refused)
            return
        self.choose_delivery(choice)
        self.changed()

    def choose_delivery(self, choice: str) -> None:
        """Put the draft, the radio buttons and the line explaining the choice on ``choice``."""
        self.draft.delivery = choice
        button = self.query_one(f"#delivery-{choice}", RadioButton)
        self.query_one(DeliveryChoice).press(button)
        self.query_one("#delivery-help", Static).update(Text(delivery_rules.HELP[choice]))
        self.paint_where()

    # -- attachments ----------------------------------------------------------------------------------
    def paint_attachments(self) -> None:
        text = Text()
        if not self.draft.attachments:
            text.append("No attachments", style="dim")
        for index, path in enumerate(self.draft.attachments):
            if index:
                text.append("  ")
            name, size = attaching.listed(path)
            text.append(f"📎 {name}")
            if size is not None:
                text.append(f" ({size})", style="dim")
            else:
                text.append(" (missing)", style="bold red")
        self.query_one("#attached", Static).update(text)
        self.paint_keys()

    @on(Input.Submitted, "#attach")
    def attach_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        done = attaching.attach(self.draft, event.value)
        if done is None:
            return
        if done.error:
            self.show_error(done.said)
            return
        self.show_message(done.said)
        if done.added:
            self.changed()
        event.input.value = ""
        self.paint_attachments()

    def action_drop_attachment(self) -> None:
        said = attaching.drop_last(self.draft)
        if said is None:
            return
        self.paint_attachments()
        self.show_message(said)
        self.changed()

    # -- the external editor ----------------------------------------------------------------------------
    def action_editor(self) -> None:
        if not self.draft.needs_body:
            self.show_message("Adding people has no message to edit.")
            return
        area = self.query_one("#body", TextArea)
        command = editor_command()
        try:
            edited = edit_externally(area.text, command, self.app.suspend)
        except EditorError as error:
            self.show_error(str(error))
            return
        finally:
            self.refresh()
        if edited != area.text:
            area.load_text(edited)
            self.draft.body = edited
            self.changed()
        area.focus()
        self.show_message("Text from the editor.")

    # -- quoting ----------------------------------------------------------------------------------------
    def action_quote(self) -> None:
        if self.draft.kind not in ("reply", "reply_all"):
            self.show_message("Only a reply quotes a message (a forward carries them whole).")
            return
        conversation = self.answering
        item = answered(conversation, self.session.me_id) if conversation is not None else None
        if item is None:
            self.show_message("Open the conversation first (Enter) to quote from it.")
            return
        area = self.query_one("#body", TextArea)
        area.insert(quote(item), area.cursor_location)
        area.focus()
        self.show_message(f"Quoted {item.author}.")

    # -- saving -----------------------------------------------------------------------------------------
    def changed(self) -> None:
        """Something in the draft changed: the life saves it within its interval, typing or not."""
        if not self.life.open:
            return
        if self._discard_shown == self.untouched:
            self.paint_keys()  # discarding became possible, or there is nothing left to discard
        self.life.changed()

    def save_now(self) -> bool:
        """Write the draft as it is now; False (and said) when the store could not keep it."""
        return self.life.save_now()

    # -- a draft the store cannot keep ------------------------------------------------------------------
    def offer_rescue(self, problem: str = "") -> None:
        """Closing on text that is not on disk: ask where to write it, or stay and keep trying."""
        folder = getattr(self.app, "downloads", None) or Path.home()
        question = UnsavedScreen(self.life.save_error or "", draft_file.default_path(folder, datetime.now()), problem)
        self.app.push_screen(question, self.rescue_answered)

    def rescue_answered(self, path: Path | None) -> None:
        if path is None:
            self.show_error(f"Not saved yet ({self.life.save_error}): tried again every "
                            f"{self.timing.retry_interval:g} s; esc closes once it is saved.")
            self.life.keep_trying()
            return
        try:
            written = self.life.rescue_to(path)
        except OSError as error:
            self.offer_rescue(f"Could not write {path}: {error.strerror or error}.")
            return
        if written is None:  # room was made meanwhile: the draft is kept as any other
            self.dismiss(None)
            return
        self.dismiss(Outcome(True, f"The draft could not be saved; its text was written to {written}."))

    def rescue_quietly(self) -> None:
        """The app is quitting with text the store could not take: write it to a file, and say where."""
        folder = getattr(self.app, "downloads", None) or Path.home()
        line = self.life.rescue_anywhere([folder, Path.home(), Path(tempfile.gettempdir())], datetime.now())
        if line is not None:
            getattr(self.app, "farewell", []).append(line)  # said on the terminal once the screen is gone

    # -- discarding ---------------------------------------------------------------------------------------
    def action_discard_draft(self) -> None:
        if self.life.stage is not Stage.EDITING:
            return
        if self.untouched:  # nothing the user wrote would be lost: no question to ask
            self.discard()
            return
        self.close_suggestions()
        question = ConfirmScreen("Discard this draft?",
                                 [f"{self.draft.title}: what you wrote here is deleted and cannot be brought back."],
                                 confirm="Discard")
        self.app.push_screen(question, self.discard_answered)

    def discard_answered(self, yes: bool | None) -> None:
        if yes:
            self.discard()
        else:
            self.show_message("Draft kept.")

    def discard(self) -> None:
        try:
            self.life.discard()
        except Exception as error:  # the store failed: the draft is still there, say so
            self.show_error(f"Could not discard the draft: {error}")
            return
        self.dismiss(Outcome(True, "Draft discarded."))

    def session_changed(self, change: Change) -> None:
        if isinstance(change, Failed) and change.message and self.life.open:
            self._errors += 1
            self.show_error(change.message)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        # ctrl+q or the app closing: what was typed is still kept, in a file if the store cannot take it.
        self.life.screen_gone()
        if self.life.keeps_text_here and not self.save_now():
            self.rescue_quietly()

    # -- closing and sending ------------------------------------------------------------------------------
    def action_close(self) -> None:
        if self.suggestions_open:
            self.close_suggestions()
            return
        if not self.life.open:
            return
        if self.life.stage is Stage.SENDING:
            # The send goes on without the composer; its outcome is said on the status bar,
            # and the draft (saved when the send began) goes exactly when delivery is confirmed.
            self.life.close()
            self.dismiss(Outcome(True, "Sending in the background: the outcome follows here."))
            return
        if not self.life.close():  # the text is on no disk: never close on it
            self.offer_rescue()
            return
        self.dismiss(None)

    def action_send(self) -> None:
        if self.life.stage is not Stage.EDITING:
            return
        problems = self.life.send()  # saved first: if the app dies while sending, the text is on disk
        if problems:
            self.show_error(problems[0])
            return
        self.close_suggestions()
        self.hold_text(True)
        self.show_message("Sending…")
        # The app runs the send, not this screen: closing the composer must not cancel it.
        self.app.run_worker(self.send(Draft.from_dict(self.draft.to_dict())), group="send")

    def retrying(self, attempt: int, attempts: int, error: Exception) -> None:
        line = f"Sending… retrying ({attempt} of {attempts}): {error}"
        if self.life.stage is Stage.SENDING_CLOSED:
            self.app.status.show_message(line)
        else:
            self.show_message(line)

    async def send(self, draft: Draft) -> None:
        try:
            outcome = await self.session.send(draft, on_retry=self.retrying)
        except Exception as error:  # a bug must not lose the text: say it and keep everything
            # It may have failed after Canvas took the message: say so rather than invite a resend.
            outcome = Outcome(False, f"Something went wrong while sending ({error}); check Sent before "
                                     "sending again. Your text is kept.")
        closed = self.life.stage is Stage.SENDING_CLOSED
        self.life.send_done(outcome.ok)
        if closed:  # closed while sending: the app's status bar tells the outcome
            self.app.post_message(Sent(outcome))
            return
        if outcome.ok:
            self.dismiss(outcome)
            return
        self.hold_text(False)
        self.show_error(outcome.message or "Could not send; your text is kept.")

    def hold_text(self, held: bool) -> None:
        """While a send is on its way the text is what was sent: typing into it then would be lost."""
        for area in self.query(TextArea):
            area.read_only = held
        for field in self.query(Input):
            field.disabled = held
