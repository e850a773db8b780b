"""Triage keys: star, archive, read, mute, delete, select (one, a range, all, by pattern), repeat, undo.

Each acts on the selection, or the conversation under the cursor, through the session's triage
(inbox/triage.py), with the progress bar while it runs and its outcome on the status bar.
"""

from __future__ import annotations

import time

from ...inbox.merged_triage import MergedTriage
from ...inbox.merged_view import RowKey
from ...inbox.session import Outcome
from ...inbox.text import one_line
from .base import Controller


class Triage(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.last_at = 0.0  # monotonic time of the last triage action: ``u`` undoes the newer of it and a send
        self.visual_anchor: RowKey | None = None  # the conversation the V range started on
        self.visual_base: dict[RowKey, None] = {}  # the selection before the range
        self.visual_outside: set[RowKey] = set()  # rows that arrived during the range: never in it

    @property
    def triage(self) -> MergedTriage:
        """The selection and the actions, by (account, conversation id), each account's part through its own triage."""
        return self.host.merged_triage

    def run(self, label: str, coro) -> None:
        """Run a triage action with the progress bar, ending with its outcome line."""
        bar = self.screen.progress_bar("bulk")
        self.last_at = time.monotonic()  # u undoes the newer of this and a send waiting out its delay

        async def triaged() -> Outcome:
            try:
                line = await coro
            finally:
                bar.finish()
            return Outcome(not self.triage.last_failed, line)

        self.screen.run_action_worker(label, triaged())

    def progress_reporter(self):
        bar = self.screen.progress_bar("bulk")
        return lambda progress: self.host.call_later(bar.show_progress, progress)

    def targets(self) -> list[RowKey]:
        return self.triage.targets(self.screen.aim.target_key())

    def act(self, toggle: str, label: str) -> None:
        mailbox = self.session.mailbox.id
        if mailbox == "activity":
            self.status.show_message("Activity holds discussions: Enter opens one, r replies.")
            return
        if mailbox == "outbox":
            self.status.show_message("The Outbox holds what waits for Canvas: Enter edits a message, d drops an item.")
            return
        if mailbox == "drafts":
            self.status.show_message("Drafts holds what you wrote and did not send: Enter reopens one, d discards it.")
            return
        ids = self.targets()
        if not ids:
            self.status.show_message("Nothing to act on: move to a conversation or select some (x).")
            return
        self.stop_visual()
        self.run(label, self.triage.act(toggle, ids, on_progress=self.progress_reporter()))

    def delete(self) -> None:
        ids = self.targets()
        if not ids:
            return
        from ...inbox.triage import plural
        from ..screens.confirm import ConfirmScreen

        triage = self.triage
        lines = [f"• {subject}" for subject in triage.preview(ids)]
        if len(ids) > len(lines):
            lines.append(f"…and {len(ids) - len(lines):,} more")
        lines.append("Delete cannot be undone: Canvas removes them from your view.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_visual()
                self.run("deleting", triage.act("delete", ids, on_progress=self.progress_reporter()))

        self.host.push_screen(ConfirmScreen(f"Delete {plural(len(ids))}?", lines, confirm="Delete"), answered)

    def delete_message(self) -> None:
        """``d`` in the thread pane: the message under the message cursor, for me, after asking."""
        thread = self.screen.thread
        conversation = thread.conversation
        message = thread.cursor_message
        if conversation is None or message is None:
            self.status.show_message("No message under the cursor: open a conversation (Enter), then J/K.")
            return
        from ...inbox.formatting import full_date
        from ...inbox.replying import is_last_message
        from ...inbox.thread import author_names
        from ..screens.confirm import ConfirmScreen
        from ..widgets.thread_text import first_line

        author = "" if message.generated else author_names(conversation).get(message.author_id or -1, "")
        author = author or (f"user {message.author_id}" if message.author_id and not message.generated else "Canvas")
        lines = [f"{author}, {full_date(message.created_at)}:", f"  {first_line(message)}", ""]
        if not is_last_message(conversation, message.id):
            lines.append("Canvas removes it from your view only; the others still have it. It cannot be undone.")
        else:
            lines.append("It is the last message: the conversation goes from your inbox too, as in Canvas. "
                         "It cannot be undone.")
        cid, mid = conversation.id, message.id
        account = self.screen.aim.thread_account or self.host.accounts.names[0]

        def answered(yes: bool | None) -> None:
            if yes:
                session = self.host.accounts.session(account)
                self.screen.run_action_worker("deleting the message", session.remove_message(cid, mid))

        self.host.push_screen(ConfirmScreen(f"Delete this message from “{one_line(conversation.subject) or '(no subject)'}”?",
                                            lines, confirm="Delete message"), answered)

    def mark_all_read(self) -> None:
        from ...inbox.triage import plural
        from ..screens.confirm import ConfirmScreen

        accounts = self.screen.aim.shown_accounts()
        unread: list[RowKey] = []
        count = 0
        for name in accounts:
            session = self.host.accounts.session(name)
            mine = [(name, c.id) for c in session.view.all() if c.workflow_state == "unread"]
            unread += mine
            count += session.unread_count if session.unread_count is not None else len(mine)
        lines = [f"• {subject}" for subject in self.triage.preview(unread)]
        if count > len(lines):
            where = "in every mailbox and course" + (f" of {', '.join(accounts)}" if self.screen.aim.several else "")
            lines.append(f"…and {count - len(lines):,} more, {where}")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run("marking all read", self.triage.mark_all_read(accounts))

        self.host.push_screen(ConfirmScreen(f"Mark {plural(count)} read?", lines, confirm="Mark read"), answered)

    def repeat(self) -> None:
        self.stop_visual()
        self.run("repeating", self.triage.repeat(self.screen.aim.target_key(), on_progress=self.progress_reporter()))

    def undo(self) -> None:
        self.last_at = time.monotonic()
        self.run("undoing", self.triage.undo(on_progress=self.progress_reporter()))

    # -- selecting ------------------------------------------------------------------------------
    def select(self) -> None:
        key = self.screen.list.current_key
        if key is not None:
            self.triage.toggle(key)
            self.screen.list.move(1)

    def select_all(self) -> None:
        async def select() -> str:
            count = await self.triage.select_all(self.screen.aim.shown_accounts())
            return f"Selected all {count:,} in {self.session.view.mailbox.label}"

        self.stop_visual()
        self.run("selecting", select())

    def visual(self) -> None:
        if self.visual_anchor is not None:
            self.stop_visual()
            return
        key = self.screen.list.current_key
        if key is None:
            return
        self.visual_anchor = key
        self.visual_base = dict(self.triage.selected)
        self.visual_outside = set()
        self.extend_visual()
        self.status.show_message("Visual range: j/k extend, V ends, Esc cancels", topic="visual")

    def extend_visual(self) -> None:
        """The range runs from the row V started on to the cursor, by conversation, so rows that
        arrive above it move it rather than stretch it; rows that arrived meanwhile stay out."""
        if self.visual_anchor is None:
            return
        lst = self.screen.list
        anchor = self.host.merged.position(self.visual_anchor)
        if anchor is None:  # the row the range started on has gone (archived elsewhere, deleted)
            self.stop_visual()
            return
        low, high = sorted((anchor, lst.cursor))
        self.triage.select_range(self.visual_base, [lst.key(i) for i in range(low, min(high + 1, len(lst.rows)))],
                                 outside=self.visual_outside)

    def stop_visual(self) -> None:
        self.visual_anchor = None
        self.visual_outside = set()
        self.status.withdraw("visual")  # its "j/k extend" no longer holds

    def cancel_visual(self) -> None:
        """Esc in a range: the selection as it was before V."""
        self.stop_visual()
        self.triage.select(self.visual_base, replace=True)

    def rows_arrived(self, keys: frozenset[RowKey]) -> None:
        if self.visual_anchor is not None:
            self.visual_outside |= keys
