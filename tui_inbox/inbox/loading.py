"""Reading the mailboxes and the unread count from Canvas: the first page at once, the rest in
the background, in Canvas's order; with a local cache, only what changed (offline.py)."""

from __future__ import annotations

import asyncio
import gc

from .changes import CountsChanged, ViewChanged
from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation
from .account import Account
from .background import Background
from .loaded_views import LoadedViews
from .ports import CachedViews, Reports
from .view import ConversationView

LARGE_LOAD = 10_000


class Loader:
    def __init__(self, client: CanvasClient, account: Account, rows: LoadedViews, report: Reports,
                 background: Background, cache: CachedViews | None, *, first_page: int = 100) -> None:
        self.client = client
        self.account = account
        self.rows = rows
        self.report = report
        self.background = background
        self.cache = cache
        self.first_page = first_page

    async def load(self, *, force: bool = False) -> ConversationView:
        """The first page at once, then the whole scope in the background (kept in Canvas's order)."""
        view = self.rows.view
        if (view.loaded and not force) or view.mailbox.scope is None:
            return view
        if not view.loaded and self.cache is not None and self.cache.restore(view):
            return view
        filters = [view.filter_code] if view.filter_code else None
        first = await self.client.get_conversations_page(view.mailbox.scope, filters, per_page=self.first_page)
        if not view.loaded or force:
            self.rows.let_go_all()
            self.rows.fill(view, first, complete=len(first) < self.first_page)
            self.report.emit(ViewChanged())
        if len(first) >= self.first_page:
            self.background.restart(view.key, self._load_rest(view, filters))
        return view

    async def _load_rest(self, view: ConversationView, filters) -> None:
        try:
            everything = await self.client.load_conversations(view.mailbox.scope, filters)
        except CanvasError as error:
            self.report.fail(error)
            return
        self.fill(view, everything)

    def fill(self, view: ConversationView, rows: list[Conversation]) -> None:
        """Put a whole mailbox's rows in its view and tell the app."""
        self.rows.fill(view, rows, complete=True)
        if len(rows) >= LARGE_LOAD:
            # Tens of thousands of rows live as long as the view: leave them out of the
            # collector's full passes, which otherwise pause the app for half a second.
            gc.collect()
            gc.freeze()
        self.report.emit(ViewChanged())

    async def refresh(self) -> None:
        """Reload the current view and the unread count (``ctrl+r``, and after a reconnect): with a
        cache, only what changed (inbox/reconcile.py)."""
        if self.cache is not None and self.rows.view.loaded:
            await self.cache.refresh()
            return
        # Both at once, but one failure is one line: when Canvas cannot be reached both fail, and
        # the view's error (the caller's to say) stands for the count's too.
        loaded, counted = await asyncio.gather(self.load(force=True), self.client.unread_count(),
                                               return_exceptions=True)
        if isinstance(loaded, BaseException):
            raise loaded
        if isinstance(counted, CanvasError):
            self.report.fail(counted)
        elif isinstance(counted, BaseException):
            raise counted
        else:
            self.counted(counted)

    async def refresh_unread(self) -> None:
        try:
            count = await self.client.unread_count()
        except CanvasError as error:
            self.report.fail(error)
            return
        self.counted(count)

    def counted(self, count: int) -> None:
        self.account.unread_count = count
        self.report.emit(CountsChanged())
