"""One mailbox of every account, as one list: newest first, each row with its account.

Conversation ids are per Canvas: two schools both have a conversation 42, and they are two
conversations. So a row here is known by its key, ``(account, conversation id)``, never by the
id alone: selecting, finding and acting all go by the key.

Each account's view (view.py) already holds its rows in Canvas's order, so merging them is a
merge of sorted runs, not a sort: the sort keys of one account's rows are worked out once and
kept while that account's rows stay the same list (a view makes a new list whenever its rows
change), and the merge itself is Python's sort over the joined runs, which finds the runs and
merges them in linear time. A change in one account costs that account's keys and one merge.
Rows with the same date keep the order of the accounts.

How the UI uses it: one ``MergedView`` for the list on screen; after a burst of changes
(``AccountChange`` with a ``ViewChanged`` inside), call ``refresh()`` and repaint when it says
the rows changed; ``len(view)``, ``view[i]`` and ``view[a:b]`` give the rows to paint (a
``MergedRow``: account and conversation), ``position(key)`` where a row stands. ``narrow(name)``
shows one account only, and ``narrow(None)`` all of them again.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import chain
from typing import NamedTuple, Sequence, overload

from ..canvas.models import Conversation
from .accounts import Accounts, AccountState
from .mailboxes import Mailbox
from .view import EPOCH, ConversationView

RowKey = tuple[str, int]  # (account, conversation id): a conversation's identity across accounts


class MergedRow(NamedTuple):
    account: str
    conversation: Conversation

    @property
    def key(self) -> RowKey:
        return (self.account, self.conversation.id)


def newest_first(mailbox: Mailbox, rows: list[Conversation]) -> list[float]:
    """The rows' sort keys across accounts: the date each view sorts by (view.py ``sort_key``), as
    one number. The id that breaks a tie inside one account is left out: the rows of a run are
    in that order already, and the merge is stable, so it keeps it (and ids mean nothing across
    accounts). A float compares several times faster than view.py's tuple."""
    if mailbox.id == "sent":
        return [-(row.last_authored_message_at or EPOCH).timestamp() for row in rows]
    return [-(row.last_message_at or EPOCH).timestamp() for row in rows]


class _Run:
    """One account's rows as last merged, with their sort keys (kept while the rows are the same list)."""

    __slots__ = ("name", "view", "rows", "_keys")

    def __init__(self, name: str, view: ConversationView) -> None:
        self.name = name
        self.view = view
        self.rows = view.rows
        self._keys: list[float] | None = None

    @property
    def keys(self) -> list[float]:
        """Worked out at the first merge that needs them: one account alone is never merged, and
        its 100,000 rows' dates are not read on every change of its view."""
        if self._keys is None:
            self._keys = newest_first(self.view.mailbox, self.rows)
        return self._keys

    def same(self, view: ConversationView) -> bool:
        return view is self.view and view.rows is self.rows


def locate(runs: list[_Run], offsets: list[int], joined: int) -> tuple[_Run, int]:
    """Which run a place among the joined rows is in, and the place in that run."""
    if len(runs) == 1:
        return runs[0], joined
    index = bisect_right(offsets, joined) - 1
    return runs[index], joined - offsets[index]


