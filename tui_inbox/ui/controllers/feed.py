"""The live feed's side of the screen: what changed on Canvas, applied through the session; who
wrote, said on the status bar; the feed's state (live, polling, offline) painted beside it."""

from __future__ import annotations

from typing import Callable

from ...inbox.notices import Notice
from ...inbox.text import one_line
from ..widgets.status_bar import StatusBar
from .base import Controller


class FeedUpdates(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self._unsubscribe: Callable[[], None] | None = None

    def follow(self) -> None:
        self.host.run_worker(self._follow(), group="feed")

    async def _follow(self) -> None:
        """Keep the inbox current: refetch what changed when the feed says so."""
        feed = self.host.feed
        self._unsubscribe = feed.state.subscribe(lambda status: self.paint())
        feed.start()
        self.paint()
        async for change in feed:
            try:
                await self.host.on_feed_change(change)  # through the app, where a test may wrap it
            except Exception as error:  # a bad update must not stop the feed
                self.show_failed_update(error)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def reconcile(self) -> None:
        self.host.run_worker(self.session.refresh(), group="reconcile")

    def nothing_to_paint(self) -> bool:
        """The app is quitting or its widgets are gone (or covered by the composer or a dialog): a
        late update has nothing to paint on."""
        return not self.host.is_running or not self.host.screen.query(StatusBar)

    def show_failed_update(self, error: Exception) -> None:
        if not self.nothing_to_paint():
            self.status.show_error(f"Could not apply an update: {error}")

    async def apply(self, change) -> None:
        if change.kind in ("resync", "unread_count"):
            # Events may have been missed (or there are none): the current view and the count, again.
            await self.session.refresh()
            return
        event = change.event
        if event is None:
            return
        if event.is_conversation:
            conversation = await self.session.live.apply(event)
            notice = self.session.live.notice(event, conversation) if conversation is not None else None
            if notice:
                self.announce(notice)
        elif event.is_discussion:
            item = await self.session.activity.apply(event)
            if item is not None and item.author:
                self.announce(Notice("post", one_line(item.author), f"{one_line(item.author)} posted in {one_line(item.topic_title)}"))

    def announce(self, notice: Notice) -> None:
        """Who wrote, on the status bar (never over the thread, the composer or a dialog), with a bell
        or a desktop notification if asked; nothing at all for "none" ([live] notify)."""
        mode = self.host.notify_mode
        if mode == "none" or self.nothing_to_paint():
            return  # silence asked for (the list still updates, nothing is said), or nothing to say it on
        self.status.show_notice(notice)  # names and subjects are server text: the bar shows them as text
        if mode == "bell":
            self.host.bell()
        elif mode == "desktop":
            from ...inbox.opener import desktop_notification

            desktop_notification("tui-inbox", notice.text)

    def paint(self) -> None:
        if self.nothing_to_paint():
            return
        status = self.host.feed.state.current
        bar = self.status
        if status.state.value in ("live", "polling"):
            bar.withdraw("network")  # Canvas answers again: "Cannot reach Canvas" no longer holds
            keeper = self.session.keeper
            if keeper is not None and keeper.offline and not keeper.busy:
                self.reconcile()  # started from the cache while offline: in step with Canvas now
            if self.session.outbox is not None:
                self.session.outbox.nudge()  # what waited in the Outbox goes now
            if self.screen.search.indexer_waits:
                self.screen.search.run_indexer()  # carries on from what it had indexed
        if status.error and status.error != bar.feed_detail:
            bar.remember("feed", f"{status.state.value}: {status.error}")
        bar.feed = status.state.value
        if status.error:
            bar.feed_detail = status.error
        elif status.last_update_at is not None:
            bar.feed_detail = f"updated {status.last_update_at.astimezone().strftime('%H:%M:%S')}"
        else:
            bar.feed_detail = ""
