"""Attach, in the composer: a path typed (Tab completes it, as a shell does), and the files attached.

What a path attaches, and what is said, is the core's (inbox/attaching.py); file names are shown
as ``Text``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from ...inbox import attaching
from ...inbox.compose import Draft
from ..path_completion import PathSuggester, complete
from .compose_fields import BackspaceOnEmpty, Edited, ListInput, Said


class AttachField(Vertical):
    def __init__(self, draft: Draft, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.draft = draft
        self._listed: str | None = None  # the text whose completions were last listed

    def compose(self) -> ComposeResult:
        yield ListInput(placeholder="Path to a file (Tab completes), then Enter", id="attach",
                        compact=True, suggester=PathSuggester())
        yield Static(id="attached")

    def on_mount(self) -> None:
        self.paint()

    def paint(self) -> None:
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

    @on(Input.Submitted, "#attach")
    def attach_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        done = attaching.attach(self.draft, event.value)
        if done is None:
            return
        self.post_message(Said(done.said, done.error))
        if done.error:
            return
        if done.added:
            self.post_message(Edited())
        event.input.value = ""
        self.paint()

    def drop_last(self) -> None:
        said = attaching.drop_last(self.draft)
        if said is None:
            return
        self.paint()
        self.post_message(Edited())
        self.post_message(Said(said))

    @on(BackspaceOnEmpty)
    def backspace_on_empty(self, event: BackspaceOnEmpty) -> None:
        event.stop()
        self.drop_last()

    def complete_path(self) -> bool:
        """Tab: complete the path typed. True while there was something to complete or to
        choose from (Tab stays in the field); a second Tab on the same choices moves on."""
        field = self.query_one("#attach", Input)
        completion = complete(field.value)
        if not completion.offered:
            return False
        if completion.text != field.value:
            field.value = completion.text
            field.cursor_position = len(field.value)
            if len(completion.names) == 1:
                self.post_message(Said("Enter attaches it." if not completion.text.endswith("/") else
                                       "A folder: type on, Tab completes."))
                self._listed = None
                return True
        elif len(completion.names) == 1 or self._listed == field.value:
            return False  # complete already, or the choices were shown: Tab moves on
        shown = ", ".join(completion.names[:8]) + ("…" if len(completion.names) > 8 else "")
        self.post_message(Said(f"{len(completion.names)} match: {shown}"))
        self._listed = field.value
        return True
