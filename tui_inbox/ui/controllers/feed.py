"""The live feed's side of the screen: what changed on Canvas, applied through the session; who
wrote, said on the status bar; the feed's state (live, polling, offline) painted beside it."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ...inbox.accounts import AccountState
from ...inbox.notices import Notice
from ...inbox.text import one_line
from ..widgets.status_bar import StatusBar
from .base import Controller


class FeedUpdates(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self._unsubscribe: list[Callable[[], None]] = []

    def follow(self, account: str | None = None) -> None:
        """Follow each account's feed (or this one account's), each in its own worker: one that
        cannot reach its Canvas never holds up another's."""
        for name in self.host.accounts.names:
            if account not in (None, name):
                continue
            feed = self.host.feeds.get(name)
            if feed is None and name in self.host.feed_makers:
                feed = self.host.feeds[name] = self.host.feed_makers.pop(name)()
            if feed is not None:
                self.host.run_worker(self._follow(name, feed), group="feed")

    async def _follow(self, account: str, feed) -> None:
        """Keep the inbox current: refetch what changed when the feed says so."""
        self._unsubscribe.append(feed.state.subscribe(lambda status: self.paint(account)))
        feed.start()
        self.paint(account)
        async for change in feed:
            try:
                await self.host.on_feed_change(change, account)  # through the app, where a test may wrap it
            except Exception as error:  # a bad update must not stop the feed
                self.show_failed_update(error, account)

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def reconcile(self, account: str) -> None:
        self.host.run_worker(self.host.accounts.session(account).refresh(), group="reconcile")

    def nothing_to_paint(self) -> bool:
        """The app is quitting or its widgets are gone (or covered by the composer or a dialog): a
        late update has nothing to paint on."""
        return not self.host.is_running or not self.host.screen.query(StatusBar)

    def show_failed_update(self, error: Exception, account: str | None = None) -> None:
        if not self.nothing_to_paint():
            line = f"Could not apply an update: {error}"
            self.status.show_error(self.screen.aim.at(account, line) if account else line)

    async def apply(self, change, account: str | None = None) -> None:
        """One change from ``account``'s feed (the first account's when not said), applied to its session."""
        session = self.host.accounts.session(account or self.host.accounts.names[0])
        if change.kind in ("resync", "unread_count"):
            # Events may have been missed (or there are none): the current view and the count, again.
            await session.refresh()
            return
        event = change.event
        if event is None:
            return
        if event.is_conversation:
            conversation = await session.live.apply(event)
            notice = session.live.notice(event, conversation) if conversation is not None else None
            if notice:
                # With several accounts the sentence says at which ("river: New message from …").
                self.announce(replace(notice, text=self.screen.aim.at(account, notice.text)) if account else notice)
        elif event.is_discussion:
            item = await session.activity.apply(event)
            if item is not None and item.author:
                line = f"{one_line(item.author)} posted in {one_line(item.topic_title)}"
                self.announce(Notice("post", one_line(item.author), self.screen.aim.at(account, line) if account else line))

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

    def paint(self, account: str) -> None:
        """``account``'s feed changed state: what follows from it, and the status bar (and, with several
        accounts, the rail, where each account says its own state)."""
        if self.nothing_to_paint():
            return
        feed = self.host.feeds[account]
        session = self.host.accounts.session(account)
        status = feed.state.current
        bar = self.status
        if status.state.value in ("live", "polling"):
            if self.host.accounts.state_of(account) is AccountState.SIGNED_OUT:
                # Its polls (or its stream) are answered with its token: signed in again (`tui-inbox login`).
                self.host.accounts.set_state(account, AccountState.READY)
            if not self.screen.aim.several:
                bar.withdraw("network")  # Canvas answers again: "Cannot reach Canvas" no longer holds
            keeper = session.keeper
            if keeper is not None and keeper.offline and not keeper.busy:
                self.reconcile(account)  # started from the cache while offline: in step with Canvas now
            if session.outbox is not None:
                session.outbox.nudge()  # what waited in the Outbox goes now
            if account in self.screen.search.waiting:
                self.screen.search.run_indexer(account)  # carries on from what it had indexed
        if status.error and status.error != bar.feed_detail:
            bar.remember("feed", self.screen.aim.at(account, f"{status.state.value}: {status.error}"))
        if self.screen.aim.several:
            self.paint_several(bar)
            self.screen.paint_rail()
            return
        bar.feed = status.state.value
        if status.error:
            bar.feed_detail = status.error
        elif status.last_update_at is not None:
            bar.feed_detail = f"updated {status.last_update_at.astimezone().strftime('%H:%M:%S')}"
        else:
            bar.feed_detail = ""

    def paint_several(self, bar: StatusBar) -> None:
        """Several accounts: the bar's state is theirs together when they agree ("live"); else the
        least connected one's, and its detail says each account's ("state live, river offline"), in
        the rail's words (an account that could not start has no feed: its state says why)."""
        rail = self.screen.title_and_rail
        states = {member.name: rail.account_state(member) for member in self.host.accounts}
        values = set(states.values())
        if len(values) == 1:
            bar.feed = values.pop()
            bar.feed_detail = ""
            return
        order = ["sign in again", "failed", "offline", "throttled", "starting", "polling", "ready", "live"]
        bar.feed = min(values, key=lambda state: order.index(state) if state in order else -1)
        bar.feed_detail = ", ".join(f"{name} {state}" for name, state in states.items())
