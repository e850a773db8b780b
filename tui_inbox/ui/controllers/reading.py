"""Reading keys: choosing a mailbox, moving between conversations (n, p, N) or Activity items,
the thread's order, attachments and media, and opening a conversation in Canvas's web pages."""

from __future__ import annotations

import asyncio
from typing import Any

from ...inbox.text import one_line
from .base import Controller

PANEL_OF = {"activity": "activity", "outbox": "outbox", "drafts": "drafts"}  # else the conversation list


class Reading(Controller):
    def switch_to(self, mailbox: str, filter_code: Any = ...) -> None:
        screen = self.screen
        screen.search.clear()
        screen.run_action_worker("loading", self.session.switch(mailbox, filter_code))
        screen.paint_title()
        screen.list.cursor = 0
        screen.panel = PANEL_OF.get(mailbox, "list")

    def refresh(self) -> None:
        self.screen.run_action_worker("refreshing", self.session.refresh())

    def thread_order(self) -> None:
        self.session.thread_order = "newest" if self.session.thread_order == "oldest" else "oldest"
        self.screen.paint_thread()
        self.status.show_message(f"Thread: {self.session.thread_order} first")

    # -- moving between conversations from inside a thread ------------------------------------
    def open_position(self) -> int:
        """Where n/p/N count from: the open conversation's row, else the row under the cursor."""
        current = self.session.current
        position = self.session.view.position(current.id) if current is not None else None
        return self.screen.list.cursor if position is None else position

    def step(self, step: int) -> None:
        """Open the conversation after (or before) the open one; the focus stays in its pane.
        After an answer, ``n`` goes on from where the answered one was (working_order.py)."""
        if self.screen.in_activity:
            self.step_activity(step)
            return
        rows = self.screen.list.rows
        if step > 0:
            here = self.session.current or self.screen.list.current
            after = self.screen.writing.working_order.next_after(here.id if here else None, (r.id for r in rows))
            if after is not None:
                self.open_at(next(i for i, r in enumerate(rows) if r.id == after))
                return
        index = self.open_position() + step
        if not 0 <= index < len(rows):
            self.status.show_message("No more conversations in this view." if step > 0 else
                                     "This is the first conversation in this view.")
            return
        self.open_at(index)

    def open_at(self, index: int) -> None:
        self.screen.list.cursor = index  # the cursor follows, so Esc back to the list lands on it
        self.screen.run_action_worker("opening", self.session.open(self.screen.list.rows[index].id))

    def next_unread(self) -> None:
        """neomutt's next-new: the next unread conversation in this view, opened; from the top
        again after the last."""
        if self.screen.in_activity:
            self.next_new_activity()
            return
        rows = self.screen.list.rows
        start = self.open_position()
        order = list(range(start + 1, len(rows))) + list(range(0, min(start + 1, len(rows))))
        current = self.session.current
        for index in order:
            row = rows[index]
            if row.workflow_state == "unread" and not (current is not None and row.id == current.id):
                self.open_at(index)
                if index <= start:
                    self.status.show_message("Back at the top of the view: the next unread is above.")
                return
        self.status.show_message(f"No unread conversations in {self.session.view.mailbox.label}.")

    def step_activity(self, step: int) -> None:
        activity = self.screen.activity_list
        index = (activity.highlighted if activity.highlighted is not None else -1 if step > 0 else 0) + step
        if not 0 <= index < len(activity.items):
            self.status.show_message("No more items in Activity." if step > 0 else "This is the first item in Activity.")
            return
        self.open_activity_at(index)

    def open_activity_at(self, index: int) -> None:
        activity = self.screen.activity_list
        activity.highlighted = index
        self.screen.run_action_worker("opening", self.session.activity.open(activity.items[index]))

    def next_new_activity(self) -> None:
        activity = self.screen.activity_list
        start = activity.highlighted if activity.highlighted is not None else -1
        count = len(activity.items)
        for index in [*range(start + 1, count), *range(0, max(0, start) + 1)]:
            if self.session.activity.is_new(activity.items[index]):
                self.open_activity_at(index)
                return
        self.status.show_message("Nothing new in Activity since you last looked.")

    # -- leaving the terminal: the browser, attachments ------------------------------------------
    def open_web(self) -> None:
        """The conversation (or the discussion, at its entry) in Canvas's web interface."""
        from ...inbox.web_links import conversation_url, discussion_url

        base = self.session.client.base_url
        if self.screen.in_activity:
            current = self.session.activity.current
            item = self.screen.activity_list.current
            if current is not None and (self.host.focused is self.screen.thread or item is None):
                url = discussion_url(base, current.context_code, current.topic.id, html_url=current.topic.html_url,
                                     entry_id=current.focus_entry_id)
            elif item is not None:
                url = discussion_url(base, item.context_code, item.topic_id, entry_id=item.entry_id)
            else:
                url = None
            what = "discussion"
        else:
            cid = self.screen.target()
            url = conversation_url(base, cid) if cid is not None else None
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
        conversation = self.session.current
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
        path = await self.session.download(choice, self.host.downloads)
        self.status.running = ""
        if path is not None:
            opened = await asyncio.to_thread(open_with_system, path)
            self.status.show_message(f"Saved to {path}" + ("" if opened else " (no opener found)"))
