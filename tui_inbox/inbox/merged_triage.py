"""Acting on rows of several accounts at once: the selection by key, split per account.

A selection holds keys, ``(account, conversation id)`` (merged_view.py): the same id at two
schools is two conversations. An action splits the keys per account and hands each part to
that account's own triage (triage.py: its batch update, its refusals, its Outbox, its undo), all
parts at once; one account refusing, or not answering, never stops another's part. The outcome
is one line for all of them ("Archived 3 conversations (2 at State U, 1 at City College)"), with
each account that did not go cleanly named and its own line after it. ``undo`` puts back each
account's part through that account's triage, again all at once.

How the UI uses it: one ``MergedTriage`` beside the merged list; keys go in with ``toggle``,
``select`` and ``clear`` (``MergedSelectionChanged`` says when the marks repaint), and the action
keys call ``act(toggle, targets(cursor_key))``, ``undo()`` and ``repeat(cursor_key)``, showing the
line they return (as an error when ``last_failed``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Iterable

from .changes import MergedSelectionChanged
from .triage import ACTIONS, TOGGLES, plural

if TYPE_CHECKING:
    from .accounts import Accounts
    from .merged_view import RowKey


class MergedTriage:
    def __init__(self, accounts: "Accounts") -> None:
        self.accounts = accounts
        self.selected: dict["RowKey", None] = {}  # an ordered set of keys
        self.last_accounts: list[str] = []  # the accounts the last action reached, for undo
        self.last_toggle: str | None = None
        self.last_verb: str | None = None
        self.last_failed = False

    # -- selecting -----------------------------------------------------------------------------
    def is_selected(self, key: "RowKey") -> bool:
        return key in self.selected

    @property
    def count(self) -> int:
        return len(self.selected)

    def toggle(self, key: "RowKey") -> None:
        if key in self.selected:
            del self.selected[key]
        else:
            self.selected[key] = None
        self.accounts.emit(MergedSelectionChanged())

    def select(self, keys: Iterable["RowKey"], *, replace: bool = False) -> None:
        if replace:
            self.selected = {}
        for key in keys:
            self.selected[key] = None
        self.accounts.emit(MergedSelectionChanged())

    def clear(self) -> None:
        if self.selected:
            self.selected = {}
            self.accounts.emit(MergedSelectionChanged())

    def targets(self, cursor: "RowKey | None") -> list["RowKey"]:
        if self.selected:
            return list(self.selected)
        return [cursor] if cursor is not None else []

    def split(self, keys: Iterable["RowKey"]) -> dict[str, list[int]]:
        """The keys as each account's conversation ids, in the accounts' order."""
        parts: dict[str, list[int]] = {name: [] for name in self.accounts.names}
        for name, conversation_id in keys:
            if name not in parts:
                raise KeyError(f"no account named {name!r}")
            parts[name].append(conversation_id)
        return {name: ids for name, ids in parts.items() if ids}

    # -- acting --------------------------------------------------------------------------------
    def choose_verb(self, toggle: str, parts: dict[str, list[int]]) -> str:
        """Which way a toggle goes for the whole set: each account's rule (triage.py) on its part;
        where the accounts disagree, some rows are not yet in the toggle's state, so it goes on
        (archive, star, mute, read), as it does for a mixed set in one account."""
        verbs = {self.accounts.session(name).triage.choose_verb(toggle, ids) for name, ids in parts.items()}
        if len(verbs) == 1:
            return verbs.pop()
        return TOGGLES[toggle][0] if toggle in TOGGLES else toggle

    async def act(self, toggle: str, keys: list["RowKey"], *, verb: str | None = None, on_progress=None) -> str:
        """Apply an action to these rows, each account's part through its own triage, all at once;
        returns the one outcome line. Never raises for one account's failure. ``on_progress`` hears
        the largest part's batch (a bar that followed two would jump between them)."""
        parts = self.split(keys)
        if not parts:
            return "Nothing to act on."
        verb = verb or self.choose_verb(toggle, parts)
        _, past = ACTIONS[verb]
        largest = max(parts, key=lambda name: len(parts[name]))
        if len(self.accounts) == 1:
            return await self._only(largest, lambda triage: triage.act(toggle, parts[largest], verb=verb,
                                                                       on_progress=on_progress), toggle, verb)

        async def one(name: str, ids: list[int]) -> str:
            progress = on_progress if name == largest else None
            return await self.accounts.session(name).triage.act(toggle, ids, verb=verb, on_progress=progress)

        answers = await asyncio.gather(*(one(name, ids) for name, ids in parts.items()), return_exceptions=True)
        clean, troubled, failed = {}, {}, set()
        for (name, ids), answer in zip(parts.items(), answers):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer  # cancelled: not a failure to report
                troubled[name] = f"failed: {answer}"
                failed.add(name)
            elif self.accounts.session(name).triage.last_failed:
                troubled[name] = answer
                failed.add(name)
            elif answer == f"{past} {plural(len(ids))}":
                clean[name] = len(ids)
            else:
                troubled[name] = answer  # done another way (held in its Outbox, some left alone): its own words
        self.last_accounts, self.last_toggle, self.last_verb = list(parts), toggle, verb
        # What went is no longer selected; an account's part that failed stays, to try again.
        left = {key: None for key in self.selected if key[0] in failed}
        if left != self.selected:
            self.selected = left
            self.accounts.emit(MergedSelectionChanged())
        self.last_failed = bool(failed)
        return summary(past, clean, troubled)

    async def _only(self, name: str, run, toggle: str | None, verb: str | None) -> str:
        """One account: its triage's own line, word for word (nothing to say about accounts)."""
        triage = self.accounts.session(name).triage
        line = await run(triage)
        self.last_failed = triage.last_failed
        if toggle is not None:
            self.last_accounts, self.last_toggle, self.last_verb = [name], toggle, verb
            if self.selected and not self.last_failed:
                self.selected = {}
                self.accounts.emit(MergedSelectionChanged())
        return line

    @property
    def last(self):
        """The newest action ``undo`` would put back, of any account (None: nothing to undo)."""
        done = [self.accounts.session(name).triage.last for name in self.last_accounts]
        return next((d for d in done if d is not None), None)

    async def undo(self, on_progress=None) -> str:
        """Put back the last action's rows, each account's through its own triage, all at once."""
        names = [name for name in self.last_accounts if self.accounts.session(name).triage.last is not None]
        if len(self.accounts) == 1:
            only = self.accounts.names[0]
            return await self._only(only, lambda triage: triage.undo(on_progress=on_progress), None, None)
        if not names:
            self.last_failed = False
            return "Nothing to undo."
        counts = {name: len(self.accounts.session(name).triage.last.ids) for name in names}
        answers = await asyncio.gather(*(self.accounts.session(name).triage.undo() for name in names),
                                       return_exceptions=True)
        clean, troubled = {}, {}
        for name, answer in zip(names, answers):
            triage = self.accounts.session(name).triage
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                troubled[name] = f"failed: {answer}"
            elif not triage.last_failed and answer == f"Undone: {plural(counts[name])} back as they were":
                clean[name] = counts[name]
            else:
                troubled[name] = answer
        # An account whose undo is not finished keeps it, so ``u`` tries again there only.
        self.last_accounts = [name for name in names if self.accounts.session(name).triage.last is not None]
        self.last_failed = bool(troubled)
        head = f"Undone: {plural(sum(clean.values()))} back as they were" if clean else ""
        return join(head + where(clean) if clean else "", troubled)

    async def repeat(self, cursor: "RowKey | None", on_progress=None) -> str:
        """The last action's verb again, on the selection or the row under the cursor."""
        if self.last_toggle is None or self.last_verb is None:
            self.last_failed = False
            return "No action to repeat yet."
        return await self.act(self.last_toggle, self.targets(cursor), verb=self.last_verb, on_progress=on_progress)

    # -- more ways to select, and what the confirmations show ------------------------------------------
    def select_range(self, base: dict["RowKey", None], keys: list["RowKey"], outside: set["RowKey"] = frozenset()) -> None:
        """A visual range: what was selected before, plus ``keys`` (the rows from the anchor to the
        cursor), but for ``outside`` (rows that arrived while the range was being made)."""
        selected = dict(base)
        for key in keys:
            if key not in outside:
                selected[key] = None
        if selected != self.selected:
            self.selected = selected
            self.accounts.emit(MergedSelectionChanged())

    async def select_all(self, accounts: list[str]) -> int:
        """Everything in the current view of these accounts: all of it, not only the loaded rows
        (each account asks its Canvas for every id, as one account does)."""
        async def ids_of(name: str) -> list["RowKey"]:
            triage = self.accounts.session(name).triage
            await triage.select_all()
            keys = [(name, conversation_id) for conversation_id in triage.selected]
            triage.clear()  # the selection lives here, by key
            return keys

        parts = await asyncio.gather(*(ids_of(name) for name in accounts))
        self.select((key for part in parts for key in part), replace=True)
        return self.count

    def preview(self, keys: list["RowKey"], limit: int = 5) -> list[str]:
        """The first few subjects, for a confirmation (with their account, when there are several)."""
        lines = []
        for name, conversation_id in keys[:limit]:
            subject = self.accounts.session(name).triage.preview([conversation_id])[0]
            lines.append(f"{subject} · {name}" if len(self.accounts) > 1 else subject)
        return lines

    async def mark_all_read(self, accounts: list[str]) -> str:
        """Canvas's mark-all-read at each of these accounts, all at once; undo puts each back."""
        if len(self.accounts) == 1:
            return await self._only(accounts[0], lambda triage: triage.mark_all_read(), "read", "read")
        answers = await asyncio.gather(*(self.accounts.session(name).triage.mark_all_read() for name in accounts),
                                       return_exceptions=True)
        lines, failed = [], False
        for name, answer in zip(accounts, answers):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                answer = f"failed: {answer}"
                failed = True
            failed = failed or self.accounts.session(name).triage.last_failed
            lines.append(f"{name}: {answer}")
        self.last_accounts, self.last_toggle, self.last_verb = list(accounts), "read", "read"
        self.last_failed = failed
        return "; ".join(lines)


def where(counts: dict[str, int]) -> str:
    """How many at each account: " at State U", or " (2 at State U, 1 at City College)"."""
    if len(counts) == 1:
        return f" at {next(iter(counts))}"
    return " (" + ", ".join(f"{count:,} at {name}" for name, count in counts.items()) + ")"


def join(head: str, troubled: dict[str, str]) -> str:
    lines = [head] if head else []
    lines += [f"{name}: {line}" for name, line in troubled.items()]
    return "; ".join(lines)


def summary(past: str, clean: dict[str, int], troubled: dict[str, str]) -> str:
    head = f"{past} {plural(sum(clean.values()))}{where(clean)}" if clean else ""
    return join(head, troubled)
