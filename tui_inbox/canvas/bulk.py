"""Batch update of any number of conversations: chunks of 500, each Progress followed to its end.

Canvas's ``PUT /conversations`` takes at most 500 ids and answers with a Progress that
runs in the background. Chunks are sent a few at a time (bounded, and paced by the
client's rate-limit pacer), each Progress is polled until completed or failed, and the
ids that failed are read from the Progress message, whose lines look like
``The user is not participating in this conversation: 7, 9`` (canvas-api.md section 4).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from .errors import CanvasError
from .models import Progress

if TYPE_CHECKING:
    from .client import CanvasClient

CHUNK = 500
FAILURE_LINE = re.compile(r"^(?P<reason>.+?):\s*(?P<ids>[\w\s,]+)$")


@dataclass
class BulkResult:
    event: str
    requested: list[int]
    failed: dict[int, str] = field(default_factory=dict)  # id -> the reason Canvas gave
    requests: int = 0  # batch requests sent (not counting progress polls)
    polls: int = 0

    @property
    def succeeded(self) -> list[int]:
        return [i for i in self.requested if i not in self.failed]


@dataclass
class BulkProgress:
    done: int
    total: int


def failures_from(progress: Progress, chunk: Sequence[int]) -> dict[int, str]:
    """Which ids of a finished chunk failed, and why, from the Progress message."""
    failed: dict[int, str] = {}
    lines = (progress.message or "").splitlines()
    for line in lines[1:] if lines and "processed" in lines[0] else lines:
        match = FAILURE_LINE.match(line.strip())
        if not match:
            continue
        for raw in re.split(r"[\s,]+", match.group("ids").strip()):
            if raw.isdigit() and int(raw) in chunk:
                failed[int(raw)] = match.group("reason").strip()
    if progress.workflow_state == "failed" and not failed:
        reason = (lines[0] if lines else "") or "Canvas could not apply the change"
        failed = {i: reason for i in chunk}
    return failed


async def follow(client: "CanvasClient", progress: Progress, *, first_poll: float = 0.02, max_poll: float = 1.0,
                 on_update: Callable[[Progress], None] | None = None, result: BulkResult | None = None) -> Progress:
    """Poll a Progress until it is completed or failed, polling gently (growing intervals)."""
    interval = first_poll
    while not progress.done:
        await asyncio.sleep(interval)
        interval = min(max_poll, interval * 1.6)
        progress = await client.get_progress(progress.id)
        if result is not None:
            result.polls += 1
        if on_update:
            on_update(progress)
    return progress


async def batch_update(
    client: "CanvasClient",
    conversation_ids: Sequence[int],
    event: str,
    *,
    concurrency: int = 3,
    on_progress: Callable[[BulkProgress], None] | None = None,
) -> BulkResult:
    """Apply ``event`` to every id; returns which failed and why (never raises for a failed chunk)."""
    ids = list(dict.fromkeys(int(i) for i in conversation_ids))
    result = BulkResult(event, ids)
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    share = {index: 0.0 for index in range(len(chunks))}
    gate = asyncio.Semaphore(max(1, concurrency))

    def report(index: int, completion: float) -> None:
        share[index] = completion / 100.0
        if on_progress:
            done = int(sum(share[i] * len(chunks[i]) for i in share))
            on_progress(BulkProgress(done, len(ids)))

    async def run(index: int, chunk: list[int]) -> None:
        async with gate:
            try:
                result.requests += 1
                progress = await client.batch_update_request(chunk, event)
                progress = await follow(client, progress, result=result,
                                        on_update=lambda p: report(index, p.completion))
            except CanvasError as error:
                result.failed.update({i: str(error) for i in chunk})
                report(index, 100.0)
                return
            result.failed.update(failures_from(progress, chunk))
            report(index, 100.0)

    await asyncio.gather(*(run(i, chunk) for i, chunk in enumerate(chunks)))
    return result
