"""Nobody added to a conversation misses a message: what the newcomers did not get of its last minute.

Canvas does not order its events. A message written just after someone was added can be
routed before the ``conversation_forwarded`` that added them, with the participants as
they were: the newcomer's copy is never made. So when the router routes a forward, the
conversation's copies of the last minute are read from the history (one filter,
``deliver.user.*.conversation.<id>``: every participant's copy) and each newcomer is given,
in stored order, each event no copy of theirs holds: once, as their subject then has it
(and ``Nats-Msg-Id`` makes a second try a duplicate JetStream drops). Only events that
happened at or after the forward (their ``event_time``): a message from before they were
added was not theirs to receive live (live-stream.md, "Who receives what").

A message routed at the same moment by another instance, still with the old list, can be
stored just after that look: the look is made once more ``recheck_seconds`` later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime

from .history import HistoryUnavailable, read_copies, seconds_ago
from .subjects import conversation_copies, conversation_subject

log = logging.getLogger("tui_inbox.relay.newcomers")

LOOKBACK_SECONDS = 60.0
RECHECK_SECONDS = 5.0


class Newcomers:
    def __init__(self, broker, *, lookback_seconds: float = LOOKBACK_SECONDS,
                 recheck_seconds: float = RECHECK_SECONDS, metrics=None) -> None:
        self.broker = broker
        self.lookback = lookback_seconds
        self.recheck = recheck_seconds
        self.metrics = metrics
        self._later: set[asyncio.Task] = set()

    async def welcome(self, conversation_id: int, user_ids: tuple[int, ...], added_at: str | None = None) -> int:
        """Give the users what they missed of the conversation's last minute now, and look again later.
        ``added_at``: the forward's ``event_time``; events before it are not given."""
        since = event_time(added_at)
        given = await self.give_missed(conversation_id, user_ids, since)
        if self.recheck > 0:
            task = asyncio.create_task(self._again(conversation_id, user_ids, since))
            self._later.add(task)
            task.add_done_callback(self._later.discard)
        return given

    async def _again(self, conversation_id: int, user_ids: tuple[int, ...], since: datetime | None) -> None:
        await asyncio.sleep(self.recheck)
        await self.give_missed(conversation_id, user_ids, since)

    async def give_missed(self, conversation_id: int, user_ids: tuple[int, ...],
                          since: datetime | None = None) -> int:
        """The copies published (0 when the history cannot be read: logged, the forward is routed anyway)."""
        try:
            copies = await read_copies(self.broker.js, [conversation_copies(conversation_id)],
                                       seconds_ago(self.lookback), timeout=self.broker.publish_timeout)
        except HistoryUnavailable as exc:
            log.warning("conversation %d's last minute could not be read (%s): people just added to it may "
                        "miss what was routed before", conversation_id, exc)
            return 0
        holders: dict[str, set[str]] = {}
        first: dict[str, object] = {}
        for copy in copies:
            holders.setdefault(copy.event_id, set()).add(copy.subject)
            if copy.event_id not in first and (since is None or not happened_before(copy.data, since)):
                first[copy.event_id] = copy
        given = 0
        for user_id in user_ids:
            subject = conversation_subject(user_id, conversation_id)
            for event_id, copy in first.items():
                if subject in holders[event_id]:
                    continue
                try:
                    await self.broker.publish_copies(copy.data, event_id, copy.digest, [subject])
                except Exception as exc:  # NATS went away: the rest of the look is lost, said once
                    log.warning("a missed event of conversation %d could not be given to a newcomer (%s)",
                                conversation_id, type(exc).__name__)
                    return given
                holders[event_id].add(subject)
                given += 1
        if given and self.metrics is not None:
            self.metrics.newcomer_copies.inc(given)
        return given

    async def aclose(self) -> None:
        for task in tuple(self._later):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._later, return_exceptions=True)


def event_time(text: object) -> datetime | None:
    """An event's ``event_time`` (ISO-8601, any offset); None if it has none that reads as one."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def happened_before(data: bytes, moment: datetime) -> bool:
    """Whether a copy's event says it happened before ``moment`` (one that does not say is kept)."""
    try:
        when = event_time(json.loads(data)["metadata"].get("event_time"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return when is not None and when < moment
