"""The Outbox's keys: its mailbox (Enter edits a waiting message, d drops an item), the undo-send
countdown, ``u`` (the newer of a send waiting out its delay and the last triage action), and
quitting, which sends what waits first. It reads the session's Outbox (inbox/outbox.py) and
paints what it says; it never calls HTTP itself."""

from __future__ import annotations

import asyncio
import heapq

from ...inbox.compose import Draft
from ...inbox.outbox import describe
from ...inbox.text import one_line
from .base import Controller


class OutboxMailbox(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self._counting = False
        self._quitting = False

    def outboxes(self) -> list:
        """Every account's Outbox (an account without a store has none)."""
        return [m.session.outbox for m in self.host.accounts if m.session.outbox is not None]

    def start_clock(self) -> None:
        self.host.set_interval(0.25, self.tick)

    def tick(self) -> None:
        """The undo-send countdown on the status bar ("Sending in 4 s (u undoes)")."""
        lefts = [left for outbox in self.outboxes() if (left := outbox.seconds_left()) is not None]
        left = min(lefts) if lefts else None
        if left is not None:
            self._counting = True
            line = f"Sending in {left} s (u undoes)"
            # Counting down only the line that says it: another line since (an outcome) stays.
            if self.status.message.startswith("Sending in ") and self.status.message != line:
                self.status.message = line  # not a new log line each second: the first was logged
        elif self._counting:
            self._counting = False

    def undo(self) -> None:
        """``u``: the newer of a send waiting out its delay (at any account) and the last triage action."""
        triage = self.screen.triage
        waiting = [box for box in self.outboxes() if box.delayed() is not None]
        outbox = max(waiting, key=lambda box: box.last_delayed_at) if waiting else None
        if outbox is not None and (triage.triage.last is None or outbox.last_delayed_at > triage.last_at):
            draft = outbox.undo_send()
            if draft is not None:
                self._counting = False
                self.status.show_message("Not sent: the message is back in the composer.")
                self.screen.writing.open_composer(draft)
                return
        triage.undo()

    # -- the Outbox mailbox -------------------------------------------------------------------------
    def shown_items(self) -> list | None:
        """The items of every account the list shows, as (account, item), oldest first across them:
        each account's in its own order (the order its Outbox carries them out in). None when no
        account shown keeps an Outbox (a session without a store)."""
        accounts = self.host.accounts
        boxes = [(name, box) for name in self.screen.aim.shown_accounts()
                 if (box := accounts.session(name).outbox) is not None]
        if not boxes:
            return None
        return list(heapq.merge(*([(name, item) for item in box.items()] for name, box in boxes),
                                key=lambda tagged: tagged[1].created_at))

    def open_item(self, account: str, item) -> None:
        """Enter: a message goes back to the composer of its own account; an action says it waits."""
        if not item.is_message:
            self.status.show_message(self.screen.aim.at(
                account, f"{describe(item, lambda cid: self.subject_of(account, cid))}: waits for Canvas; d drops it."))
            return
        taken = self.host.accounts.session(account).outbox.take(item.position, to_drafts=True)
        if taken is None:
            self.status.show_message("That message is on its way already: its outcome follows here.")
            return
        self.screen.writing.open_composer(Draft.from_dict(taken.payload), account)

    def drop_item(self, account: str, item) -> None:
        """d: the item leaves its own account's Outbox, once the user says yes."""
        from ..screens.confirm import ConfirmScreen

        lines = [self.screen.aim.at(account, describe(item, lambda cid: self.subject_of(account, cid)))]
        if item.is_message:
            lines.append("The message is deleted, not sent, and cannot be brought back.")
        else:
            lines.append("Canvas is not asked; the rows show it done until the list is read again.")

        def answered(yes: bool | None) -> None:
            if yes:
                gone = self.host.accounts.session(account).outbox.take(item.position)
                self.status.show_message("Dropped from the Outbox." if gone is not None
                                         else "Too late: it is on its way already.")

        self.host.push_screen(ConfirmScreen("Drop from the Outbox?", lines, confirm="Drop"), answered)

    def subject_of(self, account: str, conversation_id: int) -> str | None:
        row = self.host.accounts.session(account).row(conversation_id)
        return one_line(row.subject) if row is not None and row.subject else None

    # -- quitting during the undo delay sends first --------------------------------------------------
    def quit(self) -> None:
        outboxes = [box for box in self.outboxes() if not box.offline]
        waiting = [i for box in outboxes for i in box.items() if i.is_message and i.state == "waiting"]
        if not waiting or self._quitting:
            self.host.exit()
            return
        self._quitting = True
        self.status.show_message(f"Sending {len(waiting)} waiting message{'s' if len(waiting) > 1 else ''} "
                                 "before quitting…")
        self.status.running = "sending"

        async def send_then_exit() -> None:
            try:
                await asyncio.gather(*(box.flush(everything=True) for box in outboxes), return_exceptions=True)
            finally:
                self.host.exit()

        self.host.run_worker(send_then_exit(), group="quit")
