"""The app's side of the Drafts mailbox: its list, Enter to reopen a draft, ``d`` to discard one.

Kept apart from app.py, as the Outbox's side is (outbox_keys.py): a mixin of ``InboxApp`` that
reads the drafts through inbox/drafts_box.py and paints them; it never calls HTTP itself.
"""

from __future__ import annotations

from ..inbox import drafts_box
from ..inbox.session import Outcome
from .widgets.drafts_list import DraftsList


class DraftsKeys:
    """Mixed into InboxApp (which provides session, status, list, open_composer, run_action_worker...)."""

    def paint_drafts(self) -> None:
        self.paint_rail()
        box = self.drafts_list
        if box.display:
            box.show_entries(drafts_box.kept(self.session))

    def show_drafts(self, shown: bool) -> None:
        box = self.drafts_list
        box.display = shown
        if shown:
            self.list.display = False
            self.paint_drafts()
            box.focus()

    # Handlers by name, not @on: Textual collects @on handlers from a class's own body only, not a mixin's.
    def on_drafts_list_opened(self, event: DraftsList.Opened) -> None:
        entry = event.entry

        async def reopen() -> Outcome | None:
            draft, line = await drafts_box.reopen(self.session, entry)
            if line:
                (self.status.show_message if draft is not None else self.status.show_error)(line)
            if draft is not None:
                self.open_composer(draft)
            self.paint_drafts()
            return None

        self.run_action_worker("opening", reopen())

    def on_drafts_list_discard(self, event: DraftsList.Discard) -> None:
        from .screens.confirm import ConfirmScreen

        entry = event.entry

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                drafts_box.discard(self.session, entry)
            except Exception as error:  # the store failed (a full disk): the draft is still there
                self.status.show_error(f"Could not discard the draft: {error}")
                return
            self.status.show_message("Draft discarded.")
            self.paint_drafts()

        lines = [f"{entry.draft.title} to {entry.who}: {entry.first_line}",
                 "What you wrote is deleted and cannot be brought back."]
        self.push_screen(ConfirmScreen("Discard this draft?", lines, confirm="Discard"), answered)
