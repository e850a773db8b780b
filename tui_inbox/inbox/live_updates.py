"""Applying live conversation events to the inbox: fetch what changed, put it in place.

Events only say *that* something changed (live-stream.md), may repeat, may arrive out of
order, and may name conversations the app never loaded. So each event leads to one GET of
the conversation as it is now (never marking it read); the row is inserted or replaced by id
in every loaded view it belongs to. Repeats cost a fetch and change nothing; order does not
matter because the fetched state is always the newest. A conversation the user is not part
of answers 404 and is ignored: a hostile stream cannot make the app show anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from .changes import ThreadUpdated
from ..canvas import CanvasError, NotFoundError
from ..canvas.models import Conversation
from .notices import Notice
from .formatting import display_name
from .text import one_line

if TYPE_CHECKING:  # events arrive from the feed, made after the first frame
    from ..canvas.live_events import LiveEvent
    from ..canvas import CanvasClient
    from .account import Account
    from .loaded_views import LoadedViews
    from .open_conversation import OpenConversation
    from .ports import Counting, Reports


class LiveUpdates:
    def __init__(self, client: "CanvasClient", account: "Account", rows: "LoadedViews", opened: "OpenConversation",
                 report: "Reports", counts: "Counting") -> None:
        self.client = client
        self.account = account
        self.rows = rows
        self.opened = opened
        self.report = report
        self.counts = counts
        self._inflight: dict[int, asyncio.Future] = {}

    async def apply(self, event: LiveEvent) -> Conversation | None:
        """Bring one conversation up to date after an event; returns it, or None if not ours."""
        cid = event.conversation_id
        if cid is None or not event.is_conversation:
            return None
        running = self._inflight.get(cid)
        if running is not None:  # the same conversation is being fetched already: share that answer
            return await asyncio.shield(running)
        future = asyncio.ensure_future(self._fetch_and_place(cid))
        self._inflight[cid] = future
        try:
            return await asyncio.shield(future)
        finally:
            if self._inflight.get(cid) is future:
                del self._inflight[cid]

    async def _fetch_and_place(self, cid: int) -> Conversation | None:
        try:
            fresh = await self.client.get_conversation(cid, auto_mark_as_read=False)
        except NotFoundError:
            return None  # not a conversation of this user: show nothing
        except CanvasError as error:
            self.report.fail(error)
            return None
        self.rows.place([dataclasses.replace(fresh, messages=None)])
        if self.opened.of(cid) is not None:
            self.opened.conversation = fresh
            self.report.emit(ThreadUpdated(fresh))
        await self.counts.refresh_unread()
        return fresh

    def notice(self, event: LiveEvent, conversation: Conversation) -> Notice | None:
        """ "New message from Jane: Lab report" for a message someone else wrote, else None.

        The event's ids and author are only claims (a stream may repeat, lag or lie): the
        notice is shown only if the fetched conversation holds that message, and its author,
        as Canvas reports it, is someone other than me.
        """
        if event.name != "conversation_message_created" or event.message_id is None:
            return None
        message = next((m for m in conversation.messages or () if m.id == event.message_id), None)
        if message is None or message.author_id is None or message.author_id == self.account.me_id:
            return None
        author = conversation.participant(message.author_id)
        name = display_name(author.name, author.full_name) if author else "someone"
        return Notice("message", name, f"New message from {name}: {one_line(conversation.subject) or '(no subject)'}")
