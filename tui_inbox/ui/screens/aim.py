"""What a key acts on: which account, and which conversation of it.

With several accounts a conversation is known by (account, conversation id): ids of two
schools may be the same. The row under the cursor says whose it is; inside the thread, the open
conversation does. The screen keeps one ``Aim``; the controllers ask it before they act.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from ...inbox.merged_view import RowKey

if TYPE_CHECKING:
    from .main import InboxScreen


class Aim:
    def __init__(self, screen: "InboxScreen") -> None:
        self.screen = screen
        self.accounts = screen.host.accounts
        self.thread_account: str | None = None  # whose conversation the thread shows
        self.discussion_account: str | None = None  # whose discussion (opened from Activity) the thread shows

    @property
    def several(self) -> bool:
        """More than one account: rows carry their account's tag, lines name the account."""
        return len(self.accounts) > 1

    def focus_account(self) -> str:
        """The account a key acts on: the one of the conversation an action applies to (``target_key``),
        else of the open conversation, else the first."""
        names = self.accounts.names
        if len(names) == 1:
            return names[0]
        if self.screen.panel == "activity":
            return self.activity_account()
        try:
            key = self.target_key()
        except NoMatches:  # the screen's widgets are gone (the app has ended)
            key = None
        if key is not None:
            return key[0]
        return self.thread_account or names[0]

    def activity_account(self) -> str:
        """In Activity: the account of the discussion the thread shows, from inside the thread; else
        the item's under the cursor; else the open discussion's, else the first."""
        try:
            item = self.screen.activity_list.current_account
            in_thread = self.screen.host.focused is self.screen.thread
        except NoMatches:  # the screen's widgets are gone (the app has ended)
            item, in_thread = None, False
        if in_thread and self.discussion_account is not None:
            return self.discussion_account
        return item or self.discussion_account or self.accounts.names[0]

    def open_discussion(self) -> tuple[str, object] | None:
        """The discussion the thread shows (activity.py ``OpenDiscussion``), with its account."""
        account = self.discussion_account or (None if self.several else self.accounts.names[0])
        if account is None or account not in self.accounts.members:
            return None
        current = self.accounts.session(account).activity.current
        return (account, current) if current is not None else None

    def target(self) -> int | None:
        """The conversation an action applies to (its id at its own account, ``target_key``)."""
        key = self.target_key()
        return key[1] if key is not None else None

    def target_key(self) -> RowKey | None:
        """The conversation an action applies to: the open one from inside the thread, else the row
        under the cursor; as (account, conversation id)."""
        row = self.screen.list.current_key
        opened = self.opened_key()
        if self.screen.host.focused is self.screen.thread and opened is not None:
            return opened
        return row or opened

    def opened_key(self) -> RowKey | None:
        """The conversation the thread shows, with its account."""
        if self.thread_account is None or self.thread_account not in self.accounts.members:
            return None
        current = self.accounts.session(self.thread_account).current
        return (self.thread_account, current.id) if current is not None else None

    def open_conversation(self, key: RowKey):
        """Open this conversation in its account's session: the coroutine, for run_action_worker.
        The thread shows one conversation: one open at another account is closed there first."""
        account, conversation_id = key
        if self.thread_account not in (None, account) and self.thread_account in self.accounts.members:
            self.accounts.session(self.thread_account).close_thread()
        self.thread_account = account
        return self.accounts.session(account).open(conversation_id)

    def at(self, account: str, line: str) -> str:
        """A line about one account: with several, it says which ("State U: Sent …")."""
        return f"{account}: {line}" if self.several else line

    def shown_accounts(self) -> list[str]:
        """The accounts whose rows the list shows (one, when narrowed to it)."""
        narrowed = self.screen.host.merged.account
        return [narrowed] if narrowed is not None else self.accounts.names

    @property
    def filter_account(self) -> str | None:
        """The account whose course filters the list (a course belongs to one account), if any."""
        for name in self.shown_accounts():
            if self.accounts.session(name).filter_code is not None:
                return name
        return None

