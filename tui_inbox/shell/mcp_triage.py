"""The MCP server's ``triage`` and ``undo``: a change previewed, confirmed when big, undoable.

``triage`` takes a verb and either conversation ids or a pattern (as ``/`` narrows the app's
list, in a mailbox, default the Inbox), on one account. The rules are the shell's verbs' own
(``changing.py``): which conversations a verb is for, those already in the asked state left out
with the reason, the journal (``journal.py``) written before anything is sent, under its lock.
Up to 20 change on the first call; more than 20 (or any delete, which cannot be undone) are
only previewed: the conversations, their count and a ``confirm_token`` (confirm_tokens.py)
that a second call must bring back, and that second call changes exactly the previewed
conversations (read again, so one made so meanwhile is left alone), whatever a pattern would
match by then.

``undo`` takes back the last change made through this server or the shell's verbs (the same
journal, ``changing.undo``); a message still waiting out its send delay is the server's
(``mcp_server.py``), taken back before this is asked.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

from ..canvas import CanvasError
from ..config import Config, ConfigError
from . import changing, journal
from .changing import Plan
from .commands import VerbFailed
from .confirm_tokens import ConfirmTokens, Preview, Refused
from .mcp_reading import MAILBOXES, the_account
from .shapes import row_json
from .triage import CORE_VERB

AT_ONCE = 20  # the most conversations changed without a confirming second call


def core_verb(name: str) -> str | None:
    """The core's verb for ``name`` as a script or an assistant says it (``mark_read``, ``mark-read``), or None."""
    return CORE_VERB.get(name.strip().lower().replace("_", "-"))


@asynccontextmanager
async def held() -> AsyncIterator[None]:
    """The shell's change lock (``journal.held``), waited for off the event loop: a change or
    undo of ``tui-inbox`` in progress finishes first."""
    lock = journal.held()
    taking = asyncio.ensure_future(asyncio.to_thread(lock.__enter__))
    try:
        await asyncio.shield(taking)
    except asyncio.CancelledError:  # the call was given up: the lock, once taken, is let go at once
        taking.add_done_callback(lambda done: done.exception() or lock.__exit__(None, None, None))
        raise
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


