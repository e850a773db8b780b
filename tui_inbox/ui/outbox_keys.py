"""The app's side of the Outbox: its mailbox, the undo-send countdown, ``u`` and quitting.

Kept apart from app.py: a mixin of ``InboxApp`` that reads the session's Outbox
(inbox/outbox.py) and paints what it says; it never calls HTTP itself.
"""

from __future__ import annotations

import time

from ..inbox.compose import Draft
from ..inbox.outbox import describe
from ..inbox.text import one_line
from .widgets.outbox_list import OutboxList


class OutboxKeys:
    """Mixed into InboxApp (which provides session, status, list, run_worker...)."""

    _triage_at = 0.0  # monotonic time of the last triage action: ``u`` undoes the newer of it and a send
    _counting = False
    _quitting = False

    @property
    def outbox(self):
        return self.session.outbox

    def start_outbox_clock(self) -> None:
        self.set_interval(0.25, self.tick_send)

    def tick_send(self) -> None:
        """The undo-send countdown on the status bar ("Sending in 4 s (u undoes)")."""
        outbox = self.outbox
        left = outbox.seconds_left() if outbox is not None else None
        if left is not None:
            self._counting = True
            line = f"Sending in {left} s (u undoes)"
            # Counting down only the line that says it: another line since (an outcome) stays.
            if self.status.message.startswith("Sending in ") and self.status.message != line:
                self.status.message = line  # not a new log line each second: the first was logged
        elif self._counting:
            self._counting = False

    def paint_outbox(self) -> None:
        self.paint_rail()
        box = self.outbox_list
        if box.display and self.outbox is not None:
            box.show_items(self.outbox.items())

    def show_outbox(self, shown: bool) -> None:
        box = self.outbox_list
        box.display = shown
        if shown:
            self.list.display = False
            self.paint_outbox()
            box.focus()
        elif not self.activity_list.display:
            self.list.display = True

    # -- undo: the newer of a send waiting out its delay and the last triage action ----------------------
    def action_undo(self) -> None:
        outbox = self.outbox
        waiting = outbox.delayed() if outbox is not None else None
        if waiting is not None and (self.session.triage.last is None or outbox.last_delayed_at > self._triage_at):
            draft = outbox.undo_send()
            if draft is not None:
                self._counting = False
                self.status.show_message("Not sent: the message is back in the composer.")
                self.open_composer(draft)
                return
        self._triage_at = time.monotonic()
        self.run_triage("undoing", self.session.triage.undo(on_progress=self.progress_reporter()))

    def triage_started(self) -> None:
        self._triage_at = time.monotonic()

    # -- the Outbox mailbox -------------------------------------------------------------------------
    # Handlers by name, not @on: Textual collects @on handlers from a class's own body only, not a mixin's.
    def on_outbox_list_opened(self, event: OutboxList.Opened) -> None:
        item = event.item
        if not item.is_message:
            self.status.show_message(f"{describe(item, self.subject_of)}: waits for Canvas; d drops it.")
            return
        taken = self.outbox.take(item.position, to_drafts=True)
        if taken is None:
            self.status.show_message("That message is on its way already: its outcome follows here.")
            return
        self.open_composer(Draft.from_dict(taken.payload))

    def on_outbox_list_drop(self, event: OutboxList.Drop) -> None:
        from .screens.confirm import ConfirmScreen

        item = event.item
        lines = [describe(item, self.subject_of)]
        if item.is_message:
            lines.append("The message is deleted, not sent, and cannot be brought back.")
        else:
            lines.append("Canvas is not asked; the rows show it done until the list is read again.")

        def answered(yes: bool | None) -> None:
            if yes:
                gone = self.outbox.take(item.position)
                self.status.show_message("Dropped from the Outbox." if gone is not None
                                         else "Too late: it is on its way already.")

        self.push_screen(ConfirmScreen("Drop from the Outbox?", lines, confirm="Drop"), answered)

    def subject_of(self, conversation_id: int) -> str | None:
        row = self.session.row(conversation_id)
        return one_line(row.subject) if row is not None and row.subject else None

    # -- quitting during the undo delay sends first --------------------------------------------------
    async def action_quit(self) -> None:
        outbox = self.outbox
        waiting = [i for i in outbox.items() if i.is_message and i.state == "waiting"] if outbox is not None else []
        if not waiting or outbox.offline or self._quitting:
            self.exit()
            return
        self._quitting = True
        self.status.show_message(f"Sending {len(waiting)} waiting message{'s' if len(waiting) > 1 else ''} "
                                 "before quitting…")
        self.status.running = "sending"

        async def send_then_exit() -> None:
            try:
                await outbox.flush(everything=True)
            finally:
                self.exit()

        self.run_worker(send_then_exit(), group="quit")
