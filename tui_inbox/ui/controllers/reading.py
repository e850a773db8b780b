"""Reading keys: choosing a mailbox, moving between conversations (n, p, N) or Activity items,
the thread's order, attachments and media, and opening a conversation in Canvas's web pages."""

from __future__ import annotations

import asyncio
from typing import Any

from ...inbox.text import one_line
from .base import Controller

PANEL_OF = {"activity": "activity", "outbox": "outbox", "drafts": "drafts"}  # else the conversation list


class Reading(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.chosen_account: str | None = None  # the account the user narrowed the list to (None: all)
    def switch_to(self, mailbox: str, filter_code: Any = ...) -> None:
        """Show ``mailbox`` in every account. ``filter_code``: ``...`` keeps each account's course filter,
        None shows every course, and (account, context code) one account's course (the list then
        shows that account only, since the course is there alone)."""
        screen = self.screen
        screen.search.clear()
        accounts, merged = self.host.accounts, self.host.merged
        if filter_code is ... or filter_code is None:
            if filter_code is None:
                merged.narrow(self.chosen_account)  # the course chose the account, not the user
            parts = [member.session.switch(mailbox, filter_code) for member in accounts]
        else:
            account, code = filter_code
            merged.narrow(account)
            parts = [member.session.switch(mailbox, code if member.name == account else None) for member in accounts]
        screen.run_action_worker("loading", self.all_of(parts))
        screen.paint_title()
        screen.list.cursor = 0
        screen.panel = PANEL_OF.get(mailbox, "list")

    def narrow_to_account(self, account: str | None) -> None:
        """Show one account's rows only (None: every account's). A course filter of another account
        is let go: it would show nothing there."""
        if len(self.host.accounts) < 2:
            self.status.show_message("There is one account: add another with `tui-inbox init --url URL --name NAME`.")
            return
        self.chosen_account = account
        filtered = self.screen.aim.filter_account
        if filtered is not None and account not in (None, filtered):
            self.switch_to(self.session.mailbox.id, None)
        self.host.merged.narrow(account)
        self.screen.list.cursor = 0
        self.screen.paint_list()
        if self.screen.panel == "activity":
            self.host.merged_activity.look(self.screen.aim.shown_accounts())  # an account shown now is looked at
        self.screen.paint_activity()  # Activity, the Outbox and Drafts show the same accounts as the list
        self.screen.paint_outbox()
        self.screen.paint_drafts()
        self.status.show_message(f"Showing {account} only" if account else "Showing every account")

    def next_account(self) -> None:
        """The account key: all accounts, then each in turn, then all again."""
        names = self.host.accounts.names
        current = self.host.merged.account
        following = names[0] if current is None else (names[names.index(current) + 1] if current != names[-1] else None)
        self.narrow_to_account(following)

    async def all_of(self, parts: list) -> None:
        """Every account's part at once (``parts`` in the accounts' order). With one account its
        failure is the action's (the status bar says it); with several, each failure is said with
        its account's name and the others' parts go on."""
        if len(parts) == 1:
            await parts[0]
            return
        results = await asyncio.gather(*parts, return_exceptions=True)
        for name, result in zip(self.host.accounts.names, results):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.status.show_error(self.screen.aim.at(name, str(result)))

    def refresh(self) -> None:
        self.screen.run_action_worker("refreshing", self.all_of([m.session.refresh() for m in self.host.accounts]))

    def thread_order(self) -> None:
        order = "newest" if self.session.thread_order == "oldest" else "oldest"
        for member in self.host.accounts:
            member.session.thread_order = order
        self.screen.paint_thread()
        self.status.show_message(f"Thread: {order} first")

    # -- moving between conversations from inside a thread ------------------------------------
    def open_position(self) -> int:
        """Where n/p/N count from: the open conversation's row, else the row under the cursor."""
        opened = self.screen.aim.opened_key()
        position = self.host.merged.position(opened) if opened is not None else None
        return self.screen.list.cursor if position is None else position

    def step(self, step: int) -> None:
        """Open the conversation after (or before) the open one; the focus stays in its pane.
        After an answer, ``n`` goes on from where the answered one was (working_order.py)."""
        if self.screen.in_activity:
            self.step_activity(step)
            return
        rows = self.screen.list.rows
        if step > 0:
            here = self.screen.aim.opened_key() or self.screen.list.current_key
            after = self.screen.writing.working_order.next_after(here, self.screen.writing.shown_keys())
            if after is not None:
                self.open_at(self.host.merged.position(after))
                return
        index = self.open_position() + step
        if not 0 <= index < len(rows):
            self.status.show_message("No more conversations in this view." if step > 0 else
                                     "This is the first conversation in this view.")
            return
        self.open_at(index)

    def open_at(self, index: int) -> None:
        self.screen.list.cursor = index  # the cursor follows, so Esc back to the list lands on it
        self.screen.run_action_worker("opening", self.screen.aim.open_conversation(self.screen.list.key(index)))

    def next_unread(self) -> None:
        """neomutt's next-new: the next unread conversation in this view, opened; from the top
        again after the last."""
        if self.screen.in_activity:
            self.next_new_activity()
            return
        rows = self.screen.list.rows
        start = self.open_position()
        order = list(range(start + 1, len(rows))) + list(range(0, min(start + 1, len(rows))))
        opened = self.screen.aim.opened_key()
        for index in order:
            row = rows[index]
            if row.workflow_state == "unread" and self.screen.list.key(index) != opened:
                self.open_at(index)
                if index <= start:
                    self.status.show_message("Back at the top of the view: the next unread is above.")
                return
        self.status.show_message(f"No unread conversations in {self.session.view.mailbox.label}.")

    def step_activity(self, step: int) -> None:
        activity = self.screen.activity_list
        index = (activity.highlighted if activity.highlighted is not None else -1 if step > 0 else 0) + step
        if not 0 <= index < len(activity.tagged):
            self.status.show_message("No more items in Activity." if step > 0 else "This is the first item in Activity.")
            return
        self.open_activity_at(index)

    def open_activity_at(self, index: int) -> None:
        """Open the item at ``index`` in its own account (every account's items are in the list)."""
        activity = self.screen.activity_list
        activity.highlighted = index
        account, item = activity.tagged[index]
        self.screen.run_action_worker("opening", self.host.accounts.session(account).activity.open(item))

    def next_new_activity(self) -> None:
        activity = self.screen.activity_list
        start = activity.highlighted if activity.highlighted is not None else -1
        count = len(activity.tagged)
        for index in [*range(start + 1, count), *range(0, max(0, start) + 1)]:
            if self.host.merged_activity.is_new(*activity.tagged[index]):
                self.open_activity_at(index)
                return
        self.status.show_message("Nothing new in Activity since you last looked.")

    # -- leaving the terminal: the browser, attachments ------------------------------------------
    def open_web(self) -> None:
        """The conversation (or the discussion, at its entry) in Canvas's web interface."""
        from ...inbox.web_links import conversation_url, discussion_url

        base = self.session.client.base_url
        if self.screen.in_activity:
            opened = self.screen.aim.open_discussion()
            tagged = self.screen.activity_list.current_tagged
            if opened is not None and (self.host.focused is self.screen.thread or tagged is None):
                account, current = opened  # at its own school's Canvas
                url = discussion_url(self.host.accounts.session(account).client.base_url, current.context_code,
                                     current.topic.id, html_url=current.topic.html_url, entry_id=current.focus_entry_id)
            elif tagged is not None:
                account, item = tagged
                url = discussion_url(self.host.accounts.session(account).client.base_url, item.context_code,
                                     item.topic_id, entry_id=item.entry_id)
            else:
                url = None
            what = "discussion"
        else:
            key = self.screen.aim.target_key()
            base = self.host.accounts.session(key[0]).client.base_url if key is not None else base
            url = conversation_url(base, key[1]) if key is not None else None
            what = "conversation"
        if url is None:
            self.status.show_message(f"Choose a {what} first.")
            return
        self.host.run_worker(self.open_link(url, what), group="downloads")

    async def open_link(self, url: str, what: str) -> None:
        from ...inbox.opener import UnsafeLink, open_url

        try:
            opened = await asyncio.to_thread(open_url, url)
        except UnsafeLink as refused:
            self.status.show_error(str(refused))
            return
        self.status.show_message(f"Opened the {what} in Canvas in the browser" if opened else
                                 f"No browser found: the {what} is at {one_line(url)}")

    def attachments(self) -> None:
        opened = self.screen.aim.opened_key()
        conversation = self.host.accounts.session(opened[0]).current if opened is not None else None
        messages = (conversation.messages or []) if conversation else []
        found = [a for m in messages for a in m.attachments]
        media = [m.media_comment for m in messages if m.media_comment is not None]
        if not found and not media:
            self.status.show_message("No attachments or media comments in the open conversation.")
            return
        from ..screens.attachments import AttachmentsScreen

        def chosen(choice) -> None:
            if choice is not None:
                self.host.run_worker(self.download_and_open(choice), group="downloads")

        self.host.push_screen(AttachmentsScreen(found, self.host.downloads, media), chosen)

    async def download_and_open(self, choice) -> None:
        """Download an attachment or a media comment and open it, or open a media comment's link."""
        from ...canvas.models import MediaComment
        from ...inbox.media import media_title
        from ...inbox.opener import UnsafeLink, open_url, open_with_system
        from ..screens.attachments import OpenLink

        if isinstance(choice, OpenLink):
            try:
                opened = await asyncio.to_thread(open_url, choice.media.url or "")
            except UnsafeLink as refused:
                self.status.show_error(str(refused))
                return
            self.status.show_message(f"Opened the {media_title(choice.media)} in the browser" if opened else
                                     f"No browser found: its link is {one_line(choice.media.url or '')}")
            return
        name = media_title(choice) if isinstance(choice, MediaComment) else one_line(choice.display_name)
        self.status.running = f"downloading {name}"
        opened = self.screen.aim.opened_key()
        session = self.host.accounts.session(opened[0]) if opened is not None else self.session
        path = await session.download(choice, self.host.downloads)
        self.status.running = ""
        if path is not None:
            opened = await asyncio.to_thread(open_with_system, path)
            self.status.show_message(f"Saved to {path}" + ("" if opened else " (no opener found)"))
