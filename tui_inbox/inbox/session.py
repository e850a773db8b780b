"""The inbox of one account: its parts, assembled.

No widgets here. The UI calls these coroutines (in workers) and re-reads the state;
listeners registered with ``on_change`` hear what changed (changes.py), so a live update
arriving while the user reads is shown without the UI polling. Each action changes the rows
at once, asks Canvas, and puts the rows back as they were if Canvas refuses; after every
change the unread count is fetched again, so the badge never lies.

The session only assembles the parts and forwards to them. Each part is built from the few
things it needs (ports.py): the client, the account's facts (account.py), the loaded views
(loaded_views.py), the open conversation (open_conversation.py), the outbox, and the change
channel (channel.py); none of them knows the session.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .changes import AccountChanged, Change, Failed, ViewChanged
from ..canvas import CanvasClient
from ..canvas.models import Attachment, Conversation, Course, Group, MediaComment, Recipient, User
from ..store.activity_seen import ActivitySeen
from ..store.drafts import DraftStore
from . import drafts_box
from .account import Account
from .activity import Activity
from .background import Background
from .bulk_sends import BulkSends
from .channel import Channel, Listener
from .compose import Draft
from .downloads import download
from .formatting import utcnow
from .inbox_settings import InboxSettingsHolder
from .live_updates import LiveUpdates
from .loaded_views import IndexedRows, LoadedViews
from .loading import Loader
from .mailboxes import Mailbox
from .open_conversation import OpenConversation
from .outbox import Outbox
from .outcome import Outcome
from .ports import SearchIndex
from .reading import Reader
from .recipients import RecipientSearch
from .sending import AlreadyParticipants, RetryListener, Sender
from .triage import Triage
from .view import ConversationView

if TYPE_CHECKING:
    from .offline import CacheKeeper

# Kept importable from here, where the UI has always found them.
__all__ = ["AlreadyParticipants", "InboxSession", "Listener", "Outcome"]
log = logging.getLogger("tui_inbox.inbox")


class InboxSession:
    def __init__(
        self,
        client: CanvasClient,
        *,
        drafts: DraftStore | None = None,
        activity_seen: ActivitySeen | None = None,
        thread_order: str = "oldest",
        clock: Callable[[], datetime] = utcnow,
        first_page: int = 100,
        keeper: "CacheKeeper | None" = None,
        send_delay: float = 0.0,
        outbox_retry_seconds: float = 5.0,
    ) -> None:
        self.client = client
        self.drafts = drafts
        self.thread_order = thread_order
        self.clock = clock
        self.first_page = first_page
        # The shared state: each piece belongs to one part or is handed explicitly to the few that change it.
        self.channel = Channel()
        # An answer's items that cannot be rows (an id that is not one) are left out: one line says so.
        client.on_skipped(lambda line: self.emit(Failed(line)))
        self.account = Account()
        self.opened = OpenConversation()
        self.loaded_views = LoadedViews(self.opened, self.channel.emit)
        self.background = Background()
        # The local cache (inbox/offline.py): it watches the rows and hears the changes, and is read
        # at start and offline.
        self.keeper = keeper
        self._from_cache: bool | None = None  # whether start() began from the cache (None: not asked yet)
        if keeper is not None:
            keeper.attach(client, self.account, self.loaded_views, self.channel, self.background,
                          follow_up=self.follow_up)
            self.loaded_views.watch(keeper)
            self.on_change(keeper.heard)
        self._index_watcher: IndexedRows | None = None
        self._search_index: SearchIndex | None = None

        # The parts.
        self.loader = Loader(client, self.account, self.loaded_views, self.channel, self.background, keeper,
                             first_page=first_page)
        self.reader = Reader(client, self.loaded_views, self.opened, self.channel, self.loader, keeper)
        self.activity = Activity(client, self.account, self.channel, activity_seen)
        # The sender (below) follows the bulk sends and carries the Outbox's messages, and needs both:
        # they reach it through these forwards.
        self.bulk = BulkSends(client, self.emit, lambda done: self.sender.bulk_finished(done))
        # Offline actions and messages, and sends waiting out the undo delay (inbox/outbox.py).
        self.outbox = Outbox(drafts.outbox, client, self.emit, lambda draft: self.sender.deliver_queued(draft),
                             send_delay=send_delay, retry_seconds=outbox_retry_seconds,
                             ready=lambda: self.account.me is not None) if drafts is not None else None
        self.sender = Sender(client, self.account, self.loaded_views, self.opened, self.channel,
                             thread=self.reader, loading=self.loader, background=self.background,
                             activity=self.activity, bulk=self.bulk, outbox=self.outbox, drafts=drafts)
        self.triage = Triage(client, self.loaded_views, self.opened, self.channel,
                             thread=self.reader, loading=self.loader, outbox=self.outbox)
        self.live = LiveUpdates(client, self.account, self.loaded_views, self.opened, self.channel, self.loader)
        self.recipients = RecipientSearch(client, self.account, self.loaded_views, self.channel)
        self.inbox_settings = InboxSettingsHolder(client)  # signature and out of office (inbox_settings.py)

    # -- listening ---------------------------------------------------------------------
    def on_change(self, listener: Listener) -> Callable[[], None]:
        return self.channel.on_change(listener)

    def emit(self, change: Change) -> None:
        self.channel.emit(change)

    def fail(self, error: Exception) -> Outcome:
        return self.channel.fail(error)

    @property
    def last_error(self) -> str | None:
        return self.channel.last_error

    # -- the state the UI reads ------------------------------------------------------------
    @property
    def me(self) -> User | None:
        return self.account.me

    @me.setter
    def me(self, me: User | None) -> None:
        self.account.me = me

    @property
    def courses(self) -> list[Course]:
        return self.account.courses

    @property
    def groups(self) -> list[Group]:
        return self.account.groups

    @property
    def unread_count(self) -> int | None:
        return self.account.unread_count

    @property
    def me_id(self) -> int:
        return self.account.me_id

    @property
    def current(self) -> Conversation | None:
        """The conversation open in the thread pane."""
        return self.opened.conversation

    @property
    def views(self) -> dict[tuple[str, str | None], ConversationView]:
        return self.loaded_views.views

    @property
    def view(self) -> ConversationView:
        return self.loaded_views.view

    @property
    def mailbox(self) -> Mailbox:
        return self.loaded_views.mailbox

    @property
    def filter_code(self) -> str | None:
        return self.loaded_views.filter_code

    @property
    def lingering(self) -> set[int]:
        return self.loaded_views.lingering

    @property
    def sending(self) -> set[str]:
        """Keys of drafts being sent right now."""
        return self.sender.sending

    @property
    def last_landing(self) -> int | None:
        """The conversation the last new message went into."""
        return self.sender.last_landing

    @property
    def search_index(self) -> SearchIndex | None:
        """The full-text index (store/search_index.py), when the app keeps one: it watches the rows,
        and an opened thread goes in at once."""
        return self._search_index

    @search_index.setter
    def search_index(self, index: SearchIndex | None) -> None:
        if self._index_watcher is not None:
            self.loaded_views.unwatch(self._index_watcher)
        self._index_watcher = IndexedRows(index) if index is not None else None
        if self._index_watcher is not None:
            self.loaded_views.watch(self._index_watcher)
        self._search_index = self.reader.search_index = index

    def context_name(self, code: str | None) -> str | None:
        return self.account.context_name(code)

    def course_label(self, conversation: Conversation) -> str | None:
        return self.account.course_label(conversation)

    # -- starting ----------------------------------------------------------------------
    async def start(self) -> None:
        """Who am I, my courses and groups, the unread count, and the inbox's first page.

        With a cache of this account's Inbox, that is painted first, without a request, and
        brought in step with Canvas in the background (inbox/offline.py)."""
        if self.outbox is not None:
            self.outbox.start()  # before any request: it is shown even if Canvas does not answer
        if self.start_from_cache():
            return
        account = self.account
        account.me, account.courses, account.groups = await asyncio.gather(
            self.client.get_self(), self.client.get_courses(), self.client.get_groups()
        )
        self.emit(AccountChanged())
        if self.outbox is not None:
            self.outbox.nudge()  # who I am is known (the delivery check needs it): what waits goes now
        await asyncio.gather(self.refresh_unread(), self.load())
        self.follow_up()

    def start_from_cache(self) -> bool:
        """The last known account and Inbox from the cache, at once and with no request; False if
        there is none. A UI calls it before its first frame, so that frame has the rows (one frame
        rather than an empty one and then the rows); start() calls it too, and it acts once."""
        if self._from_cache is None:
            self._from_cache = self.keeper is not None and self.keeper.warm_start()
        return self._from_cache

    def follow_up(self) -> None:
        """What a start does once Canvas has answered: Activity and the bulk sends still running."""
        # Activity while the app was closed is not in any event: read it from the Discussions API.
        self.background.run(("activity", None), self.activity.fill())
        # Bulk sends Canvas is still delivering (sent before this start) are followed like new ones.
        self.background.run(("bulk", None), self.bulk.resume())
        # The signature a composer starts with, and whether the school shows these at all.
        self.background.run(("inbox_settings", None), self.inbox_settings.load_quietly())

    # -- mailboxes -----------------------------------------------------------------------
    async def switch(self, mailbox_id: str, filter_code: str | None = ...) -> ConversationView:  # type: ignore[assignment]
        self.triage.clear()  # a selection belongs to the view it was made in
        self.loaded_views.go_to(mailbox_id, filter_code)
        self.emit(ViewChanged())
        if self.current is not None:
            # The list starts again at its top: the thread open before is not the row under the cursor.
            self.close_thread()
        view = self.view
        if view.mailbox.scope is None:
            return view  # Activity: not a conversation scope
        if not view.loaded:
            await self.load()
        return view

    async def load(self, *, force: bool = False) -> ConversationView:
        return await self.loader.load(force=force)

    def fill(self, view: ConversationView, rows: list[Conversation]) -> None:
        self.loader.fill(view, rows)

    async def wait_loaded(self) -> None:
        """Wait for background loads (tests and benchmarks use this)."""
        await self.background.wait()

    async def refresh(self) -> None:
        await self.loader.refresh()

    async def refresh_unread(self) -> None:
        await self.loader.refresh_unread()

    # -- reading ---------------------------------------------------------------------------
    async def open(self, conversation_id: int, *, mark_read: bool = True) -> Conversation | None:
        return await self.reader.open(conversation_id, mark_read=mark_read)

    def close_thread(self) -> None:
        self.reader.close_thread()

    def close_thread_if_gone(self) -> None:
        self.reader.close_thread_if_gone()

    async def remove_message(self, conversation_id: int, message_id: int) -> Outcome:
        return await self.reader.remove_message(conversation_id, message_id)

    async def download(self, item: Attachment | MediaComment, folder: Path) -> Path | None:
        return await download(self.client, item, folder, self.channel)

    # -- the rows --------------------------------------------------------------------------
    def rows_of(self, conversation_id: int) -> list[tuple[ConversationView, Conversation]]:
        return self.loaded_views.rows_of(conversation_id)

    def row(self, conversation_id: int) -> Conversation | None:
        return self.loaded_views.row(conversation_id)

    def update_many(self, ids: Iterable[int], **changes: Any) -> None:
        self.loaded_views.update_many(ids, **changes)

    def place(self, rows: Iterable[Conversation]) -> None:
        self.loaded_views.place(rows)

    def let_go(self, except_id: int | None = None) -> None:
        self.loaded_views.let_go(except_id)

    def remove_everywhere(self, ids: Iterable[int]) -> None:
        self.loaded_views.remove_everywhere(ids)

    # -- writing ---------------------------------------------------------------------------
    async def search_recipients(self, text: str, context: str | None = None) -> list[Recipient]:
        return await self.recipients.search(text, context)

    async def role_counts(self, course_code: str) -> dict[str, int] | None:
        return await self.recipients.role_counts(course_code)

    def save_draft(self, draft: Draft) -> None:
        drafts_box.save(self.drafts, draft)

    def load_draft(self, key: str) -> Draft | None:
        return drafts_box.load(self.drafts, key)

    def discard_draft(self, draft: Draft) -> None:
        if self.drafts is not None:
            self.drafts.delete(draft.key)

    async def send(self, draft: Draft, on_retry: RetryListener | None = None) -> Outcome:
        return await self.sender.send(draft, on_retry)

    async def deliver(self, draft: Draft) -> tuple[Outcome, Conversation | None, bool]:
        return await self.sender.deliver(draft)

    def forecast(self, draft: Draft) -> str | None:
        return self.sender.forecast(draft)

    # -- ending ------------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self.outbox is not None:
            await self.outbox.aclose()  # a message waiting out its undo delay is sent first
        await self.bulk.aclose()
        await self.background.aclose()
        if self.keeper is not None:
            self.keeper.close()
        if self.search_index is not None:
            # The cache file's last connection: closing it folds the write-ahead log back into the
            # file. Left open, a 100,000-row load's 50 MB log stayed for the next start to replay.
            self.search_index.close()
        if self.drafts is not None:
            # Last, after the Outbox's last writes: the drafts leave the log for the file, so a
            # damaged leftover log (or a lost one) cannot take them.
            try:
                self.drafts.fold()
            except sqlite3.Error as error:
                log.warning("the drafts log was not folded in: %s", error)
