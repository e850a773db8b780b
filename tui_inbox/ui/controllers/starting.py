"""Starting the accounts: each at once, what each start says on the status bar, and starting
again an account that could not be reached at first, until it answers.

One account's trouble is its own (inbox/accounts.py): the others open, follow their feeds and
index as usual, and its line in the rail says how it is. An account offline or throttled at the
start is tried again after a pause that grows (``RESTART_SECONDS``), and once it answers it is
followed and indexed like the others.
"""

from __future__ import annotations

from ...inbox.accounts import AccountState
from ...inbox.formatting import display_name
from .base import Controller

RESTART_SECONDS = (5.0, 10.0, 30.0, 60.0, 120.0, 300.0)  # then every five minutes


class Starting(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.restart_seconds: tuple[float, ...] = RESTART_SECONDS  # a test makes them short

    async def start(self) -> None:
        """Start every account at once; then follow and index each that started."""
        status = self.status
        accounts = self.host.accounts
        await accounts.start()
        status.running = ""
        for member in accounts:
            session = member.session
            if member.state is AccountState.READY:
                self.say_signed_in(member)
            elif member.detail:
                status.show_error(self.screen.aim.at(member.name, member.detail))
            for line in session.keeper.notices if session.keeper is not None else ():
                status.show_message(line)  # the cache was set aside and is rebuilt: said once
            for line in session.drafts.notices if session.drafts is not None else ():
                status.show_error(line)  # the drafts file was set aside: said once, with its new name
        for member in accounts:
            if member.session.keeper is not None:
                await member.session.keeper.first_frame()
        for member in accounts:
            # An account refused at the start (a token Canvas refuses, a server that is not Canvas)
            # has nothing to follow or index: its line above says why and what to do.
            if member.state is AccountState.READY:
                self.follow(member.name)
            elif member.state in (AccountState.OFFLINE, AccountState.THROTTLED) and len(accounts) > 1:
                self.start_again(member.name)

    def say_signed_in(self, member) -> None:
        me = member.session.me
        who = display_name(me.short_name, me.name) if me else "?"
        self.status.show_message(f"Signed in as {who}" + (f" at {member.name}" if self.screen.aim.several else ""))

    def follow(self, account: str) -> None:
        self.screen.feed.follow(account)
        self.screen.search.run_indexer(account)

    def start_again(self, account: str, attempt: int = 0) -> None:
        """Try the account's start again after a pause (each longer), until it answers or is refused.
        A timer between the tries, not a worker that waits: nothing seems to be running meanwhile."""
        pause = self.restart_seconds[min(attempt, len(self.restart_seconds) - 1)]
        self.host.set_timer(pause, lambda: self.host.run_worker(self.try_start(account, attempt),
                                                                group=f"restart {account}"))

    async def try_start(self, account: str, attempt: int) -> None:
        accounts = self.host.accounts
        state = await accounts.restart(account)
        if state is AccountState.READY:
            self.say_signed_in(accounts[account])
            self.screen.paint_list()
            self.follow(account)
        elif state in (AccountState.OFFLINE, AccountState.THROTTLED):
            self.start_again(account, attempt + 1)
        else:
            self.status.show_error(self.screen.aim.at(account, accounts[account].detail or state.value))
