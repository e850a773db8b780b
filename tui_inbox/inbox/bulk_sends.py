"""Large sends: how many people a draft reaches, what Canvas requires past 100, and the
background batches that deliver it.

Canvas refuses a message to more than 100 people unless it is a bulk message
(``bulk_message`` and ``group_conversation`` true: one new conversation per person), and
builds a bulk message's conversations one by one. Sent with ``mode=async`` it answers at
once with a batch id, and ``GET /conversations/batches`` lists the batch until it is done
(canvas-api.md section 3, seed 002). ``BulkSends`` follows those batches, the ones this
session started and the ones still running when it started, and reports their progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Callable

from .changes import Change, Failed, SendDone, SendsProgressed
from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Batch
from .compose import Draft
from .text import one_line

log = logging.getLogger("tui_inbox.inbox")
MAX_GROUP = 100  # Canvas's max_group_conversation_size: more people than this only as a bulk message
# From this many people a batch is sent async: a sync one answers only after every conversation
# is made, a request that grows with the audience, and the user has nothing to watch meanwhile.
ASYNC_FROM = 25
POLL_SECONDS = 0.5
GIVE_UP_AFTER = 5  # failed polls in a row before the app stops following (the batch goes on in Canvas)


def audience(draft: Draft) -> int | None:
    """How many people the draft goes to: each person once, each course or group by its member
    count (people in two of them are counted twice: Canvas sends them one message). None when a
    context's size is not known."""
    total = 0
    for ref in draft.to:
        if ref.id.isdigit():
            total += 1
        elif ref.count is None:
            return None
        else:
            total += ref.count
    return total


def must_be_bulk(draft: Draft) -> bool:
    """Canvas takes more than 100 people only as a bulk message (individual conversations)."""
    size = audience(draft)
    return draft.kind in ("new", "forward") and size is not None and size > MAX_GROUP


def is_batch(draft: Draft) -> bool:
    """Whether Canvas makes one conversation per person (a ConversationBatch) for this draft."""
    if draft.individual:
        return True
    return not draft.group_conversation and (len(draft.to) > 1 or any(not r.id.isdigit() for r in draft.to))


def sends_async(draft: Draft) -> bool:
    size = audience(draft)
    return draft.kind in ("new", "forward") and is_batch(draft) and size is not None and size >= ASYNC_FROM


def bulk_notice(draft: Draft) -> str | None:
    """What the composer says about a large audience, or None for a small one."""
    size = audience(draft)
    if size is None or draft.kind not in ("new", "forward"):
        return None
    if must_be_bulk(draft):
        return (f"{size} people: Canvas takes more than {MAX_GROUP} only as individual messages (a bulk message, "
                "one new conversation each); it goes out in the background with a progress bar.")
    if sends_async(draft):
        return f"{size} people, one conversation each: it goes out in the background with a progress bar."
    return None


@dataclass
class SendProgress:
    """One bulk send being delivered, as the progress bar shows it."""

    batch_id: int
    label: str  # the subject, or the start of the message
    total: int | None  # people; None when Canvas did not say
    completion: float  # 0 to 1
    started: float
    workflow_state: str = "created"

    @property
    def done(self) -> int:
        return round(self.completion * (self.total or 100))

    @property
    def eta_seconds(self) -> float | None:
        if self.completion <= 0 or self.completion >= 1:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / self.completion * (1 - self.completion)


@dataclass
class Overall:
    """All running bulk sends as one bar: people reached of people to reach."""

    done: int
    total: int
    eta_seconds: float | None
    label: str


def overall(sends: list[SendProgress]) -> Overall | None:
    if not sends:
        return None
    etas = [s.eta_seconds for s in sends]
    eta = None if any(e is None for e in etas) else max(etas)  # type: ignore[type-var]
    if len(sends) == 1:
        one = sends[0]
        label = f"sending “{one.label}”" + (f" to {one.total}" if one.total else "")
    else:
        label = f"{len(sends)} bulk sends"
    return Overall(sum(s.done for s in sends), sum(s.total or 100 for s in sends), eta, label)


def label_of(subject: str | None, body: str | None) -> str:
    text = one_line(subject or "") or one_line(body or "")
    return text if len(text) <= 40 else text[:39] + "…"


class BulkSends:
    """The bulk sends running for this user, polled from ``/conversations/batches`` until each is done.

    ``emit`` is the change sink: ``SendsProgressed`` after every poll, and ``SendDone`` with a send
    that finished. ``on_finished`` hears a finished send first (Sent is read again when shown)."""

    def __init__(self, client: CanvasClient, emit: Callable[[Change], None],
                 on_finished: Callable[[SendProgress], None], *, poll_seconds: float = POLL_SECONDS) -> None:
        self.client = client
        self.emit = emit
        self.on_finished = on_finished
        self.poll_seconds = poll_seconds
        self.running: dict[int, SendProgress] = {}
        self.finished: list[SendProgress] = []
        self._task: asyncio.Task | None = None

    async def resume(self) -> None:
        """At start: batches Canvas is still delivering (sent before the app was opened) are shown too."""
        try:
            batches = await self.client.get_running_batches()
        except CanvasError as error:  # the inbox works without it; the sends go on in Canvas
            log.warning("could not list running bulk sends: %s", error)
            return
        for batch in batches:
            self._update(batch)
        if batches:
            self._ensure_following()

    def follow(self, batch_id: int, total: int | None, label: str) -> None:
        """A bulk send this session just started."""
        self.running.setdefault(batch_id, SendProgress(batch_id, label, total, 0.0, time.monotonic()))
        self.emit(SendsProgressed())
        self._ensure_following()

    def progress(self) -> list[SendProgress]:
        return list(self.running.values())

    def _update(self, batch: Batch) -> None:
        known = self.running.get(batch.id)
        if known is None:
            message = batch.message
            known = self.running[batch.id] = SendProgress(
                batch.id, label_of(batch.subject, message.body if message else None),
                batch.recipient_count, 0.0, time.monotonic())
        if batch.recipient_count:
            known.total = batch.recipient_count
        known.completion = min(1.0, max(known.completion, batch.completion))
        known.workflow_state = batch.workflow_state

    def _ensure_following(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._follow())

    async def _follow(self) -> None:
        failures = 0
        while self.running:
            await asyncio.sleep(self.poll_seconds)
            try:
                batches = await self.client.get_running_batches()
            except CanvasError as error:
                failures += 1
                if failures >= GIVE_UP_AFTER:
                    self.running.clear()
                    self.emit(SendsProgressed())
                    self.emit(Failed(f"Stopped following the bulk send ({error}); Canvas goes on "
                                     "delivering it: Sent shows the conversations as they are made."))
                    return
                continue
            failures = 0
            listed = {b.id for b in batches}
            for batch in batches:
                self._update(batch)
            for batch_id in [b for b in self.running if b not in listed]:
                done = self.running.pop(batch_id)
                done.completion, done.workflow_state = 1.0, "sent"
                self.finished.append(done)
                self.on_finished(done)
                self.emit(SendDone(done))
            self.emit(SendsProgressed())

    async def wait(self) -> None:
        """Until every followed send is done (benchmarks and tests)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
