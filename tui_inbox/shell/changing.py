"""A change to conversations from outside the app: which ones, what is already so, send, undo.

No printing and no questions here (``triage.py`` does those for the command line), so that
another surface can make the same change with the same rules:

- ``plan_ids`` / ``plan_pattern``: the conversations a verb is for, with their rows as Canvas has
  them now: the ids given (every one checked to be in the account before anything is sent), or
  what a pattern of ``/`` matches in a mailbox. Those already as asked are left out with the
  reason ("already archived"): nothing is sent for them and they are not counted as changed.
- ``apply``: the journal first (``journal.py``: each conversation's state before), then the
  core's requests (``inbox/triage_requests.py``, as the app's triage sends them), then the
  journal marked done.
- ``undo``: every conversation of the last change back to its state before, on its own account.

The app's cache and instance lock are never touched: the change goes to Canvas, and an app open
on the account sees it through its feed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

from ..canvas import CanvasClient, CanvasError, NotFoundError
from ..canvas.bulk import BulkProgress
from ..canvas.models import Conversation
from ..config import Config, ConfigError
from ..inbox.export import course_label
from ..inbox.mailboxes import BY_ID
from ..inbox.triage_requests import (
    Before, send_change, subscribe, toggle_of, undo_groups, unmuted_states,
)
from ..launch import account_of
from . import journal
from .accounts import Known
from .commands import VerbFailed
from .reading import _matcher

PRIVATE = "a private (one-to-one) conversation: Canvas mutes only group conversations"


@dataclass
class Plan:
    """One account's share of a change: what changes, and what is left as it is (id -> why)."""

    verb: str  # the core's verb (read, not mark-read)
    account: Known
    me: int
    change: list[tuple[Conversation, str | None]] = field(default_factory=list)  # each row and its course
    unchanged: dict[int, str] = field(default_factory=dict)
    matched: int = 0  # what the ids or the pattern named, before what is already so was left out
    failed: dict[int, str] = field(default_factory=dict)  # after apply: what Canvas did not apply, and why

    @property
    def ids(self) -> list[int]:
        return [row.id for row, _ in self.change]

    @property
    def changed(self) -> list[int]:
        return [cid for cid in self.ids if cid not in self.failed]


def already(verb: str, row: Conversation) -> str | None:
    """Why ``row`` needs no change for ``verb`` (it is so already), or None when it does."""
    state = row.workflow_state
    if verb == "archive" and state == "archived":
        return "already archived"
    if verb == "unarchive" and state != "archived":
        return "not archived"
    # Canvas's mark_as_read takes an archived conversation out of the archive: archived is read already.
    if verb == "read" and state != "unread":
        return "already read" + (" (archived)" if state == "archived" else "")
    if verb == "unread" and state == "unread":
        return "already unread"
    if verb == "star" and row.starred:
        return "already starred"
    if verb == "unstar" and not row.starred:
        return "not starred"
    if verb == "mute" and row.private:
        return PRIVATE
    if verb == "mute" and not row.subscribed:
        return "already muted"
    if verb == "unmute" and row.subscribed:
        return "not muted"
    return None


def client_of(config: Config, one: Known) -> CanvasClient:
    return CanvasClient(one.base_url, account_of(config, one.settings).token, timeout=15)


def _split(plan: Plan, rows: list[tuple[Conversation, str | None]]) -> Plan:
    plan.matched = len(rows)
    for row, label in rows:
        reason = already(plan.verb, row)
        if reason is None:
            plan.change.append((row, label))
        else:
            plan.unchanged[row.id] = reason
    return plan


async def plan_ids(config: Config, one: Known, verb: str, ids: list[int]) -> Plan:
    """The conversations ``ids`` names, each read from Canvas (not marked read); VerbFailed names
    every id the account does not have, and nothing is sent."""
    async with client_of(config, one) as client:
        try:
            me = (await client.get_self()).id
            courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing was changed") from None
        answers = await asyncio.gather(*(client.get_conversation(cid, auto_mark_as_read=False) for cid in ids),
                                       return_exceptions=True)
    missing = [cid for cid, answer in zip(ids, answers) if isinstance(answer, NotFoundError)]
    if missing:
        raise VerbFailed(f"no conversation {', '.join(map(str, missing))} in {one.name} (`tui-inbox list` shows "
                         "the ids); nothing was changed")
    for cid, answer in zip(ids, answers):
        if isinstance(answer, CanvasError):
            raise VerbFailed(f"{cid}: {answer}; nothing was changed")
        if isinstance(answer, BaseException):
            raise answer
    rows = [(answer, course_label(answer, courses, groups)) for answer in answers]
    return _split(Plan(verb, one, me), rows)