class TriageDesk:
    def __init__(self, config: Config, tokens: ConfirmTokens | None = None) -> None:
        self.config = config
        self.tokens = tokens or ConfirmTokens()

    async def triage(self, verb_name: str, *, ids: list[int] | None, pattern: str | None, mailbox: str,
                     account: str | None, confirm_token: str | None) -> dict:
        verb = core_verb(verb_name)
        if verb is None:
            raise ConfigError(f"verb must be one of {', '.join(CORE_VERB)} (it is {verb_name!r})")
        if confirm_token:
            return await self._confirmed(verb, confirm_token, ids, account)
        if bool(ids) == bool(pattern and pattern.strip()):
            raise ConfigError("give either ids or a pattern (as / in the app: course:BIO older:30d, is:unread ...)")
        if not ids and mailbox not in MAILBOXES:
            raise ConfigError(f"mailbox must be one of {', '.join(MAILBOXES)} (it is {mailbox!r})")
        one = the_account(self.config, account, "triage")
        try:
            plan = await (changing.plan_ids(self.config, one, verb, list(dict.fromkeys(ids or []))) if ids else
                          changing.plan_pattern(self.config, one, verb, pattern or "", mailbox, [one.name]))
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing changed") from None
        already = len(plan.unchanged)
        if not plan.change:
            return {"verb": verb_name, "account": one.name, "changed": [], "failed": {}, "count": 0,
                    "already": already, "undo": False, "line": f"Nothing to change: {_already_line(plan)}."}
        if len(plan.change) > AT_ONCE or verb == "delete":
            token = self.tokens.issue(Preview(one.name, verb, tuple(plan.ids)))
            why = ("delete cannot be undone" if verb == "delete" else
                   f"more than {AT_ONCE} conversations change only when confirmed")
            return {"verb": verb_name, "account": one.name, "needs_confirmation": True,
                    "count": len(plan.change), "already": already,
                    "conversations": [row_json(one.name, row, label) for row, label in plan.change],
                    "confirm_token": token, "expires_in_seconds": int(self.tokens.lifetime),
                    "line": f"Nothing changed yet: {why}. Show the user these {len(plan.change)} conversations; "
                            "if they agree, call triage again with the same verb and this confirm_token."}
        return await self._apply(plan)

    async def _confirmed(self, verb: str, token: str, ids: list[int] | None, account: str | None) -> dict:
        try:
            preview = self.tokens.take(token, verb, account or None)
        except Refused as refusal:
            raise VerbFailed(str(refusal)) from None
        if ids and sorted(set(ids)) != sorted(preview.ids):
            raise VerbFailed("those ids are not the previewed conversations: nothing changed; call triage again "
                             "without a confirm_token for a new preview")
        one = the_account(self.config, preview.account, "triage")
        try:
            # Exactly the previewed ids, each read again: one gone since stops the change, one made
            # so since is left alone.
            plan = await changing.plan_ids(self.config, one, verb, list(preview.ids))
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing changed") from None
        return await self._apply(plan)

    async def _apply(self, plan: Plan) -> dict:
        """Send ``plan`` through the shell's ``apply``: the journal first, under the shell's lock."""
        if plan.change:
            try:
                async with held():
                    await changing.apply(self.config, [plan])
            except CanvasError as error:
                raise VerbFailed(f"{plan.account.name}: {error}; the journal holds what was sent: "
                                 "undo puts it back") from None
        changed = plan.changed
        return {"verb": plan.verb, "account": plan.account.name, "changed": changed,
                "failed": {str(cid): why for cid, why in plan.failed.items()},
                "undo": plan.verb != "delete" and bool(changed), "count": len(plan.change),
                "already": len(plan.unchanged), "line": _outcome_line(plan)}

    async def undo_change(self) -> dict | None:
        """Put back the last change in the shell's journal (this server's or ``tui-inbox``'s verbs'),
        each account's share on its own Canvas; None when there is none."""
        async with held():
            try:
                last = journal.load()
            except journal.JournalError as error:
                raise VerbFailed(str(error)) from None
            if last is None or last.state == journal.UNDONE or not last.parts:
                return None
            if not last.reversible:
                count = sum(len(part.before) for part in last.parts)
                raise VerbFailed(f"the last change deleted {count} conversation(s): delete cannot be undone")
            accounts = {part.account: the_account(self.config, part.account, "undo") for part in last.parts}
            try:
                restored, failed = await changing.undo(self.config, last, accounts)
            except CanvasError as error:
                raise VerbFailed(f"{error}; nothing more was put back: undo again to retry") from None
        line = f"Undone: {len(restored)} conversation(s) back as they were"
        if failed:
            line += f"; {len(failed)} not yet ({next(iter(failed.values()))}): undo again to retry"
        return {"verb": f"undo {last.verb}", "changed": [cid for _, cid in restored], "undo": bool(failed),
                "failed": {f"{name}:{cid}": why for (name, cid), why in failed.items()},
                "accounts": list(accounts), "line": line}


def _already_line(plan: Plan) -> str:
    if not plan.unchanged:
        return "no conversation matched"
    reasons: dict[str, int] = {}
    for reason in plan.unchanged.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    return "; ".join(f"{count} {reason}" for reason, count in reasons.items())


def _outcome_line(plan: Plan) -> str:
    line = f"{plan.verb}: {len(plan.changed)} conversation(s) changed"
    if plan.failed:
        line += f"; {len(plan.failed)} failed ({next(iter(plan.failed.values()))})"
    if plan.verb == "delete":
        line += "; delete cannot be undone"
    elif plan.changed:
        line += "; undo puts them back"
    return line
