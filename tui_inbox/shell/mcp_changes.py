"""Changing conversations from the MCP server, as the app's triage does, and putting them back.

The same requests as ``inbox/triage.py``: one update for one conversation, Canvas's batch
update (chunks of 500, each Progress followed) for more, one PUT each for mute and unmute
(the batch update has no such event). Only the conversations not already in the asked state
are sent; each one's state before is kept first (``last_change.py``), so ``undo`` sends every
one back to exactly what it was (a conversation starred before an archive stays starred).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Conversation
from ..inbox.triage import ACTIONS, MUTE_VERBS, Before, Triage, update_one
from . import last_change
from .last_change import Change, Part

# The verbs as a script or an assistant names them -> triage's verbs.
VERBS = {"archive": "archive", "unarchive": "unarchive", "star": "star", "unstar": "unstar",
         "mark-read": "read", "mark-unread": "unread", "mute": "mute", "unmute": "unmute", "delete": "delete"}
TOGGLE_OF = {"archive": "archive", "unarchive": "archive", "star": "star", "unstar": "star", "read": "read",
             "unread": "read", "mute": "mute", "unmute": "mute", "delete": "delete"}
ALREADY = {"archive": "already archived", "unarchive": "not archived", "star": "already starred",
           "unstar": "not starred", "read": "already read", "unread": "already unread", "mute": "already muted",
           "unmute": "not muted", "delete": ""}


def triage_verb(name: str) -> str | None:
    """Triage's verb for ``name`` (``mark_read`` and ``mark-read`` alike), or None."""
    return VERBS.get(name.strip().lower().replace("_", "-"))


def needs_change(verb: str, row: Conversation) -> bool:
    """Whether ``verb`` would change ``row`` (already archived is not a change)."""
    match verb:
        case "archive":
            return row.workflow_state != "archived"
        case "unarchive":
            return row.workflow_state == "archived"
        case "star":
            return not row.starred
        case "unstar":
            return row.starred
        case "read":
            return row.workflow_state != "read"
        case "unread":
            return row.workflow_state != "unread"
        case "mute":
            return row.subscribed and not row.private  # Canvas does not mute private conversations
        case "unmute":
            return not row.subscribed
    return True  # delete


@dataclass
class Outcome:
    verb: str
    changed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"verb": self.verb, "changed": self.changed, "failed": {str(k): v for k, v in self.failed.items()},
                "undo": self.verb != "delete" and bool(self.changed)}


def before_of(rows: list[Conversation]) -> dict[int, Before]:
    return {row.id: Before(row.workflow_state, row.starred, row.subscribed) for row in rows}


async def before_now(client: CanvasClient, verb: str, ids: list[int]) -> dict[int, Before]:
    """Each conversation's state now, from Canvas's id lists (three requests, whatever the count,
    as triage's ``remember`` does). Subscribed is what the verb implies: only mute and unmute
    change it, and they are sent only for conversations not already so."""
    unread, archived, starred = (set(found) for found in await asyncio.gather(
        client.conversation_ids("unread"), client.conversation_ids("archived"), client.conversation_ids("starred")))
    return {cid: Before("archived" if cid in archived else "unread" if cid in unread else "read", cid in starred,
                        verb != "unmute") for cid in ids}


async def apply(client: CanvasClient, data, part: Part, verb: str) -> Outcome:
    """Send ``verb`` for the conversations of ``part`` (the caller left out those already so),
    kept for undo first and marked done after."""
    ids = list(part.before)
    # A delete is kept too: an undo then says it cannot be undone, rather than undo the change before it.
    change = Change(verb, [part])
    last_change.keep(data, change)
    failed = await send(client, verb, ids)
    # Every id stays kept, refused or not: a refusal may have landed all the same, and putting
    # back what did not change changes nothing.
    change.state = last_change.DONE
    last_change.keep(data, change)
    return Outcome(verb, [cid for cid in ids if cid not in failed], failed)


async def send(client: CanvasClient, verb: str, ids: list[int], states: dict[int, str] | None = None) -> dict[int, str]:
    """Ask Canvas; the ids it did not apply, with its reasons. ``states``: a mute's undo puts
    the workflow state back in the same PUT (muting had marked it read)."""
    if not ids:
        return {}
    try:
        if verb in MUTE_VERBS:
            answers = await asyncio.gather(*(client.update_conversation(
                cid, subscribed=verb == "unmute", workflow_state=(states or {}).get(cid)) for cid in ids),
                return_exceptions=True)
            failed = {}
            for cid, answer in zip(ids, answers):
                if isinstance(answer, CanvasError):
                    failed[cid] = str(answer)
                elif isinstance(answer, BaseException):
                    raise answer
            return failed
        if len(ids) == 1:
            await update_one(client, verb, ids[0])
            return {}
        result = await client.batch_update(ids, ACTIONS[verb][0], concurrency=client.http.concurrency)
        return dict(result.failed)
    except CanvasError as error:
        return {cid: str(error) for cid in ids}


async def undo_part(client: CanvasClient, verb: str, before: dict[int, Before]) -> dict[int, str]:
    """Put back every conversation of one account's share of a change; what Canvas would not put
    back, and why."""
    toggle = TOGGLE_OF[verb]
    groups: dict[str, list[int]] = {}
    for cid, was in before.items():
        groups.setdefault(Triage.undo_verb(toggle, was), []).append(cid)
    failed: dict[int, str] = {}
    for back, ids in groups.items():
        states = {cid: "unread" for cid in ids if before[cid].workflow_state == "unread"} if toggle == "mute" else None
        failed.update(await send(client, back, ids, states))
    return failed
