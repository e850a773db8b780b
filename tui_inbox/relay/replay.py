"""Resuming (live-stream.md, "Resuming"): what a connection missed, sent from the history before live.

A handshake with ``Last-Event-ID`` is attached to the fanout first (its live frames wait in
its mailbox), then its user's own subjects (the very ones it listens on, so a replayed
event obeys the per-user rule of a live one) are read from the history (history.py) over
the resume window. The copy with the given id marks the position: every event stored
after it is sent, in stored order, once (an event on two of the user's subjects is one
frame, and one with a copy at or before the position the client had), and then the live
frames, less those the replay already sent. An id the window does not hold (older,
unknown, malformed), or a history that cannot be read: one ``{"resync": true}`` frame,
then live: the app resynchronises over REST.

The same replay fills a gap: when this instance's connection to NATS comes back, it heard
nothing of what was routed meanwhile, so each of its connections is replayed from the
last id it sent (or from when it connected, if it sent none yet).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from .history import HistoryUnavailable, read_copies, seconds_ago
from .mailbox import Mailbox

log = logging.getLogger("tui_inbox.relay.replay")

RESYNC = '{"resync":true}'
# The last frames a connection sent (references to frames the fanout shares, not copies): a gap
# replay skips them, as NATS may store two routers' copies in another order than it delivered them.
RECENT_SENT = 64
# Replays that read the history at once: a relay whose NATS came back with thousands of
# connections reads their gaps a few at a time rather than all at once.
REPLAYS_AT_ONCE = 8
# A connection that sent nothing yet has its gap read from when it connected, less this: NATS's
# clock and ours may differ a little (the client drops by id what it already had). A gap after a
# frame sent is read from a little before that frame was sent, then, if its copy is not there
# (clocks further apart), over the whole window.
CLOCK_MARGIN_SECONDS = 1.0
GAP_MARGIN_SECONDS = 5.0


def frame_id(frame: str) -> str | None:
    """The id of a routed frame (the router writes it first: ``{"id":"123",...``)."""
    if frame.startswith('{"id":"'):
        end = frame.find('"', 7)
        if end > 7:
            return frame[7:end]
    return None


class Cursor:
    """Where one connection is in its stream: its subjects, the last event it sent, what a replay sent."""

    __slots__ = ("subjects", "mailbox", "started", "given_id", "replay_due", "last_frame", "last_sent_at", "recent",
                 "replayed")

    def __init__(self, subjects: list[str], mailbox: Mailbox, last_event_id: str | None) -> None:
        self.subjects = subjects
        self.mailbox = mailbox
        self.started = datetime.now(timezone.utc)
        self.given_id = last_event_id
        self.replay_due = last_event_id is not None
        self.last_frame: str | None = None
        self.last_sent_at = 0.0  # time.time() when last_frame was sent
        self.recent: deque[str] | None = None  # made at the first frame sent: idle connections stay small
        self.replayed: set[str] | None = None  # ids a replay sent that live may still bring

    @property
    def last_id(self) -> str | None:
        return frame_id(self.last_frame) if self.last_frame is not None else self.given_id

    def live(self, frames: list[str]) -> list[str]:
        """The live frames still to send: those a replay sent already are dropped (once each)."""
        replayed = self.replayed
        if not replayed:
            return frames
        kept = []
        for frame in frames:
            event_id = frame_id(frame)
            if event_id is not None and event_id in replayed:
                replayed.discard(event_id)
            else:
                kept.append(frame)
        return kept

    def sent(self, frames: list[str]) -> None:
        events = [frame for frame in frames if frame.startswith('{"id"')]
        if not events:
            return
        self.last_frame = events[-1]
        self.last_sent_at = time.time()
        if self.recent is None:
            self.recent = deque(maxlen=RECENT_SENT)
        self.recent.extend(events)

    def recently_sent(self) -> set[str]:
        return {event_id for frame in self.recent or () if (event_id := frame_id(frame)) is not None}


def after(copies, last_id: str, skip: set[str]) -> list | None:
    """The copies stored after the one with ``last_id``, one per event, none the client had; None: not there."""
    had = set(skip)
    found = False
    later = []
    for copy in copies:
        if not found:
            had.add(copy.event_id)
            found = copy.event_id == last_id
        elif copy.event_id not in had:
            had.add(copy.event_id)
            later.append(copy)
    return later if found else None


def once_each(copies, skip: set[str]) -> list:
    seen = set(skip)
    kept = []
    for copy in copies:
        if copy.event_id not in seen:
            seen.add(copy.event_id)
            kept.append(copy)
    return kept


class Resumer:
    """Replays for the connections of one instance; ``js`` reads the history, ``window`` is its length in seconds."""

    def __init__(self, js, window_seconds: float, *, timeout: float = 5.0, metrics=None) -> None:
        self.js = js
        self.window = window_seconds
        self.timeout = timeout
        self.metrics = metrics
        self.cursors: set[Cursor] = set()
        self._slots = asyncio.Semaphore(REPLAYS_AT_ONCE)

    def open(self, subjects: list[str], mailbox: Mailbox, last_event_id: str | None) -> Cursor:
        cursor = Cursor(subjects, mailbox, last_event_id)
        self.cursors.add(cursor)
        return cursor

    def close(self, cursor: Cursor) -> None:
        self.cursors.discard(cursor)

    def fill_gaps(self) -> None:
        """NATS is back: every connection replays what was routed while this instance heard nothing."""
        for cursor in tuple(self.cursors):
            cursor.replay_due = True
            cursor.mailbox.wake()

    async def next_frames(self, cursor: Cursor) -> list[str]:
        """What the connection sends next: a replay if one is due, else the live frames waiting."""
        if cursor.replay_due:
            cursor.replay_due = False
            return await self.replay(cursor)
        return cursor.live(await cursor.mailbox.take())

    async def replay(self, cursor: Cursor) -> list[str]:
        last_id = cursor.last_id
        if last_id is not None and not (last_id.isascii() and last_id.isdigit()):
            return self._resync("malformed")
        try:
            async with self._slots:
                if last_id is None:  # nothing sent yet on this connection: its gap starts when it connected
                    since = cursor.started - timedelta(seconds=CLOCK_MARGIN_SECONDS)
                    copies = once_each(await read_copies(self.js, cursor.subjects, since, timeout=self.timeout),
                                       cursor.recently_sent())
                else:
                    copies = None
                    if cursor.last_frame is not None:  # a gap: it began after that frame was sent
                        since = seconds_ago(min(self.window, time.time() - cursor.last_sent_at + GAP_MARGIN_SECONDS))
                        copies = after(await read_copies(self.js, cursor.subjects, since, timeout=self.timeout),
                                       last_id, cursor.recently_sent())
                    if copies is None:
                        copies = after(await read_copies(self.js, cursor.subjects, seconds_ago(self.window),
                                                         timeout=self.timeout), last_id, cursor.recently_sent())
        except HistoryUnavailable as exc:
            log.warning("a connection's history could not be read (%s): told to resynchronise", exc)
            return self._resync("unavailable")
        if copies is None:
            return self._resync("not_in_window")
        if copies:
            if cursor.replayed is None:
                cursor.replayed = set()
            cursor.replayed.update(copy.event_id for copy in copies)
        if self.metrics is not None:
            self.metrics.replayed.inc(len(copies))
        return [copy.frame for copy in copies]

    def _resync(self, reason: str) -> list[str]:
        if self.metrics is not None:
            self.metrics.resyncs.labels(reason=reason).inc()
        return [RESYNC]
