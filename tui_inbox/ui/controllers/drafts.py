"""The Drafts mailbox's keys: Enter reopens a draft in the composer, d discards one (after
asking). It reads the drafts through inbox/drafts_box.py; it never calls HTTP itself."""

from __future__ import annotations

from ...inbox import drafts_box
from ...inbox.session import Outcome
from .base import Controller


class DraftsMailbox(Controller):
    def reopen(self, entry) -> None:
        async def reopen() -> Outcome | None:
            draft, line = await drafts_box.reopen(self.session, entry)
            if line:
                (self.status.show_message if draft is not None else self.status.show_error)(line)
            if draft is not None:
                self.screen.writing.open_composer(draft)
            self.screen.paint_drafts()
            return None

        self.screen.run_action_worker("opening", reopen())

    def discard(self, entry) -> None:
        from ..screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                drafts_box.discard(self.session, entry)
            except Exception as error:  # the store failed (a full disk): the draft is still there
                self.status.show_error(f"Could not discard the draft: {error}")
                return
            self.status.show_message("Draft discarded.")
            self.screen.paint_drafts()

        lines = [f"{entry.draft.title} to {entry.who}: {entry.first_line}",
                 "What you wrote is deleted and cannot be brought back."]
        self.host.push_screen(ConfirmScreen("Discard this draft?", lines, confirm="Discard"), answered)