async def plan_pattern(config: Config, one: Known, verb: str, pattern: str, mailbox: str, names: list[str]) -> Plan:
    """What ``pattern`` matches in ``mailbox`` (as ``/`` narrows it in the app), newest first."""
    if not pattern.strip():
        raise ConfigError(f"{verb}: --pattern is empty, and would match every conversation; give one "
                          "(is:unread, course:bio older:30d, from:jane ...)")
    async with client_of(config, one) as client:
        try:
            me = (await client.get_self()).id
            courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
            label: Callable[[Conversation], str | None] = lambda row: course_label(row, courses, groups)  # noqa: E731
            matches = _matcher(pattern, me, label, one.name, names, verb)
            rows = [(row, label(row)) async for row in client.get_conversations(BY_ID[mailbox].scope, per_page=100)
                    if matches(row)]
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing was changed") from None
    return _split(Plan(verb, one, me), rows)


async def apply(config: Config, plans: list[Plan], on_progress: Callable[[int, int], None] | None = None) -> None:
    """Send each plan's change to its own Canvas, the journal written first; fills each plan's ``failed``."""
    plans = [plan for plan in plans if plan.change]
    if not plans:
        return
    verb = plans[0].verb
    last = journal.LastChange(verb, [journal.Part(plan.account.name, plan.account.base_url, plan.me,
                                                  {row.id: Before(row.workflow_state, row.starred, row.subscribed)
                                                   for row, _ in plan.change})
                                     for plan in plans])
    journal.save(last)  # before anything is sent: an interrupted change can still be undone
    total = sum(len(plan.change) for plan in plans)
    done = 0
    for plan in plans:
        def report(progress: BulkProgress, base: int = done) -> None:
            if on_progress:
                on_progress(base + progress.done, total)

        async with client_of(config, plan.account) as client:
            sent = await send_change(client, verb, plan.ids, report)
        plan.failed = sent.failed
        done += len(plan.change)
        if on_progress:
            on_progress(done, total)
    # Every id stays in the journal, refused or not: a refusal may have landed all the same (an
    # answer lost after Canvas made the change), and putting back what did not change changes nothing.
    last.state = journal.DONE
    journal.save(last)


async def undo(config: Config, last: journal.LastChange, accounts: dict[str, Known],
               on_progress: Callable[[int, int], None] | None = None
               ) -> tuple[list[tuple[str, int]], dict[tuple[str, int], str]]:
    """Put every conversation of ``last`` back as it was, each on its own account (checked to be
    the same Canvas and user first: conversation 12 of another account is another conversation);
    returns what was put back ((account, id) each) and what Canvas would not put back ((account, id) -> why).
    The journal then keeps only those, for the next undo to try again."""
    toggle = toggle_of(last.verb)
    for part in last.parts:
        one = accounts[part.account]
        if one.base_url != part.base_url.rstrip("/"):
            raise VerbFailed(f"the last change was made on {part.account} at {part.base_url}, and the config's "
                             f"{part.account} is now {one.base_url}; nothing was undone")
        async with client_of(config, one) as client:
            try:
                me = (await client.get_self()).id
            except CanvasError as error:
                raise VerbFailed(f"{part.account}: {error}; nothing was undone") from None
        if me != part.user_id:
            raise VerbFailed(f"the last change was made on {part.account} as another user than its token is now "
                             "for; nothing was undone")
    failed: dict[tuple[str, int], str] = {}
    total = sum(len(part.before) for part in last.parts)
    done = 0
    for part in last.parts:
        async with client_of(config, accounts[part.account]) as client:
            for verb, ids in undo_groups(toggle, part.before).items():
                if toggle == "mute":
                    # Subscribed again, and unread again if the mute had marked it read: one PUT each.
                    refused = await subscribe(client, ids, verb == "unmute", unmuted_states(part.before, ids))
                else:
                    refused = (await send_change(client, verb, ids)).failed
                failed.update({(part.account, cid): reason for cid, reason in refused.items()})
                done += len(ids)
                if on_progress:
                    on_progress(done, total)
    restored = [(part.account, cid) for part in last.parts for cid in part.before if (part.account, cid) not in failed]
    for part in last.parts:
        part.before = {cid: was for cid, was in part.before.items() if (part.account, cid) in failed}
    last.parts = [part for part in last.parts if part.before]
    last.state = journal.DONE if last.parts else journal.UNDONE
    journal.save(last)
    return restored, failed
