"""Several Canvas accounts, one session each, in the order the config names them.

"Several accounts are several sessions" (ARCHITECTURE.md): each account is an ``InboxSession``
the caller built with its own client, store and outbox; this module only holds them side by
side, starts them together and says how each is doing. It never shares anything between them.

How the UI uses it: build ``Accounts([(name, session), ...])`` (each an ``InboxSession``; this
module knows it only through the port ``AccountInbox``, ports.py), listen with ``on_change`` (each
session's changes come tagged with their account, changes.py ``AccountChange``, beside
``AccountStateChanged`` for the rail), and ``await start()`` in a worker. Each start is its own
task: an account that is offline, refused or slow never holds up the others, and its failure
is that account's state (``state_of``), not an exception. ``switch`` shows one mailbox in every
account; merged_view.py merges their rows and merged_triage.py acts on them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from ..canvas import CanvasError
from ..canvas.errors import AuthError, NetworkError, ThrottledError
from .changes import AccountChange, AccountStateChanged, CameOnline, Change, Failed, MergedChange, WentOffline
from .channel import Listeners

if TYPE_CHECKING:
    from .ports import AccountInbox

log = logging.getLogger("tui_inbox.inbox")
MergedListener = Callable[[MergedChange], None]


class AccountState(Enum):
    """How an account is doing, in the words the rail shows."""

    STARTING = "starting"
    READY = "ready"
    OFFLINE = "offline"
    THROTTLED = "throttled"
    SIGNED_OUT = "sign in again"
    FAILED = "failed"


@dataclass
class Member:
    """One account: its name (the row's tag), its session, and how it is doing."""

    name: str
    session: "AccountInbox"
    state: AccountState = AccountState.STARTING
    detail: str | None = None  # why it is not ready, in one line


def state_after(error: Exception) -> AccountState:
    """What a failed start (or load) says about the account."""
    if isinstance(error, NetworkError):
        return AccountState.OFFLINE
    if isinstance(error, AuthError):
        return AccountState.SIGNED_OUT
    if isinstance(error, ThrottledError):
        return AccountState.THROTTLED
    return AccountState.FAILED


class Accounts:
    def __init__(self, sessions: Iterable[tuple[str, "AccountInbox"]]) -> None:
        self.members: dict[str, Member] = {}
        for name, session in sessions:
            if not name or name in self.members:
                raise ValueError(f"each account needs a name of its own: {name!r}")
            self.members[name] = Member(name, session)
        if not self.members:
            raise ValueError("at least one account")
        self._listeners: Listeners[MergedChange] = Listeners("an accounts")
        self._tasks: dict[str, asyncio.Task] = {}
        for member in self.members.values():
            member.session.on_change(self._forward(member))

    # -- reading -------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members.values())

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, name: str) -> Member:
        return self.members[name]

    def session(self, name: str) -> "AccountInbox":
        return self.members[name].session

    def state_of(self, name: str) -> AccountState:
        return self.members[name].state

    @property
    def unread_count(self) -> int | None:
        """Every account's unread count together (None while none is known)."""
        counts = [m.session.unread_count for m in self if m.session.unread_count is not None]
        return sum(counts) if counts else None

    # -- listening -----------------------------------------------------------------------------
    def on_change(self, listener: MergedListener) -> Callable[[], None]:
        return self._listeners.on_change(listener)

    def emit(self, change: MergedChange) -> None:
        self._listeners.emit(change)  # a broken listener (the UI) does not stop an account's session

    def _forward(self, member: Member) -> Callable[[Change], None]:
        def heard(change: Change) -> None:
            # The local cache says when Canvas stops (or starts again) answering an account.
            if isinstance(change, WentOffline):
                self.set_state(member.name, AccountState.OFFLINE)
            elif isinstance(change, CameOnline):
                self.set_state(member.name, AccountState.READY)
            elif isinstance(change, Failed) and change.signed_out:
                self.set_state(member.name, AccountState.SIGNED_OUT, change.message)
            self.emit(AccountChange(member.name, change))

        return heard

    def set_state(self, name: str, state: AccountState, detail: str | None = None) -> None:
        member = self.members[name]
        if (member.state, member.detail) == (state, detail):
            return
        member.state, member.detail = state, detail
        self.emit(AccountStateChanged(name, state, detail))

    # -- starting --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every account at once; returns when each has started or failed (never raises for
        one account's failure: it is that account's state)."""
        for name in self.members:
            if name not in self._tasks:
                self._tasks[name] = asyncio.create_task(self._start_one(self.members[name]),
                                                        name=f"start account {name}")
        await asyncio.gather(*self._tasks.values())

    async def _start_one(self, member: Member) -> None:
        try:
            await member.session.start()
        except Exception as error:
            self._failed(member, error)
        else:
            if member.state is AccountState.STARTING:
                self.set_state(member.name, AccountState.READY)

    async def restart(self, name: str) -> AccountState:
        """Start an account again whose start failed (offline, throttled): its state says how it
        went. One already starting, or started, is left as it is."""
        member = self.members[name]
        task = self._tasks.get(name)
        if task is not None and not task.done():
            await asyncio.shield(task)
            return member.state
        if member.state in (AccountState.READY, AccountState.STARTING):
            return member.state
        self.set_state(name, AccountState.STARTING)
        self._tasks[name] = asyncio.create_task(self._start_one(member), name=f"start account {name} again")
        await self._tasks[name]
        return member.state

    def _failed(self, member: Member, error: Exception) -> None:
        if not isinstance(error, CanvasError):
            log.exception("account %s failed", member.name, exc_info=error)
        self.set_state(member.name, state_after(error), str(error))

    # -- mailboxes ---------------------------------------------------------------------------------
    async def switch(self, mailbox_id: str, filter_code: str | None = None, *, account: str | None = None) -> None:
        """Show this mailbox in every account (a course filter belongs to one ``account``; the
        others show the mailbox whole). Each account loads on its own: one that fails says so in
        its state and the others' rows are there all the same."""

        async def one(member: Member) -> None:
            try:
                await member.session.switch(mailbox_id, filter_code if member.name == account else None)
            except Exception as error:
                self._failed(member, error)

        await asyncio.gather(*(one(m) for m in self))

    # -- ending ----------------------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Stop what still starts, then close every session (each on its own: one failing to close
        does not keep the others' stores open)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        results = await asyncio.gather(*(m.session.aclose() for m in self), return_exceptions=True)
        for member, result in zip(self, results):
            if isinstance(result, Exception):
                log.warning("account %s did not close cleanly: %s", member.name, result)
