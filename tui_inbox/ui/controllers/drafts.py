"""The Drafts mailbox's keys: Enter reopens a draft in the composer, d discards one (after
asking). It reads the drafts through inbox/drafts_box.py; it never calls HTTP itself."""

from __future__ import annotations

import heapq

from ...inbox import drafts_box
from ...inbox.session import Outcome
from .base import Controller


class DraftsMailbox(Controller):
    def shown_entries(self) -> list:
        """The drafts of every account the list shows, as (account, draft), newest first across them."""
        accounts = self.host.accounts
        kept = ([(name, entry) for entry in drafts_box.kept(accounts.session(name))]
                for name in self.screen.aim.shown_accounts())
        return list(heapq.merge(*kept, key=lambda tagged: -tagged[1].saved_at))

    def reopen(self, account: str, entry) -> None:
        """Enter: the draft opens in the composer of the account it was written in."""
        session = self.host.accounts.session(account)

        async def reopen() -> Outcome | None:
            draft, line = await drafts_box.reopen(session, entry)
            if line:
                (self.status.show_message if draft is not None else self.status.show_error)(self.screen.aim.at(account, line))
            if draft is not None:
                self.screen.writing.open_composer(draft, account)
            self.screen.paint_drafts()
            return None

        self.screen.run_action_worker("opening", reopen())

    def discard(self, account: str, entry) -> None:
        """d: the draft leaves its own account's store, once the user says yes."""
        from ..screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                drafts_box.discard(self.host.accounts.session(account), entry)
            except Exception as error:  # the store failed (a full disk): the draft is still there
                self.status.show_error(f"Could not discard the draft: {error}")
                return
            self.status.show_message("Draft discarded.")
            self.screen.paint_drafts()

        lines = [self.screen.aim.at(account, f"{entry.draft.title} to {entry.who}: {entry.first_line}"),
                 "What you wrote is deleted and cannot be brought back."]
        self.host.push_screen(ConfirmScreen("Discard this draft?", lines, confirm="Discard"), answered)
