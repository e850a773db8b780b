"""Reading a conversation: its thread shown in the pane, and one of its messages deleted.

A thread that cannot be shown is said in one line, and the pane is emptied rather than left on
the conversation open before it. Offline, a thread read before comes from the local cache.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3

from .changes import ThreadShown, ThreadUpdated
from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import NetworkError, NotFoundError
from ..canvas.models import Conversation
from .loaded_views import LoadedViews
from .open_conversation import OpenConversation
from .outcome import Outcome
from .ports import Counting, Reports, SearchIndex, ThreadCache
from .replying import is_last_message

log = logging.getLogger("tui_inbox.inbox")
GONE = "That conversation is no longer in Canvas for you (deleted elsewhere?): it is gone here too."


class Reader:
    def __init__(self, client: CanvasClient, rows: LoadedViews, opened: OpenConversation, report: Reports,
                 counts: Counting, cache: ThreadCache | None) -> None:
        self.client = client
        self.rows = rows
        self.opened = opened
        self.report = report
        self.counts = counts
        self.cache = cache
        # The full-text index (store/search_index.py), when the app keeps one: an opened thread goes in at once.
        self.search_index: SearchIndex | None = None

    async def open(self, conversation_id: int, *, mark_read: bool = True) -> Conversation | None:
        """Show a conversation's thread. One that cannot be shown is said in one line, and the
        thread pane is emptied rather than left on the conversation open before it."""
        try:
            conversation = await self.client.get_conversation(conversation_id, auto_mark_as_read=mark_read)
        except NetworkError as error:
            if self.cache is None:
                self.report.fail(error)
                return self._not_shown(conversation_id)
            conversation = self.cache.offline_thread(conversation_id)
            if conversation is None:
                return self._not_shown(conversation_id)
            mark_read = False  # nothing was marked read: Canvas did not hear of it
        except NotFoundError:
            # Gone for this user (deleted on another device, or they were taken out of it): the
            # row, the cached thread and a search hit that still name it must not offer it again.
            self.rows.remove_everywhere([conversation_id])
            self.report.fail(NotFoundError(GONE))
            return self._not_shown(conversation_id)
        except CanvasError as error:
            self.report.fail(error)
            return self._not_shown(conversation_id)
        else:
            if self.cache is not None:
                self.cache.opened(conversation)
        self.opened.conversation = conversation
        self.rows.keep_open(conversation_id)  # the row open before (if any) leaves now, if it no longer belongs
        self.rows.update_many([conversation_id], workflow_state=conversation.workflow_state)
        self.report.emit(ThreadShown(conversation))
        if mark_read:
            await self.counts.refresh_unread()
        if self.search_index is not None:
            # After the thread is shown, in a thread: a conversation of 20,000 messages takes the
            # index 2.5 s to write, which held the screen unpainted on the event loop.
            try:
                await asyncio.to_thread(self.search_index.put, conversation)
            except sqlite3.Error as error:  # a full disk: the thread opens, search just lacks it
                log.warning("could not index conversation %s: %s", conversation_id, error)
        return conversation

    def close_thread(self) -> None:
        self.opened.conversation = None
        self.report.emit(ThreadShown(None))

    def _not_shown(self, conversation_id: int) -> None:
        current = self.opened.conversation
        if current is not None and current.id != conversation_id:
            self.close_thread()  # the user asked for another one: this one is no longer what they look at
        return None

    def close_thread_if_gone(self) -> None:
        """The open conversation left the view (archived, another mailbox): the thread pane empties,
        so it never shows a conversation the list around it no longer has."""
        current = self.opened.conversation
        if current is not None and self.rows.view.find(current.id) is None:
            self.close_thread()

    async def remove_message(self, conversation_id: int, message_id: int) -> Outcome:
        """Delete one message for me (Canvas's ``remove_messages``). When no message of a person
        is left, Canvas removes the generated ones too and the conversation is gone: its row
        leaves every view and its thread closes."""
        try:
            answer = await self.client.remove_messages(conversation_id, [message_id])
        except CanvasError as error:
            return self.report.fail(error)
        current = self.opened.of(conversation_id)
        left = [m for m in (current.messages or []) if m.id != message_id] if current is not None else []
        if answer.message_count == 0 or (current is not None and is_last_message(current, message_id)):
            self.rows.remove_everywhere([conversation_id])
            if current is not None:
                self.close_thread()
            await self.counts.refresh_unread()
            return Outcome(True, "Message deleted; it was the last one, so the conversation is gone for you too.")
        # The row's preview, count and dates as Canvas has them now (its answer has no context_name).
        self.rows.update_many([conversation_id], last_message=answer.last_message,
                              last_message_at=answer.last_message_at,
                              last_authored_message=answer.last_authored_message,
                              last_authored_message_at=answer.last_authored_message_at,
                              message_count=answer.message_count, properties=answer.properties)
        current = self.opened.of(conversation_id)
        if current is not None:
            self.opened.conversation = dataclasses.replace(current, messages=left)
            self.report.emit(ThreadUpdated(self.opened.conversation))
        await self.counts.refresh_unread()
        return Outcome(True, f"Message deleted for you; {answer.message_count} left in the conversation.")
