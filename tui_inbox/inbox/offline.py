"""The local cache of what the views show: written as they change, read back at start and offline.

``CacheKeeper`` watches the loaded rows (a view filled, rows placed or removed: loaded_views.py)
and hears the changes (the account and the unread count known, an open thread updated), and
writes them to the cache on its own thread, one transaction per change set, in the order the
changes happened: the event loop never waits on SQLite. It is built before the inbox it keeps
and given its ports (``attach``) by the session that assembles the parts.

At start, a cache that holds this account's Inbox is painted before any request is sent;
then the view is reconciled with Canvas in the background (inbox/reconcile.py). When Canvas
cannot be reached (no answer at all, not a refusal), the inbox stays on the cache and says
it is offline, as of when the cache was last in step; every cached thread can still be read.
The first answer Canvas then gives, to any request (the Outbox's, the feed's, a key press's),
starts the catch-up at once: "offline" ends when Canvas is back, not at the next poll.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Iterable

from .changes import AccountChanged, CameOnline, Change, CountsChanged, ThreadUpdated, WentOffline
from ..canvas import CanvasError
from ..canvas.errors import NetworkError
from ..canvas.models import Conversation
from ..store.cache import Cache, view_name
from .loading import LARGE_LOAD
from .reconcile import Reconciled, reconcile
from .view import ConversationView, sort_key

if TYPE_CHECKING:
    from ..canvas import CanvasClient
    from .account import Account
    from .background import Background
    from .loaded_views import LoadedViews
    from .ports import Reports

log = logging.getLogger("tui_inbox.inbox.offline")
FIRST_SCREEN = 100  # rows read from the cache before the first paint (a tall terminal's screen); the rest follow


def stamp_of(view: ConversationView, row: Conversation) -> float:
    """The number Canvas orders this view by (the cache orders by it, newest first)."""
    return -sort_key(view.mailbox, row)[0]


def offline_line(as_of: datetime | None) -> str:
    when = as_of.astimezone().strftime("%H:%M") if as_of is not None else "an unknown time"
    return f"offline, as of {when}"


class CacheKeeper:
    def __init__(self, cache: Cache, clock: Callable[[], datetime]) -> None:
        self.cache = cache
        self.clock = clock
        self.offline = False
        self.last: Reconciled | None = None  # the last reconcile's figures (tests and benchmarks read them)
        self.notices: list[str] = []  # what opening the cache had to say (a broken file set aside)
        # Started from the cache: the account and what a start does after it are still to be
        # asked of Canvas, at the first reconcile that Canvas answers.
        self._warm = False
        # One reconcile at a time: a reconnect's resync while the start's own reconcile runs waits
        # for it, then asks Canvas only what changed since.
        self._in_step = asyncio.Lock()
        self._catching_up: asyncio.Future | None = None
        # Set by a UI that paints: the rest of the cache (100,000 rows to decode) and the reconcile
        # wait until the first screen is on the terminal, rather than slow down its first frame.
        self.first_paint: asyncio.Event | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-writer")
        # While offline: listening for Canvas's next answer, and the catch-up that answer started.
        self._stop_listening: Callable[[], None] | None = None
        self._recovering: asyncio.Future | None = None
        # What the cache holds of the account and the count: the same facts heard again (read from
        # the cache at start) are not written again.
        self._kept_account: tuple | None = None
        self._kept_count: int | None = None

    def attach(self, client: "CanvasClient", account: "Account", rows: "LoadedViews", report: "Reports",
               background: "Background", *, follow_up: Callable[[], None]) -> None:
        """The inbox this keeper keeps: its client, account, loaded views and change channel; the
        work it leaves running goes in ``background``, and ``follow_up`` is what a start does
        once Canvas has answered (called after a start from the cache, at its first reconcile)."""
        self.client = client
        self.account_facts = account
        self.rows = rows
        self.report = report
        self.background = background
        self.follow_up = follow_up

    # -- writing, off the event loop ------------------------------------------------------------
    def _submit(self, job: Callable, *args, **kwargs) -> None:
        def run() -> None:
            try:
                job(*args, **kwargs)
            except Exception:  # a cache that cannot be written must not break the inbox
                log.exception("could not write the cache")

        self._writer.submit(run)

    def flush(self) -> None:
        """Wait until every change handed over so far is written (tests, and before closing)."""
        self._writer.submit(lambda: None).result()

    def filled(self, view: ConversationView, *, complete: bool) -> None:
        rows = [(stamp_of(view, row), row) for row in view.all()]
        self._submit(self.cache.save_view, view_name(*view.key), rows, complete=complete)
        if complete and view.key == ("inbox", None):
            self.synced()

    def placed(self, views: Iterable[ConversationView], rows: list[Conversation]) -> None:
        memberships = [(view_name(*view.key), row.id, stamp_of(view, row) if view.admits(row) else None)
                       for view in views if view.loaded and view.mailbox.scope is not None for row in rows]
        self._submit(self.cache.change, rows, memberships)

    def removed(self, ids: Iterable[int]) -> None:
        self._submit(self.cache.forget, list(ids))

    def opened(self, conversation: Conversation) -> None:
        self._submit(self.cache.save_thread, conversation)

    def heard(self, change: Change) -> None:
        """A change of the inbox: an open thread that changes (a live message) is kept as it now is,
        and the account and the unread count as they are now known."""
        match change:
            case ThreadUpdated(conversation) if conversation is not None and conversation.messages is not None:
                self.opened(conversation)
            case AccountChanged():
                account = self.account_facts
                facts = (account.me, list(account.courses), list(account.groups))
                if facts != self._kept_account:
                    self._kept_account = facts
                    self._submit(self.cache.save_account, *facts)
            case CountsChanged():
                count = self.account_facts.unread_count
                if count != self._kept_count:
                    self._kept_count = count
                    self._submit(self.cache.save_value, "unread_count", count)

    def synced(self) -> None:
        self._submit(self.cache.mark_synced, self.clock())

    # -- reading ----------------------------------------------------------------------------------
    def thread(self, conversation_id: int) -> Conversation | None:
        return self.cache.thread(conversation_id)

    def warm_start(self) -> bool:
        """Paint the last known account and Inbox from the cache, with no request; False if there is none."""
        account = self.cache.account()
        view = self.rows.view
        name = view_name(*view.key)
        if account is None or not self.cache.has_view(name):
            return False
        self._warm = True
        facts = self.account_facts
        facts.me, facts.courses, facts.groups = account
        facts.unread_count = self.cache.value("unread_count")
        self._kept_account = (facts.me, list(facts.courses), list(facts.groups))
        self._kept_count = facts.unread_count
        self.report.emit(AccountChanged())
        self.report.emit(CountsChanged())
        first = self.cache.rows(name, limit=FIRST_SCREEN)
        self.rows.show_kept(view, first)
        self._catching_up = self.background.run(("cache", None), self._catch_up(view, len(first)))
        return True

    def restore(self, view: ConversationView) -> bool:
        """A view not loaded yet, from the cache if it holds it (reconciled after, in the background)."""
        name = view_name(*view.key)
        if not self.cache.has_view(name):
            return False
        self.rows.show_kept(view, self.cache.rows(name, limit=FIRST_SCREEN))
        self.background.run(view.key, self._catch_up(view, len(view.all())))
        return True

    def expect_paint(self) -> None:
        self.first_paint = asyncio.Event()

    def painted(self) -> None:
        if self.first_paint is not None:
            self.first_paint.set()

    async def first_frame(self) -> None:
        """After a start from the cache, wait until its first screen is painted (at once otherwise):
        what asks Canvas next (the live feed, the search indexer) would slow that frame down."""
        if self._catching_up is not None and self.first_paint is not None:
            await self.first_paint.wait()

    async def _catch_up(self, view: ConversationView, shown: int) -> None:
        if self.first_paint is not None:
            await self.first_paint.wait()
        if shown >= FIRST_SCREEN:
            everything = await asyncio.to_thread(self.cache.rows, view_name(*view.key))
            self.rows.show_kept(view, everything)
            if len(everything) >= LARGE_LOAD:
                # As after a load from Canvas (loading.py): rows that live as long as the view, left
                # out of the collector's full passes, which would otherwise walk all of them and
                # pause a key press by a tenth of a second. No collection first: the start froze
                # everything at its first frame (gc_pause.py), and these rows came in a thread with
                # the collector paused, so there is next to no garbage to keep by mistake.
                gc.freeze()
        await self.bring_in_step(view)

    @property
    def busy(self) -> bool:
        return self._in_step.locked()

    async def refresh(self) -> bool:
        """What a reconnect or ``ctrl+r`` does with a cache: the start's catch-up first, if it is still
        reading the rest of the cache (reconciling a view holding only its first screen would take
        every other row for new), then a reconcile of the current view."""
        if self._catching_up is not None and not self._catching_up.done():
            await asyncio.shield(self._catching_up)
        return await self.bring_in_step()

    async def bring_in_step(self, view: ConversationView | None = None) -> bool:
        """Reconcile a view (the current one) with Canvas; True if Canvas answered."""
        async with self._in_step:
            return await self._bring_in_step(view or self.rows.view)

    async def _bring_in_step(self, view: ConversationView) -> bool:
        if view.mailbox.scope is None:
            return True
        filters = [view.filter_code] if view.filter_code else None
        client, facts = self.client, self.account_facts
        try:
            if self._warm:
                facts.courses, facts.groups = await asyncio.gather(client.get_courses(), client.get_groups())
                self.report.emit(AccountChanged())
            done, unread = await asyncio.gather(reconcile(client, view.mailbox.scope, filters, view.all()),
                                                client.unread_count())
        except NetworkError:
            self.went_offline()
            return False
        except CanvasError as error:
            self.report.fail(error)
            return False
        self.last = done
        self.came_back()
        facts.unread_count = unread
        self.report.emit(CountsChanged())
        self.rows.show_kept(view, done.rows)
        # Only what changed is written: a reconcile of 100,000 rows with 50 changes writes 50.
        name = view_name(*view.key)
        changed = [row for row in done.rows if row.id in done.fetched or row.id in done.restated]
        self._submit(self.cache.change, changed, [(name, row.id, stamp_of(view, row)) for row in changed]
                     + [(name, cid, None) for cid in done.gone])
        if view.key == ("inbox", None):
            self.synced()
        if self._warm:
            self._warm = False
            self.follow_up()
        return True

    def offline_thread(self, conversation_id: int) -> Conversation | None:
        """The thread as last read, with its row's state as the list has it now; None (and one
        line saying why) when it was never opened here."""
        if not self.offline:
            self.went_offline()
        cached = self.cache.thread(conversation_id)
        if cached is None:
            self.report.fail(ValueError("Canvas cannot be reached and this conversation was never opened here, "
                                    "so it is not in the local cache: it can be read once Canvas answers again."))
            return None
        row = self.rows.row(conversation_id)
        return dataclasses.replace(row, messages=cached.messages) if row is not None else cached

    def went_offline(self) -> None:
        self.offline = True
        if self._stop_listening is None:
            self._stop_listening = self.client.http.on_answer(self._heard_from_canvas)
        self.report.emit(WentOffline(self.cache.synced_at))

    def _heard_from_canvas(self) -> None:
        """Canvas answered a request: bring the view in step now (once; its own requests answer too)."""
        if self.offline and not self.busy and (self._recovering is None or self._recovering.done()):
            self._recovering = asyncio.ensure_future(self.refresh())

    def came_back(self) -> None:
        self._stop_hearing()
        if self.offline:
            self.offline = False
            self.report.emit(CameOnline())

    def _stop_hearing(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def close(self) -> None:
        self._stop_hearing()
        if self._recovering is not None:
            self._recovering.cancel()
        self._writer.shutdown(wait=True)
        self.cache.close()
