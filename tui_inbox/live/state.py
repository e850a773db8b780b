"""The feed's state as the status bar shows it: an observable holder, no UI.

``FeedStatus`` is written only by ``LiveFeed`` and read by anyone who subscribes;
callbacks run synchronously on the event loop, on every change, with an immutable
``Status`` snapshot (so a subscriber can keep a history without copying).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

log = logging.getLogger("tui_inbox.live")


class FeedState(str, enum.Enum):
    CONNECTING = "connecting"  # started, nothing has answered yet
    LIVE = "live"  # the websocket is up: changes arrive as they happen
    POLLING = "polling"  # no websocket (none configured, or it is down) but unread_count polls work
    OFFLINE = "offline"  # nothing works: neither the stream nor the polls reach Canvas
    # Canvas (or whatever answers at its address) answers the polls, but with a refusal or
    # something broken (a 5 GB body, a server error): not "offline", the network is fine.
    FAILING = "not updating"


@dataclass(frozen=True, slots=True)
class Status:
    state: FeedState = FeedState.CONNECTING
    last_update_at: datetime | None = None  # when news last came (an event, a resync, a poll)
    error: str | None = None  # one line for the user: why it is not LIVE, when it is not


Callback = Callable[[Status], None]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class FeedStatus:
    def __init__(self, now: Callable[[], datetime] = utc_now) -> None:
        self._now = now
        self._current = Status()
        self._callbacks: list[Callback] = []

    @property
    def current(self) -> Status:
        return self._current

    @property
    def state(self) -> FeedState:
        return self._current.state

    @property
    def last_update_at(self) -> datetime | None:
        return self._current.last_update_at

    @property
    def error(self) -> str | None:
        return self._current.error

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(status)`` on every change from now on; returns the unsubscribe function."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def set(self, state: FeedState, error: str | None = None, *, updated: bool = False) -> None:
        """Record the state (and, with ``updated``, that news came now); notify if anything changed."""
        new = replace(self._current, state=state, error=error)
        if updated:
            new = replace(new, last_update_at=self._now())
        if new == self._current:
            return
        self._current = new
        for callback in list(self._callbacks):  # a callback may unsubscribe itself
            try:
                callback(new)
            except Exception:  # a broken subscriber must not stop the feed
                log.exception("a feed status subscriber failed")

    def __repr__(self) -> str:
        return f"FeedStatus({self._current!r})"
