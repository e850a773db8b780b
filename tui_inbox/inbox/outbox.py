"""The Outbox: what the user did while Canvas could not be reached, and messages waiting out
the undo-send delay, carried out in order once Canvas answers, each exactly once.

An action (archive, star, read, delete) or a message that meets an unreachable Canvas (the
client's ``NetworkError`` for a request that never left: ``sent`` is False) is not lost:
the rows change on screen as usual and the item waits on disk (store/outbox.py). A request
that may have arrived is not queued blindly: actions are idempotent and simply asked again,
and a message is settled by the client's delivery check (canvas/delivery.py) as before.

While items wait, a background task tries the oldest one every ``retry_seconds`` (that try
is the probe: no extra request), and at once when told Canvas is back (``nudge``, from the
live feed's state). Each item is marked ``sending`` on disk before its request leaves; one
found so after a crash is an action asked again (idempotent) or a message that may have
gone, whose text goes back to Drafts with a line saying to check Sent. A message whose
conversation was deleted meanwhile (404) is a conflict: one line, its text back in Drafts.
Every outcome is one line on the status bar and in the messages log (``L``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from .changes import Change, OutboxChanged, OutboxSaid
from .replying import name_people
from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import SIGN_IN_AGAIN, UNREACHABLE, NetworkError, NotFoundError, SignInNeeded
from ..store.outbox import MESSAGE, Item, OutboxStore
from .compose import Draft
from .text import one_line
from .triage import ACTIONS, plural, update_one

log = logging.getLogger("tui_inbox.inbox.outbox")
# The kinds of message the Outbox keeps; "add people" fails as before. A discussion reply is
# public: it waits out the same undo delay as a message.
QUEUED_MESSAGES = ("new", "reply", "reply_all", "forward", "discussion_reply")
Emit = Callable[[Change], None]
SendMessage = Callable[[Draft], Awaitable[str]]


@dataclass
class Offline(Exception):
    """Canvas did not answer a queued item: it stays, and later ones wait behind it."""

    reason: str


def first_words(text: str, limit: int = 40) -> str:
    line = one_line(text or "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def describe(item: Item, subject_of: Callable[[int], str | None] = lambda cid: None) -> str:
    """What an item is, for the Outbox mailbox: a message by recipient and first words, an
    action by what and on which conversation."""
    if item.is_message:
        return describe_draft(Draft.from_dict(item.payload))
    subjects = [one_line(s) for s in (subject_of(cid) for cid in item.targets[:2]) if s]
    what = ", ".join(f"“{s}”" for s in subjects) if subjects else plural(len(item.targets))
    if len(item.targets) > len(subjects) and subjects:
        what += f" and {len(item.targets) - len(subjects):,} more"
    return f"{verb_label(item.kind)} {what}"


def describe_draft(draft: Draft) -> str:
    """A message by what it is, to whom, and its first words ("Reply to Jane Doe: See you at ten")."""
    who = name_people([one_line(r.label) for r in draft.to]) or "the conversation"
    return f"{draft.title} to {who}: {first_words(draft.body)}"


def is_discussion(item: Item) -> bool:
    return item.is_message and item.payload.get("kind") == "discussion_reply"


def verb_label(kind: str) -> str:
    return {"archive": "Archive", "unarchive": "Unarchive", "star": "Star", "unstar": "Unstar",
            "read": "Mark read", "unread": "Mark unread", "delete": "Delete"}.get(kind, kind)


class Outbox:
    def __init__(self, store: OutboxStore, client: CanvasClient, emit: Emit, send_message: SendMessage, *,
                 send_delay: float = 0.0, retry_seconds: float = 5.0, clock: Callable[[], float] = time.time,
                 ready: Callable[[], bool] = lambda: True) -> None:
        self.store = store
        self.client = client
        self.emit = emit
        self.send_message = send_message
        self.send_delay = send_delay
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.ready = ready  # False until the user is known: a message's delivery check needs its author
        self.offline = False  # the last request to Canvas met no answer: new items wait behind
        self._lock = asyncio.Lock()  # one carrier at a time: an item is never carried out twice
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.last_delayed: Item | None = None  # the message ``u`` can bring back, while it waits
        self.last_delayed_at = 0.0  # monotonic, to tell whether it or triage's last action is newer

    # -- what is waiting -------------------------------------------------------------------
    def items(self) -> list[Item]:
        return self.store.items()

    @property
    def count(self) -> int:
        return len(self.store.items())

    def backlog(self) -> bool:
        """Items due but not yet carried out: anything new goes behind them, to keep the order.
        An empty Outbox is no reason to wait, offline or not: the next request is the probe."""
        now = self.clock()
        return any(item.due_at <= now for item in self.store.items())

    def delayed(self) -> Item | None:
        """The newest message still inside its undo delay, if any."""
        item = self.last_delayed
        if item is None:
            return None
        fresh = self.store.get(item.position)
        if fresh is None or fresh.state != "waiting" or fresh.due_at <= self.clock():
            return None
        return fresh

    def seconds_left(self) -> int | None:
        item = self.delayed()
        if item is None:
            return None
        return max(1, int(item.due_at - self.clock() + 0.999))

    # -- queueing ----------------------------------------------------------------------------
    def takes(self, draft: Draft) -> bool:
        return draft.kind in QUEUED_MESSAGES

    def hold_message(self, draft: Draft, *, delay: float = 0.0, offline: bool = False) -> str:
        """Move a draft into the Outbox (out of Drafts, in one transaction); returns the line to show."""
        target = [draft.conversation_id] if draft.conversation_id is not None else []
        item = self.store.add(MESSAGE, target, draft.to_dict(), due_at=self.clock() + delay, take_draft=draft.key)
        if delay > 0 and not offline:
            self.last_delayed, self.last_delayed_at = item, time.monotonic()
        self.changed()
        if offline or self.offline:
            return "Offline: the message will be sent when Canvas is back (Outbox)"
        return f"Sending in {int(delay + 0.999)} s (u undoes)"

    def hold_action(self, verb: str, ids: list[int]) -> tuple[Item, str]:
        item = self.store.add(verb, list(ids))
        self.changed()
        past = ACTIONS[verb][1]
        return item, f"Offline: {past[0].lower()}{past[1:]} here, will be done when Canvas is back (Outbox)"

    def undo_send(self) -> Draft | None:
        """Bring the message waiting out its delay back (to the composer): None if it already left."""
        item = self.delayed()
        if item is None:
            return None
        # Back in Drafts in the same transaction: the composer opens it from there, as any draft.
        taken = self.store.take(item.position, to_draft=Draft.from_dict(item.payload).key)
        self.last_delayed = None
        self.changed()
        return Draft.from_dict(taken.payload) if taken is not None else None

    def take(self, position: int, *, to_drafts: bool = False) -> Item | None:
        """Take a waiting item out (Enter on a message, back to Drafts; ``d``, gone): None if it
        is on its way already."""
        found = self.store.get(position)
        key = Draft.from_dict(found.payload).key if to_drafts and found is not None and found.is_message else None
        item = self.store.take(position, to_draft=key)
        if item is not None:
            if self.last_delayed is not None and self.last_delayed.position == position:
                self.last_delayed = None
            self.changed()
        return item

    async def drop_action(self, position: int) -> bool:
        """An action undone (``u``) before it reached Canvas: it leaves the Outbox unsent. Waits
        for a try in progress (offline, the oldest item is tried every few seconds): after it,
        the item is either still waiting (taken out) or done (False: undo it on Canvas)."""
        async with self._lock:
            return self.take(position) is not None

    def unreachable(self) -> None:
        """A request met no answer at all: what comes next waits behind what is queued."""
        self.offline = True

    def changed(self) -> None:
        self.emit(OutboxChanged())
        self._wake.set()

    def nudge(self) -> None:
        """Canvas answers again (the live feed says so): try what waits now, not at the next retry."""
        if self.store.items():
            self._wake.set()

    # -- carrying out ----------------------------------------------------------------------------
    def start(self) -> None:
        self.recover()
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def recover(self) -> None:
        """Items left ``sending`` by a crash: actions are asked again; a message may have gone."""
        for item in self.store.items(("sending",)):
            if not item.is_message:
                self.store.mark(item.position, "waiting")
                continue
            draft = Draft.from_dict(item.payload)
            back = self.store.settle(item.position, "failed", "may have been sent", to_draft=draft.key)
            who = name_people([one_line(r.label) for r in draft.to]) or "the conversation"
            where = "the discussion" if draft.kind == "discussion_reply" else "Sent"
            self.say(f"The message “{first_words(draft.body)}” to {who} was being sent when tui-inbox stopped: "
                     f"it may have gone, check {where} before sending again. "
                     + ("Its text is back in Drafts." if back else "Its text is kept in the Outbox."), failed=True)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._next_wait())
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # a bug in one item must not stop the Outbox for good
                log.exception("the outbox could not carry out an item")

    def _next_wait(self) -> float | None:
        items = self.store.items(("waiting",))
        if not items or not self.ready():
            return None  # nothing to do, or not yet: a nudge wakes it
        now = self.clock()
        soonest = min(item.due_at for item in items) - now
        if self.offline:
            return max(0.05, min(self.retry_seconds, soonest if soonest > 0 else self.retry_seconds))
        return max(0.05, soonest) if soonest > 0 else 0.05

    async def flush(self, *, everything: bool = False) -> int:
        """Carry out the due items in order (``everything``: the delayed messages too, for quitting).
        Stops at the first that meets no answer. Returns how many were carried out."""
        if not self.ready():
            return 0
        async with self._lock:
            done = 0
            for item in self.store.items(("waiting",)):
                if everything:
                    self.store.due_now(item.position)
                elif item.due_at > self.clock():
                    continue  # a message inside its undo delay: later items do not wait for it
                fresh = self.store.get(item.position)
                if fresh is None or fresh.state != "waiting":
                    continue  # undone or taken out meanwhile
                try:
                    await self._carry(fresh)
                except Offline as why:
                    self.offline = True
                    self.emit(OutboxChanged())
                    log.info("outbox waits: %s", why.reason)
                    return done
                done += 1
                self.offline = False
            self.emit(OutboxChanged())
            return done

    async def _carry(self, item: Item) -> None:
        self.store.mark(item.position, "sending")  # on disk before the request leaves
        if self.last_delayed is not None and self.last_delayed.position == item.position:
            self.last_delayed = None  # too late to undo
        self.emit(OutboxChanged())
        try:
            if item.is_message:
                line = await self._send(item)
            else:
                line = await self._act(item)
        except Offline:
            self.store.mark(item.position, "waiting")
            raise
        except NotFoundError as error:
            self._conflict(item, error)
            return
        except NetworkError as error:
            if not (error.sent and is_discussion(item)):
                self._failed(item, error)
                return
            self._uncertain(item, error)
            return
        except (CanvasError, OSError) as error:
            self._failed(item, error)
            return
        self.store.mark(item.position, "done", line)
        self.say(line)

    async def _send(self, item: Item) -> str:
        draft = Draft.from_dict(item.payload)
        try:
            return await self.send_message(draft)
        except SignInNeeded as error:  # Canvas did nothing: the item waits for the next sign-in
            raise Offline(str(error)) from None
        except NetworkError as error:
            if not error.sent:
                raise Offline(str(error)) from None
            raise

    async def _act(self, item: Item) -> str:
        verb, ids = item.kind, item.targets
        client = self.client
        try:
            if len(ids) == 1:
                await update_one(client, verb, ids[0])
                failed: dict[int, str] = {}
            else:
                result = await client.batch_update(ids, ACTIONS[verb][0], concurrency=client.http.concurrency)
                failed = result.failed
        except (NetworkError, SignInNeeded) as error:  # a refused renewal: waits for the next sign-in
            raise Offline(str(error)) from None
        if failed and all(reason.startswith(UNREACHABLE) or SIGN_IN_AGAIN in reason for reason in failed.values()):
            raise Offline(next(iter(failed.values())))
        past = ACTIONS[verb][1]
        line = f"Outbox: {past.lower()} {plural(len(ids) - len(failed))}"
        if failed:
            line += f"; {len(failed):,} not: {next(iter(failed.values()))}"
        return line

    def _conflict(self, item: Item, error: CanvasError) -> None:
        gone = "the discussion" if is_discussion(item) else "the conversation"
        self._give_up(item, "conflict", str(error), f"{gone} was deleted meanwhile")

    def _uncertain(self, item: Item, error: NetworkError) -> None:
        """A discussion reply whose answer was lost: it may be posted (a discussion has no delivery
        check, and a public post must not go twice): never "not sent", and its text kept."""
        draft = Draft.from_dict(item.payload)
        back = self.store.settle(item.position, "failed", "may have been sent", to_draft=draft.key)
        kept = "your text is back in Drafts" if back else "your text is kept in the Outbox"
        self.say(f"Outbox: the reply may have been posted ({error}); check the discussion before sending "
                 f"it again; {kept}.", failed=True)

    def _failed(self, item: Item, error: Exception) -> None:
        self._give_up(item, "failed", str(error), str(error))

    def _give_up(self, item: Item, state: str, reason: str, why: str) -> None:
        """An item Canvas refused for good: one line, and a message's text back in Drafts (never lost)."""
        if item.is_message:
            draft = Draft.from_dict(item.payload)
            back = self.store.settle(item.position, state, reason, to_draft=draft.key)
            kept = "your text is back in Drafts" if back else "your text is kept in the Outbox"
            self.say(f"Outbox: not sent, {why}; {kept}.", failed=True)
        else:
            self.store.mark(item.position, state, reason)
            self.say(f"Outbox: not {ACTIONS[item.kind][1].lower()}, {why}.", failed=True)

    def say(self, line: str, *, failed: bool = False) -> None:
        self.emit(OutboxSaid(line, failed))

    async def aclose(self, *, send_due: bool = True) -> int:
        """Stop; first send what is waiting out its delay (quitting must not drop a sent message)."""
        sent = 0
        if send_due and any(item.is_message for item in self.store.items(("waiting",))) and not self.offline:
            try:
                sent = await self.flush(everything=True)
            except Exception:
                log.exception("the outbox could not send before closing")
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        return sent