class MergedView:
    def __init__(self, accounts: Accounts, account: str | None = None) -> None:
        self.accounts = accounts
        self.account = account  # the one account shown, or None for all of them
        self._runs: list[_Run] = []
        self._offsets: list[int] = [0]  # where each run starts among the joined rows
        self._order: list[int] | range = []  # the joined rows' indices, newest first
        self._where: list[int] | None = None  # the inverse of _order, made when first asked
        self.refresh()

    # -- what to show ----------------------------------------------------------------------------
    def narrow(self, account: str | None) -> None:
        """One account's rows only (``None``: every account's)."""
        if account is not None and account not in self.accounts.members:
            raise KeyError(account)
        self.account = account
        self.refresh()

    def refresh(self) -> bool:
        """Merge again if any account's rows changed since the last merge; whether they did."""
        names = [self.account] if self.account is not None else self.accounts.names
        views = [(name, self.accounts.session(name).view) for name in names]
        previous = {run.name: run for run in self._runs}
        if len(views) == len(self._runs) and all(
                (run := previous.get(name)) is not None and run.same(view) for name, view in views):
            return False
        runs = []
        for name, view in views:
            run = previous.get(name)
            runs.append(run if run is not None and run.same(view) else _Run(name, view))
        self._merge(runs)
        return True

    def _merge(self, runs: list[_Run]) -> None:
        if len(runs) == 1:
            # One account (the usual case): its rows are already in order, nothing to merge.
            self._runs, self._offsets, self._where = runs, [0, len(runs[0].rows)], None
            self._order = range(len(runs[0].rows))
            return
        keys = list(chain.from_iterable(run.keys for run in runs))
        # The joined keys are a few sorted runs: the sort finds them and merges them (stable: on the
        # same date a run keeps its own order, and the first account's row comes first).
        self._order = sorted(range(len(keys)), key=keys.__getitem__)
        offsets = [0]
        for run in runs:
            offsets.append(offsets[-1] + len(run.rows))
        self._runs, self._offsets, self._where = runs, offsets, None

    # -- reading -----------------------------------------------------------------------------------
    @property
    def mailbox(self) -> Mailbox | None:
        return self._runs[0].view.mailbox if self._runs else None

    @property
    def loaded(self) -> bool:
        """Whether every shown account's view has its rows (a failed account counts: it has none to give)."""
        return all(run.view.loaded or self.accounts.state_of(run.name) not in (AccountState.STARTING, AccountState.READY)
                   for run in self._runs)

    def __len__(self) -> int:
        return len(self._order)

    def _row_at(self, joined: int) -> MergedRow:
        run, local = locate(self._runs, self._offsets, joined)
        return MergedRow(run.name, run.rows[local])

    @property
    def rows(self) -> "MergedRows":
        """The conversations in the merged order, as of this merge (what the list widget shows)."""
        return MergedRows(self)

    @overload
    def __getitem__(self, index: int) -> MergedRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[MergedRow]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row_at(joined) for joined in self._order[index]]
        return self._row_at(self._order[index])

    def position(self, key: RowKey) -> int | None:
        """Where the row with this key stands in the merged list (None: not shown)."""
        name, conversation_id = key
        for index, run in enumerate(self._runs):
            if run.name == name:
                local = run.view.position(conversation_id)
                if local is None or not run.same(run.view):
                    return None  # not shown, or its account changed since the last merge (refresh first)
                if isinstance(self._order, range):
                    return self._offsets[index] + local
                if self._where is None:
                    where = [0] * len(self._order)
                    for place, joined in enumerate(self._order):
                        where[joined] = place
                    self._where = where
                return self._where[self._offsets[index] + local]
        return None

    def find(self, key: RowKey) -> Conversation | None:
        """The row with this key: from its own account's rows only."""
        name, conversation_id = key
        member = self.accounts.members.get(name)
        return member.session.row(conversation_id) if member is not None else None


class MergedRows(Sequence[Conversation]):
    """The merged list's conversations by place, as of one merge, each with its account and key on request.

    No copy of the rows (100,000 rows are not walked to show forty), and it does not change when
    the view merges again: the list widget keeps the rows it painted until it is handed new ones,
    so the row under its cursor is known after a merge too."""

    __slots__ = ("_runs", "_offsets", "_order", "_view", "_whole")

    def __init__(self, view: MergedView, order: list[int] | range | None = None) -> None:
        self._runs, self._offsets, self._view = view._runs, view._offsets, view
        self._order = view._order if order is None else order
        self._whole = order is None  # a slice of the merge is not where the view's positions point

    def __len__(self) -> int:
        return len(self._order)

    def _place(self, index: int) -> tuple[_Run, int]:
        return locate(self._runs, self._offsets, self._order[index])

    @overload
    def __getitem__(self, index: int) -> Conversation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Conversation]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            part = MergedRows(self._view, self._order[index])
            part._runs, part._offsets = self._runs, self._offsets
            return part
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        run, local = self._place(index)
        return run.rows[local]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, MergedRows)):
            return len(self) == len(other) and all(a is b or a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by its rows, like the list it stands for

    def account(self, index: int) -> str:
        return self._place(index)[0].name

    def key(self, index: int) -> RowKey:
        run, local = self._place(index)
        return (run.name, run.rows[local].id)

    def index_of(self, key: RowKey) -> int | None:
        """Where this row stands among these rows (None: not among them)."""
        if self._whole and self._view._runs is self._runs:
            return self._view.position(key)
        if not self._whole:
            return next((i for i in range(len(self)) if self.key(i) == key), None)
        return None  # merged again since: the caller hands over the new rows first
