"""Sending a draft: a new message, a reply, people added, a discussion reply, a bulk send.

A send that may wait (the undo delay, or behind what is queued offline) goes to the Outbox on
disk; one that meets an unreachable Canvas waits there too. After a message is sent, the open
thread and Sent are read again so they show it.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Callable

from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import NetworkError
from ..canvas.http import retry_listener
from ..canvas.models import Conversation
from ..store.drafts import DraftStore
from .account import Account
from .background import Background
from .bulk_sends import SendProgress, audience, label_of, must_be_bulk, sends_async
from .compose import Draft
from .destination import forecast, landing
from .formatting import display_name
from .loaded_views import LoadedViews
from .open_conversation import OpenConversation
from .outbox import Outbox
from .outcome import Outcome
from .ports import BulkFollowing, DiscussionReplies, Loading, Reports, ThreadPane
from .replying import already_in, name_people, reply_target
from .text import one_line

RetryListener = Callable[[int, int, CanvasError], None]


class AlreadyParticipants(CanvasError):
    """Everyone the user asked to add is in the conversation already: nothing was sent."""


class Sender:
    def __init__(self, client: CanvasClient, account: Account, rows: LoadedViews, opened: OpenConversation,
                 report: Reports, *, thread: ThreadPane, loading: Loading, background: Background,
                 activity: DiscussionReplies, bulk: BulkFollowing, outbox: Outbox | None,
                 drafts: DraftStore | None) -> None:
        self.client = client
        self.account = account
        self.rows = rows
        self.opened = opened
        self.report = report
        self.thread = thread
        self.loading = loading
        self.background = background
        self.activity = activity
        self.bulk = bulk
        self.outbox = outbox
        self.drafts = drafts
        self.sending: set[str] = set()  # keys of drafts being sent right now
        self.last_landing: int | None = None  # the conversation the last new message went into

    async def send(self, draft: Draft, on_retry: RetryListener | None = None) -> Outcome:
        """Send a draft once; on success it is discarded, on failure kept with the reason.

        ``on_retry`` hears each new attempt ("retrying (2 of 5)") of this send only. While the
        send runs, its draft is in ``sending``: it must not be opened and sent a second time.
        """
        problems = draft.problems()
        if problems:
            return self.report.fail(ValueError(problems[0]))
        if draft.key in self.sending:
            return Outcome(False, "This message is being sent already; its outcome follows.")
        outbox = self.outbox
        if outbox is not None and outbox.takes(draft) and (outbox.send_delay > 0 or outbox.backlog()):
            # It waits out the undo delay (or behind what is queued offline) in the Outbox, on disk.
            try:
                return Outcome(True, outbox.hold_message(draft, delay=outbox.send_delay))
            except sqlite3.Error as error:  # a full disk: it cannot wait on disk, so it does not leave
                return self.report.fail(sqlite3.Error(f"Not sent: the message could not wait in the Outbox "
                                                      f"({error}); your text is still here"))
        self.sending.add(draft.key)
        listening = retry_listener.set(on_retry)
        try:
            return await self._send(draft)
        finally:
            retry_listener.reset(listening)
            self.sending.discard(draft.key)

    async def _send(self, draft: Draft) -> Outcome:
        try:
            outcome, conversation, after = await self.deliver(draft)
        except NetworkError as error:
            if not error.sent and self.outbox is not None and self.outbox.takes(draft):
                # Canvas cannot be reached and nothing left: the message waits in the Outbox.
                self.outbox.unreachable()
                return Outcome(True, self.outbox.hold_message(draft, offline=True))
            return self.report.fail(error)
        except (CanvasError, OSError) as error:
            return self.report.fail(error)
        try:
            if self.drafts is not None:
                self.drafts.delete(draft.key)
        except sqlite3.Error as error:  # sent all the same: say that its draft stays
            outcome = dataclasses.replace(outcome, message=f"{outcome.message} (its draft could not be "
                                                           f"removed: {error}; discard it from Drafts)")
        await self._settle_after(outcome, conversation, after)
        return outcome

    async def deliver_queued(self, draft: Draft) -> str:
        """Send a message from the Outbox (it is not in Drafts: nothing to discard); raises CanvasError."""
        outcome, conversation, after = await self.deliver(draft)
        await self._settle_after(outcome, conversation, after)
        who = outcome.to or name_people([one_line(r.label) for r in draft.to]) or "the conversation"
        return f"Outbox: {outcome.message[0].lower()}{outcome.message[1:]} ({draft.title.lower()} to {who})"

    async def _settle_after(self, outcome: Outcome, conversation: Conversation | None, after: bool) -> None:
        if not after:
            return
        try:
            await self._after_send(conversation)
        except CanvasError as error:  # sent all the same: only the refresh after it failed
            self.report.note(error)
        if outcome.conversation_id is not None:
            self.last_landing = outcome.conversation_id

    async def _upload(self, draft: Draft) -> list[int]:
        ids = []
        for path in draft.attachments:
            info = await self.client.upload_attachment(Path(path).expanduser())
            ids.append(info.id)
        return ids

    async def deliver(self, draft: Draft) -> tuple[Outcome, Conversation | None, bool]:
        """Send a draft; raises CanvasError or OSError. Returns the outcome, the conversation it
        went into, and whether the views should be read again after it."""
        opened: int | None = None
        attachment_ids = await self._upload(draft)
        if draft.kind == "discussion_reply":
            await self.activity.reply(draft.body, draft.context_code or "", draft.topic_id or 0, draft.entry_id)
            return Outcome(True, "Reply posted"), None, False
        to = None
        if draft.kind == "add_people":
            conversation = await self._add_people(draft)
            message = "People added"
        elif draft.kind in ("reply", "reply_all"):
            conversation, to = await self._reply(draft, attachment_ids)
            message = "Reply sent"
        else:
            known = {row.id for row in self.rows.every_row()}  # to tell reused from new
            if must_be_bulk(draft):  # Canvas refuses more than 100 people otherwise
                draft.individual, draft.group_conversation = True, False
            created = await self.client.send_new(
                [r.id for r in draft.to], draft.body, author_id=self.account.me_id,
                subject=draft.subject or None, context_code=draft.context_code,
                group_conversation=draft.group_conversation or draft.individual,
                bulk_message=draft.individual, force_new=draft.force_new, attachment_ids=attachment_ids,
                forwarded_message_ids=draft.forward_message_ids,
                mode="async" if sends_async(draft) else None,
            )
            if created.batch_id is not None and not created.conversations:
                size = audience(draft)
                self.bulk.follow(created.batch_id, size, label_of(draft.subject, draft.body))
                return Outcome(True, f"Sending to {size} people in the background, one conversation each: "
                                     "the bar below follows it."), None, False
            went = landing(created.conversations, known)
            conversation = went.first
            opened = conversation.id if conversation is not None else None
            message = went.line
        return Outcome(True, message, opened, to=to), conversation, True

    def bulk_finished(self, done: SendProgress) -> None:
        """A bulk send is delivered: Sent holds new conversations, read it again when shown."""
        self.rows.unload(("sent", None))
        if self.rows.mailbox.id == "sent":
            self.background.run(("sent-after-bulk", None), self._reload_quietly())

    async def _reload_quietly(self) -> None:
        try:
            await self.loading.load(force=True)
        except CanvasError as error:
            self.report.fail(error)

    def forecast(self, draft: Draft) -> str | None:
        """Before sending: the existing conversations a new message will go into, if the app can know."""
        rows = {row.id: row for row in self.rows.every_row() if row.private}
        return forecast(draft, list(rows.values()), self.account.me_id)

    async def _known_thread(self, conversation_id: int | None) -> Conversation | None:
        """The thread as the user last saw it: the open one, else asked of Canvas (never marking it read)."""
        if conversation_id is None:
            return None
        current = self.opened.of(conversation_id)
        if current is not None and current.messages is not None:
            return current
        return await self.client.get_conversation(conversation_id, auto_mark_as_read=False)

    async def _reply(self, draft: Draft, attachment_ids: list[int]) -> tuple[Conversation, str | None]:
        """Send a reply; returns the conversation and, for a plain reply, the one person it went to.

        A plain reply goes to the last person other than the user who wrote (replying.py), even
        when it leaves the Outbox after the user moved on to another thread. Replying reads the
        conversation: Canvas leaves the author's copy as it was (conversation.rb
        ``update_participants`` only turns an archived one read), as if the user had not read
        what they answered, so the client marks it read, as opening it would.
        """
        me_id = self.account.me_id
        known = await self._known_thread(draft.conversation_id)
        target = reply_target(known, me_id) if draft.kind == "reply" and known is not None else None
        since = max((m.id for m in known.messages or []), default=None) if known else None
        conversation = await self.client.send_reply(
            draft.conversation_id, draft.body, author_id=me_id, since_message_id=since,
            attachment_ids=attachment_ids, recipients=[target.id] if target is not None else None,
        )
        if conversation.unread:
            try:
                conversation = await self.client.update_conversation(conversation.id, workflow_state="read")
            except CanvasError as error:  # the reply went all the same
                self.report.note(error)
            else:
                self.rows.update_many([conversation.id], workflow_state="read")
                await self.loading.refresh_unread()
        return conversation, (display_name(target.name, target.full_name) if target is not None else None)

    async def _add_people(self, draft: Draft) -> Conversation:
        """Add only people who are not in the conversation yet: Canvas would add a line saying
        someone was added who was there all along. Nobody new is refused, with who is in it."""
        known = await self._known_thread(draft.conversation_id)
        present = set(already_in(known, [r.id for r in draft.to])) if known is not None else set()
        new = [r for r in draft.to if r.id not in present]
        if not new:
            names = name_people([one_line(r.label) for r in draft.to])
            raise AlreadyParticipants(f"{names} {'is' if len(draft.to) == 1 else 'are'} in this conversation "
                                      "already: nobody was added.")
        return await self.client.add_recipients(draft.conversation_id, [r.id for r in new])

    async def _after_send(self, conversation: Conversation | None) -> None:
        if conversation is not None and self.opened.of(conversation.id) is not None:
            await self.thread.open(conversation.id, mark_read=False)
        self.rows.unload(("sent", None))
        if self.rows.mailbox.id == "sent":
            await self.loading.load(force=True)
