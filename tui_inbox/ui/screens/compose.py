"""The composer: a new message, a reply, a forward, or people to add, as a full screen.

Everything typed is kept in a ``Draft`` (inbox/compose.py) whose life is the core's ``DraftLife``
(inbox/draft_life.py): saved as you type and on close, sent, discarded after asking, never closed
on while no disk holds it. This screen renders it and forwards keys; the fields are widgets of
their own, the rules the core's. It never calls HTTP (recipient search and sending run
``InboxSession`` coroutines in workers) and shows server strings as ``Text``, never as markup.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, RadioButton, RadioSet, Select, Static, TextArea

from ...inbox import delivery_rules, draft_file
from ...inbox.changes import Change, Failed
from ...inbox.compose import DELIVERIES, Draft
from ...inbox.draft_life import ComposerTiming, DraftLife, Stage
from ...inbox.quoting import answered, quote
from ...inbox.recipient_rules import answering
from ...inbox.session import InboxSession, Outcome
from ...inbox.text import one_line
from ..external_editor import EditorError, edit_externally, editor_command
from ..keys import COMPOSE_KEYS, bindings, display_key
from ..widgets.attach_field import AttachField
from ..widgets.choice_button import ChoiceButton
from ..widgets.compose_fields import DeliveryChoice, Edited, Said, Suggestions
from ..widgets.recipients_field import RecipientSearch, RecipientsField
from .background_send import Sent
from .compose_parts import context_options, context_widget, keys_text, reply_summary, title_text
from .confirm import ConfirmScreen
from .unsaved import UnsavedScreen

__all__ = ["ComposeScreen", "Suggestions"]  # the suggestions were defined here: tests find them here


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

    def __init__(self, session: InboxSession, draft: Draft, timing: ComposerTiming = ComposerTiming(),
                 account: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.account = account  # the account it goes from, named when there are several
        self.draft = draft
        self.timing = timing
        # The draft's life (inbox/draft_life.py): a reply comes with its subject and people filled
        # in, and closing it unchanged must leave nothing stored, unless the user kept it before.
        self.life = DraftLife(draft, session, lambda delay, callback: self.set_timer(delay, callback).stop,
                              self.say, kept_before=session.load_draft(draft.key) is not None, timing=timing)
        self._discard_shown = False
        self._unsubscribe = None
        self.status_text = ""  # what the status line says, as plain text

    @property
    def is_modal(self) -> bool:
        # A full screen that owns the keyboard: the inbox's single-letter keys (c, r, q, d...)
        # must not act behind the composer when a checkbox or the course field has focus.
        return True

    # -- what is shown for which kind of draft --------------------------------------------------
    @property
    def edits_to(self) -> bool:
        return self.draft.needs_recipients

    @property
    def to_field(self) -> RecipientsField | None:
        return self.query_one(RecipientsField) if self.edits_to else None

    @property
    def attach_field(self) -> AttachField | None:
        return self.query_one(AttachField) if self.draft.allows_attachments else None

    @property
    def found(self) -> dict[str, Any]:
        """The recipients suggested in To, by option id."""
        field = self.to_field
        return field.found if field is not None else {}

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        draft = self.draft
        yield Static(title_text(draft, self.account), id="compose-title")
        with Horizontal(classes="row"):
            yield Static(Text("To"), classes="label")
            if self.edits_to:
                placeholder = "People to add: type a name" if draft.kind == "add_people" else \
                    "Type a name, a course or a group (↓↑ choose, Enter/Tab pick)"
                search = RecipientSearch(self.session.search_recipients, lambda: self.session.courses,
                                         lambda: self.session.current)
                yield RecipientsField(draft, search, delay=self.timing.search_delay, placeholder=placeholder,
                                      classes="field")
            else:
                with Vertical(classes="field"):
                    yield Static(reply_summary(draft, self.session.current, self.session.me_id), id="to-summary")
        if draft.edits_subject:
            with Horizontal(classes="row"):
                yield Static(Text("Course"), classes="label")
                yield Select(context_options(draft, self.session), prompt="No course", allow_blank=True,
                             value=draft.context_code if draft.context_code else Select.NULL,
                             id="course", compact=True)
            with Horizontal(classes="row"):
                yield Static(Text("Subject"), classes="label")
                yield Input(value=draft.subject, placeholder="Subject", id="subject", compact=True)
            chosen = draft.delivery
            with DeliveryChoice(id="delivery", compact=True):
                for choice in DELIVERIES:
                    yield ChoiceButton(delivery_rules.LABELS[choice], choice == chosen, id=f"delivery-{choice}")
            yield Static(Text(delivery_rules.HELP[chosen]), id="delivery-help")
            yield Static(id="compose-where")
        context = context_widget(draft, self.session)
        if context is not None:
            yield context
        if draft.needs_body:
            yield TextArea(draft.body, id="body", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        if draft.allows_attachments:
            with Horizontal(classes="row"):
                yield Static(Text("Attach"), classes="label")
                yield AttachField(draft, classes="field")
        yield Static(id="spacer")
        yield Static(id="compose-status")
        yield Static(self.keys_text(), id="compose-keys")

    def on_mount(self) -> None:
        # The app's status bar is hidden behind this screen: the session's errors are said here.
        self._unsubscribe = self.session.on_change(self.session_changed)
        self.set_class(not self.draft.needs_body, "no-body")
        if self.draft.edits_subject:
            self.query_one("#compose-where").display = False
            self.paint_where()
        self.focus_first()

    def focus_first(self) -> None:
        if self.edits_to and not self.draft.to:
            self.query_one("#to").focus()
        elif self.draft.edits_subject and not self.draft.subject:
            self.query_one("#subject").focus()
        elif self.draft.needs_body:
            self.query_one("#body").focus()
        elif self.edits_to:
            self.query_one("#to").focus()

    def keys_text(self) -> Text:
        self._discard_shown = not self.life.untouched
        can_quote = answering(self.draft, self.session.current) is not None
        return keys_text(self.draft, self.key_of, can_quote=can_quote, can_discard=self._discard_shown)

    def key_of(self, key_id: str) -> str:
        """A composer key in force: the config's [keys] may have moved it."""
        current = getattr(self.app, "current_keys", None)
        keys = current()[key_id] if current else next(k.keys for k in COMPOSE_KEYS if k.id == key_id)
        return display_key(keys.split(",")[0])

    def paint_keys(self) -> None:
        self.query_one("#compose-keys", Static).update(self.keys_text())

    # -- status line ------------------------------------------------------------------------------
    def say(self, message: str, error: bool) -> None:
        (self.show_error if error else self.show_message)(message)

    @on(Said)
    def field_said(self, event: Said) -> None:
        event.stop()
        self.say(event.text, event.error)

    def show_message(self, message: str) -> None:
        self.status_text = one_line(message)
        self.paint_status(Text(one_line(message), no_wrap=True, overflow="ellipsis"))

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

    # -- the fields -------------------------------------------------------------------------------
    @on(Edited)
    def field_edited(self, event: Edited) -> None:
        event.stop()
        self.paint_keys()
        self.paint_where()
        self.changed()

    def paint_where(self) -> None:
        """Where the message will go, when Canvas will put it into a conversation that exists, and
        how a large audience is sent (over 100 people Canvas takes only individual messages)."""
        if not self.draft.edits_subject:
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
        field = self.to_field
        return field is not None and field.suggestions_open

    def close_suggestions(self) -> None:
        field = self.to_field
        if field is not None:
            field.close_suggestions()

    def action_clear_to(self) -> None:
        field = self.to_field
        if field is not None:
            field.clear()

    def action_suggestion(self, delta: int) -> None:
        field = self.to_field
        if field is not None and field.suggestions_open:
            field.move(delta)
        elif delta > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_tab(self) -> None:
        to, attach = self.to_field, self.attach_field
        if to is not None and to.suggestions_open and self.focused is self.query_one("#to") and to.pick_highlighted():
            return
        if attach is not None and self.focused is self.query_one("#attach") and attach.complete_path():
            return
        self.focus_next()

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
        if refused is not None:
            self.choose_delivery(delivery_rules.forced(self.draft) or self.draft.delivery)  # put it back, say why
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

    def action_drop_attachment(self) -> None:
        field = self.attach_field
        if field is not None:
            field.drop_last()

    # -- the external editor ----------------------------------------------------------------------------
    def action_editor(self) -> None:
        if not self.draft.needs_body:
            self.show_message("Adding people has no message to edit.")
            return
        area = self.query_one("#body", TextArea)
        try:
            edited = edit_externally(area.text, editor_command(), self.app.suspend)
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
        conversation = answering(self.draft, self.session.current)
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
        if self._discard_shown == self.life.untouched:
            self.paint_keys()  # discarding became possible, or there is nothing left to discard
        self.life.changed()

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
        if self.life.untouched:  # nothing the user wrote would be lost: no question to ask
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
            if self.to_field is not None:
                self.to_field.errors_heard += 1  # a search that comes back empty need not say why
            self.show_error(change.message)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        # ctrl+q or the app closing: what was typed is still kept, in a file if the store cannot take it.
        self.life.screen_gone()
        if self.life.keeps_text_here and not self.life.save_now():
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
