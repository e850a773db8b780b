"""The requests an action and its undo send to Canvas: one copy, for the app's triage, its Outbox
and the shell's verbs (``tui-inbox archive ...``, ``tui-inbox undo``).

One conversation goes in one PUT; more go in Canvas's batch updates (chunks of 500, several at
once, each Progress followed); mute and unmute go one PUT each, as Canvas's batch update has no
(un)subscribe event. Nothing here knows of rows or screens: it says which ids Canvas did not
apply, and why.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..canvas import CanvasError
from ..canvas.bulk import BulkProgress
from ..canvas.errors import UNREACHABLE, NetworkError

if TYPE_CHECKING:
    from ..canvas import CanvasClient

# verb -> (Canvas batch event, past tense for the outcome line)
ACTIONS = {
    "archive": ("archive", "Archived"),
    "unarchive": ("mark_as_read", "Unarchived"),  # Canvas has no unarchive: its Inbox marks read
    "star": ("star", "Starred"),
    "unstar": ("unstar", "Unstarred"),
    "read": ("mark_as_read", "Marked read"),
    "unread": ("mark_as_unread", "Marked unread"),
    "delete": ("destroy", "Deleted"),
    # Canvas's batch update has no (un)subscribe event: these go one PUT per conversation.
    "mute": ("", "Muted"),
    "unmute": ("", "Unmuted"),
}
TOGGLES = {"archive": ("archive", "unarchive"), "star": ("star", "unstar"), "read": ("read", "unread"),
           "mute": ("mute", "unmute")}
MUTE_VERBS = ("mute", "unmute")


@dataclass(frozen=True)
class Before:
    workflow_state: str
    starred: bool
    subscribed: bool = True  # Canvas has no id list of muted conversations: unloaded rows count as subscribed


@dataclass
class Sent:
    """What Canvas did not apply (id -> its reason), and whether no answer came at all."""

    failed: dict[int, str] = field(default_factory=dict)
    unreachable: bool = False


def toggle_of(verb: str) -> str:
    """The family a verb belongs to (unarchive is archive's, unread is read's): what its undo puts back."""
    return next((toggle for toggle, pair in TOGGLES.items() if verb in pair), verb)


async def update_one(client: "CanvasClient", verb: str, cid: int) -> None:
    """One conversation's action in one request (the batch update is for many): the triage's and
    the Outbox's alike. Raises CanvasError."""
    if verb == "delete":
        await client.delete_conversation(cid)
    elif verb in ("star", "unstar"):
        await client.update_conversation(cid, starred=verb == "star")
    else:
        state = {"archive": "archived", "unarchive": "read", "read": "read", "unread": "unread"}[verb]
        await client.update_conversation(cid, workflow_state=state)


async def send_change(client: "CanvasClient", verb: str, ids: list[int],
                      on_progress: Callable[[BulkProgress], None] | None = None) -> Sent:
    """Ask Canvas to apply ``verb`` to ``ids``; never raises for a refusal."""
    sent = Sent()
    try:
        if verb in MUTE_VERBS:
            sent.failed = await subscribe(client, ids, verb == "unmute")
        elif len(ids) == 1:
            await update_one(client, verb, ids[0])
        else:
            # As many chunks at once as the client allows requests at once (8 by default):
            # with the client's default of 3, 2,000 ids (4 chunks) took two rounds.
            result = await client.batch_update(ids, ACTIONS[verb][0], concurrency=client.http.concurrency,
                                               on_progress=on_progress)
            sent.failed = result.failed
    except CanvasError as error:
        sent.failed = {cid: str(error) for cid in ids}
        sent.unreachable = isinstance(error, NetworkError)
    if sent.failed and all(reason.startswith(UNREACHABLE) for reason in sent.failed.values()):
        sent.unreachable = True  # a batch whose every chunk met no answer
    return sent


async def subscribe(client: "CanvasClient", ids: list[int], subscribed: bool,
                    states: dict[int, str] | None = None) -> dict[int, str]:
    """One PUT per conversation (the client bounds how many run at once); ``states`` puts a
    workflow state back in the same PUT (an undo of a mute, which Canvas marked read)."""

    async def one(cid: int) -> None:
        await client.update_conversation(cid, subscribed=subscribed, workflow_state=(states or {}).get(cid))

    answers = await asyncio.gather(*(one(cid) for cid in ids), return_exceptions=True)
    failed: dict[int, str] = {}
    for cid, answer in zip(ids, answers):
        if isinstance(answer, CanvasError):
            failed[cid] = str(answer)
        elif isinstance(answer, BaseException):
            raise answer
    return failed


def undo_verb(toggle: str, was: Before) -> str:
    """The verb that puts one conversation back as it was before an action of this toggle."""
    if toggle == "star":
        return "star" if was.starred else "unstar"
    if toggle == "mute":
        return "unmute" if was.subscribed else "mute"
    verb = {"unread": "unread", "read": "read", "archived": "archive"}[was.workflow_state]
    return "unarchive" if verb == "read" and toggle == "archive" else verb


def undo_groups(toggle: str, before: dict[int, Before]) -> dict[str, list[int]]:
    """The conversations an undo puts back, grouped by the verb that does it (one batch each)."""
    groups: dict[str, list[int]] = {}
    for cid, was in before.items():
        groups.setdefault(undo_verb(toggle, was), []).append(cid)
    return groups


def unmuted_states(before: dict[int, Before], ids: list[int]) -> dict[int, str]:
    """An undone mute makes unread again what was unread: Canvas marked it read when it was muted."""
    return {cid: "unread" for cid in ids if before[cid].workflow_state == "unread"}
