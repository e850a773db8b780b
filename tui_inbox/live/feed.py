"""``LiveFeed``: one async iterator of what changed, from the stream or the poller.

- No live URL: poll ``unread_count`` forever (POLLING; OFFLINE while Canvas cannot be
  reached; FAILING while it answers, but with a refusal or something broken).
- A live URL: keep the stream up (LIVE). A reconnect resumes from the last event's id
  (``Last-Event-ID``), so what was missed arrives as events, each once; a ``resync`` is
  emitted only when events may have been missed anyway: after a first connect, a
  ``{"resync": true}`` frame, or a reconnect to a server that does not resume (stream.py).
  While the stream is down, poll (POLLING if polls work, OFFLINE if nothing does); once it
  is back, stop polling. While a stream that can resume is down, the first poll's count is
  a baseline, not a change: the gap's events come when it resumes.
- Any answer from Canvas, to any request (the Outbox's, a key press's), ends the wait of a
  poller that failed: it asks at once, so "offline" ends when Canvas is back, not at the
  next try of a long back-off.

The feed is the only writer of ``state``. Changes wait in a bounded queue: if the
consumer falls that far behind, the overflow is dropped and replaced by one
``resync``, which tells the app everything it needs (refetch) without unbounded memory.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Literal

from ..canvas.client import CanvasClient
from ..canvas.live_events import LiveEvent
from .backoff import Backoff
from .poller import UnreadPoller
from .state import FeedState, FeedStatus, utc_now
from .stream import LiveStream, StreamSettings, checked_live_url

log = logging.getLogger("tui_inbox.live")
_CLOSED = object()  # wakes a consumer waiting on an empty queue when the feed closes


@dataclass(frozen=True, slots=True)
class Change:
    kind: Literal["event", "resync", "unread_count"]
    event: LiveEvent | None = None  # kind == "event"
    unread_count: int | None = None  # kind == "unread_count"


class LiveFeed:
    """``async with LiveFeed(client, url) as feed: async for change in feed: ...``

    Raises ``ConfigurationError`` at once if the token may not be sent to ``live_url``
    (see ``checked_live_url``): nothing is ever sent there. A feed made to poll instead
    takes the reason as ``not_live_reason``, and its state keeps giving it while it polls.
    """

    def __init__(
        self,
        client: CanvasClient,
        live_url: str | None,
        *,
        poll_seconds: float = 30.0,
        trusted_live_url: bool = False,
        stream_settings: StreamSettings | None = None,
        poll_backoff: Backoff | None = None,
        max_pending: int = 1000,
        now: Callable[[], datetime] = utc_now,
        not_live_reason: str | None = None,
        reach_seconds: float = 3.0,
    ) -> None:
        self.client = client
        self.state = FeedStatus(now)
        self._poller = UnreadPoller(client, interval=poll_seconds, backoff=poll_backoff, reach_seconds=reach_seconds)
        self._stream: LiveStream | None = None
        if live_url and live_url.strip():
            url = checked_live_url(live_url, client.http, trusted=trusted_live_url)
            # Asked for the token at each handshake; it stays a Token (repr "Token(***)") until written.
            self._stream = LiveStream(url, client.http.tokens, stream_settings)
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=max_pending)
        self._overflowed = False
        self._tasks: set[asyncio.Task] = set()
        self._poll_task: asyncio.Task | None = None
        self._started = self._closed = False
        # What the state is composed from (see _publish).
        self._stream_up = False
        # Why it is not live, for as long as it polls: a live URL refused before the start says so
        # here, and no stream ever comes up to take it back.
        self._stream_error: str | None = not_live_reason
        if not_live_reason:
            self.state.set(FeedState.CONNECTING, not_live_reason)
        self._stream_auth = False
        self._poll_ok: bool | None = None  # None: no poll has answered since polling (re)started
        self._quiet_baseline = False  # the next poll's answer is a baseline the app has already (see _start_polling)
        self._poll_error: str | None = None
        self._poll_unreachable = False  # the last failed poll made no connection at all
        self._stop_listening: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"LiveFeed(stream={self._stream!r}, state={self.state.state.value})"

    # -- lifetime --------------------------------------------------------------------
    def start(self) -> "LiveFeed":
        """Start the background work; needs a running event loop. Idempotent."""
        if self._started or self._closed:
            return self
        self._started = True
        self._stop_listening = self.client.http.on_answer(self._canvas_answered)
        if self._stream is not None:
            self._spawn(self._stream.run(self), "live stream")  # polls start if it fails
        else:
            self._start_polling()
        return self

    async def aclose(self) -> None:
        """Cancel every task and wait for them; the iterator then ends. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._stop_listening is not None:
            self._stop_listening()
        try:
            self._queue.put_nowait(_CLOSED)
        except asyncio.QueueFull:
            pass  # then the consumer is not waiting, and sees _closed on its next call
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.state.set(FeedState.OFFLINE, None)

    async def __aenter__(self) -> "LiveFeed":
        return self.start()

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def __aiter__(self) -> "LiveFeed":
        return self

    async def __anext__(self) -> Change:
        if self._closed:
            raise StopAsyncIteration
        self.start()
        if self._overflowed and self._queue.empty():
            self._overflowed = False
            return Change("resync")
        item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        return item

    def _spawn(self, coro, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro, name=f"tui-inbox {name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled() or self._closed:
            return
        error = task.exception()  # retrieved, so asyncio does not complain later
        if error is not None:  # the loops catch everything: this is a bug, but say so instead of freezing
            log.error("live feed task %s crashed", task.get_name(), exc_info=error)
            self.state.set(FeedState.OFFLINE, "Live updates stopped after an internal error; restart to resume.")

    def _start_polling(self) -> None:
        if self._poll_task is None and not self._closed:
            self._poll_ok, self._poll_error = None, None
            # Polling while a stream that can resume is down: the app was in step when it went, and
            # the gap's events come when it resumes, so the first answer (the baseline) is no news.
            # Only a count that changes after it is (a long outage still refreshes the app).
            self._quiet_baseline = self._stream is not None and self._stream.resume.last_id is not None
            self._poll_task = self._spawn(self._poller.run(self), "unread_count poller")

    def _stop_polling(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()  # aclose still awaits it: it stays in _tasks until done
            self._poll_task = None
        self._poll_ok, self._poll_error = None, None

    def _emit(self, change: Change) -> None:
        if self._closed:
            return
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self._overflowed = True

    # -- the stream's reports (StreamListener) ----------------------------------------
    def stream_up(self) -> None:
        self._stream_up, self._stream_error, self._stream_auth = True, None, False
        self._stop_polling()
        self._publish(updated=True)

    def stream_resync(self) -> None:
        # The stream says when: right after a first connect, and after a reconnect that did not
        # resume (a resync frame, or a server without ids), before the events that follow it.
        self._emit(Change("resync"))

    def stream_event(self, event: LiveEvent) -> None:
        self._emit(Change("event", event=event))
        self._publish(updated=True)

    def stream_down(self, reason: str, auth: bool) -> None:
        self._stream_up, self._stream_error, self._stream_auth = False, reason, auth
        self._start_polling()
        self._publish()

    # -- the poller's reports (PollListener) ------------------------------------------
    def poll_ok(self, count: int, changed: bool) -> None:
        self._poll_ok, self._poll_error = True, None
        baseline, self._quiet_baseline = self._quiet_baseline, False
        if changed and not baseline:
            self._emit(Change("unread_count", unread_count=count))
        self._publish(updated=True)

    def poll_failed(self, message: str, unreachable: bool) -> None:
        self._poll_ok, self._poll_error, self._poll_unreachable = False, message, unreachable
        self._publish()

    def poll_now(self) -> None:
        """Ask Canvas now (the app met no answer elsewhere): if it cannot be reached, the poller
        then tries every few seconds, and its first answer ends "offline"."""
        self._poller.wake()

    def _canvas_answered(self) -> None:
        if self._poll_ok is False and self._poll_unreachable:  # a broken server keeps its back-off
            self._poller.wake()

    def _publish(self, updated: bool = False) -> None:
        if self._stream_up:
            self.state.set(FeedState.LIVE, None, updated=updated)
        elif self._poll_ok is None:  # the stream is down and no poll has answered yet
            self.state.set(FeedState.CONNECTING, self._stream_error, updated=updated)
        elif self._poll_ok:  # the error says why it is not live (None when no stream is configured)
            self.state.set(FeedState.POLLING, self._stream_error, updated=updated)
        elif self._poll_unreachable:  # a refused token is the one thing to tell; otherwise why Canvas is unreachable
            self.state.set(FeedState.OFFLINE, self._stream_error if self._stream_auth else self._poll_error)
        else:  # Canvas answers, but not with a count: say what is wrong, not that the network is down
            self.state.set(FeedState.FAILING, self._stream_error if self._stream_auth else self._poll_error)
