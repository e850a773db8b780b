"""Acting on many conversations at once: the selection, bulk actions, undo and repeat.

An action applies to the selection, or to the row under the cursor when nothing is
selected. The rows change at once; Canvas is asked (one update for a single row, batch
updates of 500 for more, several at a time); rows whose change Canvas refused come back
as they were, and the outcome is one line with Canvas's reasons. Every reversible action
remembers each conversation's state before it, so ``u`` puts back exactly those.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .changes import SelectionChanged, ThreadUpdated
from ..canvas import CanvasClient, CanvasError
from ..canvas.bulk import BulkProgress
from ..canvas.models import Conversation
from .text import one_line
# The requests themselves, and the names the Outbox and the merged triage import from here.
from .triage_requests import (  # noqa: F401
    ACTIONS, MUTE_VERBS, TOGGLES, Before, send_change, subscribe, undo_groups, undo_verb, unmuted_states, update_one,
)

if TYPE_CHECKING:
    from .loaded_views import LoadedViews
    from .open_conversation import OpenConversation
    from .outbox import Outbox
    from .ports import Loading, Reports, ThreadPane

PRIVATE_REFUSED = "Canvas does not mute private (one-to-one) conversations: only group conversations can be muted"


@dataclass
class Done:
    """A finished action, remembered for ``u`` (undo) and ``.`` (repeat).

    ``ids`` is every conversation the action sent to Canvas, whether Canvas said it worked or
    not (a refusal may have landed all the same: an answer lost after the change was made), and
    ``before`` holds each one's earlier state, so an undo sends every one of them back. ``rows``
    are copies of the rows as they were, to put back on screen in views that no longer hold them.
    """

    toggle: str  # archive, star, read, mute, delete
    verb: str
    ids: list[int]
    before: dict[int, Before] = field(default_factory=dict)
    rows: dict[int, Conversation] = field(default_factory=dict)
    queued: int | None = None  # its Outbox position, while it waits there for Canvas (offline)

    @property
    def reversible(self) -> bool:
        return self.verb != "delete" or self.queued is not None


@dataclass
class Progress:
    done: int
    total: int
    started: float

    @property
    def eta_seconds(self) -> float | None:
        if self.done <= 0 or self.done >= self.total:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / self.done * (self.total - self.done)


def plural(count: int) -> str:
    return f"{count:,} conversation" + ("" if count == 1 else "s")


class Triage:
    def __init__(self, client: CanvasClient, rows: "LoadedViews", opened: "OpenConversation", report: "Reports", *,
                 thread: "ThreadPane", loading: "Loading", outbox: "Outbox | None") -> None:
        self.client = client
        self.rows = rows  # the loaded views, changed at once and put back if Canvas refuses
        self.opened = opened
        self.report = report
        self.thread = thread
        self.loading = loading  # the unread count (and a view) read again after an action
        self.outbox = outbox  # where an action waits while Canvas cannot be reached
        self.selected: dict[int, None] = {}  # ordered set of conversation ids
        self.last: Done | None = None
        self.progress: Progress | None = None
        self.last_failed = False  # whether the last outcome reported failures (the UI shows it as an error)
        self.unreachable = False  # whether the last send met no answer at all (Canvas unreachable)

    # -- selecting -----------------------------------------------------------------------
    def is_selected(self, conversation_id: int) -> bool:
        return conversation_id in self.selected

    @property
    def count(self) -> int:
        return len(self.selected)

    def toggle(self, conversation_id: int) -> None:
        if conversation_id in self.selected:
            del self.selected[conversation_id]
        else:
            self.selected[conversation_id] = None
        self.report.emit(SelectionChanged())

    def select(self, ids, *, replace: bool = False) -> None:
        if replace:
            self.selected = {}
        for cid in ids:
            self.selected[cid] = None
        self.report.emit(SelectionChanged())

    def clear(self) -> None:
        if self.selected:
            self.selected = {}
            self.report.emit(SelectionChanged())

    def select_range(self, base: dict[int, None], rows: list[Conversation], anchor: int, cursor: int,
                     outside: set[int] = frozenset()) -> None:
        """A visual range: what was selected before, plus the rows between anchor and cursor
        (but for ``outside``: rows that arrived while the range was being made)."""
        low, high = sorted((anchor, cursor))
        selected = dict(base)
        for row in rows[low : high + 1]:
            if row.id not in outside:
                selected[row.id] = None
        if selected != self.selected:
            self.selected = selected
            self.report.emit(SelectionChanged())

    async def select_all(self) -> int:
        """Everything in the current view: all of it, not only the loaded rows."""
        view = self.rows.view
        if view.query:
            self.select((c.id for c in view.rows), replace=True)
        else:
            filters = [view.filter_code] if view.filter_code else None
            ids = await self.client.conversation_ids(view.mailbox.scope, filters)
            self.select(ids, replace=True)
        return self.count

    def targets(self, cursor_id: int | None) -> list[int]:
        if self.selected:
            return list(self.selected)
        return [cursor_id] if cursor_id is not None else []

    # -- acting ------------------------------------------------------------------------------
    def choose_verb(self, toggle: str, ids: list[int]) -> str:
        """Which way a toggle goes for a set: unarchive only if all are archived, and so on."""
        rows = [r for r in (self.rows.row(i) for i in ids) if r is not None]
        if toggle == "delete":
            return "delete"
        on, off = TOGGLES[toggle]
        if toggle == "archive":
            return off if rows and all(r.workflow_state == "archived" for r in rows) else on
        if toggle == "star":
            return off if rows and all(r.starred for r in rows) else on
        if toggle == "mute":
            return off if rows and all(not r.subscribed for r in rows) else on
        return on if any(r.workflow_state == "unread" for r in rows) else off

    async def act(self, toggle: str, ids: list[int], *, verb: str | None = None,
                  on_progress: Callable[[Progress], None] | None = None, remember: bool = True) -> str:
        """Apply an action; returns the outcome line. Never raises for a refusal."""
        rows = self.rows
        if not ids:
            return "Nothing to act on."
        verb = verb or self.choose_verb(toggle, ids)
        _, past = ACTIONS[verb]
        private: list[int] = []
        if verb in MUTE_VERBS:
            # Canvas ignores ``subscribed`` on private conversations: they are left out, unsent.
            private = [cid for cid in ids if (row := rows.row(cid)) is not None and row.private]
            ids = [cid for cid in ids if cid not in private]
            if not ids:
                self.last_failed = True
                return PRIVATE_REFUSED + "; nothing was sent."
        try:
            before, was = await self.remember(ids)
        except CanvasError as error:  # nothing was sent: the states to undo to are unknown
            self.last_failed = True
            return f"Nothing changed: {error}"
        if verb in ("archive", "unarchive", "delete"):
            rows.release(ids)  # the user sends it away on purpose: it leaves now
        self._apply_locally(verb, ids)
        self.thread.close_thread_if_gone()
        outbox = self.outbox if verb not in MUTE_VERBS else None
        if outbox is not None and outbox.backlog():
            return self._queue(outbox, toggle, verb, ids, before, was, remember)  # behind what waits
        self.unreachable = False
        failed = await self._send(verb, ids, on_progress)
        if outbox is not None and failed and self.unreachable:
            # No answer at all: the change waits in the Outbox, and the rows stay as the user made them.
            outbox.unreachable()
            return self._queue(outbox, toggle, verb, ids, before, was, remember)
        if failed:
            rows.place(was[cid] for cid in failed if cid in was)  # shown as they were
        succeeded = [cid for cid in ids if cid not in failed]
        if remember and verb != "delete":
            self.last = Done(toggle, verb, list(ids), before, was)
        elif remember:
            self.last = Done(toggle, verb, succeeded)
        current = self.opened.conversation
        if verb == "delete" and current is not None and current.id in succeeded:
            self.thread.close_thread()
        current = self.opened.conversation
        if verb in MUTE_VERBS and current is not None and current.id in ids:
            self.report.emit(ThreadUpdated(current))  # the header says whether it is muted
        self.selected = {cid: None for cid in self.selected if cid in failed}
        self.report.emit(SelectionChanged())
        await self.loading.refresh_unread()  # so that the badge never lies
        self.last_failed = bool(failed)
        line = outcome_line(past, len(succeeded), failed)
        if private:
            line += f"; {plural(len(private))} left alone: {PRIVATE_REFUSED[0].lower()}{PRIVATE_REFUSED[1:]}"
        return line

    def _queue(self, outbox, toggle: str, verb: str, ids: list[int], before: dict[int, Before],
               rows: dict[int, Conversation], remember: bool) -> str:
        item, line = outbox.hold_action(verb, ids)
        if remember:
            self.last = Done(toggle, verb, list(ids), before, rows, queued=item.position)
        current = self.opened.conversation
        if verb == "delete" and current is not None and current.id in ids:
            self.thread.close_thread()
        self.selected = {}
        self.report.emit(SelectionChanged())
        self.last_failed = False
        return line

    async def remember(self, ids: list[int]) -> tuple[dict[int, Before], dict[int, Conversation]]:
        """Each conversation's state before an action: from its row when one is loaded, from
        Canvas's id lists (unread, archived, starred: three requests) for the others."""
        before: dict[int, Before] = {}
        rows: dict[int, Conversation] = {}
        for cid in ids:
            row = self.rows.row(cid)
            if row is not None:
                rows[cid] = row
                before[cid] = Before(row.workflow_state, row.starred, row.subscribed)
        unknown = [cid for cid in ids if cid not in before]
        if unknown:
            client = self.client
            unread, archived, starred = (set(found) for found in await asyncio.gather(
                client.conversation_ids("unread"), client.conversation_ids("archived"),
                client.conversation_ids("starred")))
            for cid in unknown:
                state = "archived" if cid in archived else "unread" if cid in unread else "read"
                before[cid] = Before(state, cid in starred)
        return before, rows

    async def _send(self, verb: str, ids: list[int],
                    on_progress: Callable[[Progress], None] | None = None) -> dict[int, str]:
        """Ask Canvas; returns the ids it did not apply, with its reasons."""
        self.progress = Progress(0, len(ids), time.monotonic())

        def report(p: BulkProgress) -> None:
            self.progress = Progress(p.done, p.total, self.progress.started if self.progress else time.monotonic())
            if on_progress:
                on_progress(self.progress)

        sent = await send_change(self.client, verb, ids, report)
        self.unreachable = sent.unreachable
        self.progress = None
        return sent.failed

    def _apply_locally(self, verb: str, ids: list[int]) -> None:
        if verb == "delete":
            self.rows.remove_everywhere(ids)
            return
        if verb == "mute":
            # Canvas marks a conversation read when it is unsubscribed from (ConversationParticipant).
            unread = [cid for cid in ids if (row := self.rows.row(cid)) is not None and row.unread]
            self.rows.update_many(ids, subscribed=False)
            if unread:
                self.rows.update_many(unread, workflow_state="read")
            return
        changes = {
            "archive": {"workflow_state": "archived"},
            "unarchive": {"workflow_state": "read"},
            "read": {"workflow_state": "read"},
            "unread": {"workflow_state": "unread"},
            "star": {"starred": True},
            "unstar": {"starred": False},
            "unmute": {"subscribed": True},
        }[verb]
        self.rows.update_many(ids, **changes)

    async def undo(self, on_progress=None) -> str:
        """Put back every conversation the last reversible action sent to Canvas, on the server
        and on screen. What Canvas would not put back stays to undo, so ``u`` tries again."""
        self.last_failed = False
        done = self.last
        if done is None:
            return "Nothing to undo."
        if not done.reversible:
            return "Delete cannot be undone."
        outbox = self.outbox
        if done.queued is not None and outbox is not None and await outbox.drop_action(done.queued):
            return self._unqueue(done)  # it never reached Canvas: only the rows go back
        if done.verb == "delete":
            return "Delete cannot be undone."  # it left the Outbox: Canvas has deleted it
        failed: dict[int, str] = {}
        for verb, ids in undo_groups(done.toggle, {cid: done.before[cid] for cid in done.ids}).items():
            if done.toggle == "mute":
                # Subscribed again, and unread again if the mute had marked it read: one PUT each.
                failed.update(await subscribe(self.client, ids, verb == "unmute", unmuted_states(done.before, ids)))
            else:
                failed.update(await self._send(verb, ids, on_progress))
        restored = []
        for cid in done.ids:
            row = self.rows.row(cid) or done.rows.get(cid)
            if row is not None and cid not in failed:
                was = done.before[cid]
                if done.toggle == "star":
                    restored.append(dataclasses.replace(row, starred=was.starred))
                elif done.toggle == "mute":
                    restored.append(dataclasses.replace(row, subscribed=was.subscribed, workflow_state=was.workflow_state))
                else:
                    restored.append(dataclasses.replace(row, workflow_state=was.workflow_state))
        self.rows.place(restored)
        current = self.opened.conversation
        back = next((row for row in restored if current is not None and row.id == current.id), None)
        if done.toggle == "mute" and back is not None:
            self.opened.conversation = dataclasses.replace(current, subscribed=back.subscribed,
                                                           workflow_state=back.workflow_state)
            self.report.emit(ThreadUpdated(self.opened.conversation))  # the header stops saying muted
        if any(cid not in done.rows for cid in done.ids) and self.rows.view.loaded:
            # Conversations that were not loaded when the action ran: the view is read again to show them.
            await self.loading.load(force=True)
        await self.loading.refresh_unread()
        put_back = len(done.ids) - len(failed)
        line = f"Undone: {plural(put_back)} back as they were"
        if failed:
            self.last = Done(done.toggle, done.verb, [c for c in done.ids if c in failed], done.before, done.rows)
            self.last_failed = True
            return line + f"; {len(failed):,} not yet: {next(iter(failed.values()))}. Press u to try again."
        self.last = None
        return line

    def _unqueue(self, done: Done) -> str:
        """Put the rows of an action that waited in the Outbox back as they were: no request."""
        restored = []
        for cid in done.ids:
            row = self.rows.row(cid) or done.rows.get(cid)
            if row is not None:
                was = done.before[cid]
                restored.append(dataclasses.replace(row, starred=was.starred, workflow_state=was.workflow_state))
        self.rows.place(restored)
        self.last = None
        return f"Undone: {plural(len(done.ids))} back as they were (taken out of the Outbox, nothing was sent)"

    undo_verb = staticmethod(undo_verb)

    async def repeat(self, cursor_id: int | None, on_progress=None) -> str:
        self.last_failed = False
        if self.last is None:
            return "No action to repeat yet."
        # The same verb, not the toggle: repeating "archive" archives, whatever the new rows' state.
        return await self.act(self.last.toggle, self.targets(cursor_id), verb=self.last.verb, on_progress=on_progress)

    async def mark_all_read(self) -> str:
        """Canvas's mark-all-read, remembered for undo: the unread ids are read first (one request).

        It is remembered before it is sent: a failed answer may come after Canvas marked them all,
        so ``u`` must be able to put them back whatever the answer said."""
        self.last_failed = False
        try:
            unread = await self.client.conversation_ids("unread")
        except CanvasError as error:
            self.report.fail(error)
            self.last_failed = True
            return f"Nothing marked: {error}"
        rows = {cid: row for cid in unread if (row := self.rows.row(cid)) is not None}
        self.last = Done("read", "read", unread, {cid: Before("unread", rows[cid].starred if cid in rows else False)
                                                  for cid in unread}, rows)
        try:
            await self.client.mark_all_as_read()
        except CanvasError as error:
            self.last_failed = True
            try:
                await self.loading.refresh()  # what Canvas has now, whichever way it went
            except CanvasError:
                pass  # the line below already says Canvas is in trouble
            return f"{error} Some may have been marked read: u puts them back unread."
        self.rows.update_many(unread, workflow_state="read")
        await self.loading.refresh_unread()
        return f"Marked everything read ({plural(len(unread))}); u puts them back unread"

    def preview(self, ids: list[int], limit: int = 5) -> list[str]:
        """The first few subjects, for a confirmation."""
        subjects = []
        for cid in ids[:limit]:
            row = self.rows.row(cid)
            subjects.append(one_line(row.subject) if row is not None and row.subject else "(no subject)")
        return subjects


def outcome_line(past: str, succeeded: int, failed: dict[int, str]) -> str:
    line = f"{past} {plural(succeeded)}"
    if failed:
        reasons: dict[str, list[int]] = {}
        for cid, reason in failed.items():
            reasons.setdefault(reason, []).append(cid)
        detail = "; ".join(f"{reason} ({', '.join(str(i) for i in ids[:5])}{'…' if len(ids) > 5 else ''})"
                           for reason, ids in reasons.items())
        line += f"; {len(failed):,} failed: {detail}"
    return line
