"""The MCP server's ``triage`` and ``undo``: a change previewed, confirmed when big, undoable.

``triage`` takes a verb and either conversation ids or a pattern (as ``/`` narrows the app's
list, in a mailbox, default the Inbox), on one account. The conversations already in the asked
state are left out. Up to 20 change on the first call; more than 20 (or any delete, which
cannot be undone) are only previewed: the conversations, their count and a ``confirm_token``
(confirm_tokens.py) that a second call must bring back, and that second call changes exactly
the previewed conversations, whatever a pattern would match by then.

``undo`` takes back the last change made through this server or the shell: a message still
waiting out its send delay, else the change kept in ``last_change.py``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import NotFoundError
from ..canvas.models import Conversation
from ..config import Config, ConfigError, data_dir
from ..inbox.export import course_label
from ..inbox.mailboxes import BY_ID
from ..inbox.query import QueryError, compile_query
from . import last_change, mcp_changes
from .last_change import Part
from .commands import VerbFailed
from .confirm_tokens import ConfirmTokens, Preview, Refused
from .mcp_reading import MAILBOXES, client_of, the_account, user_id_of
from .shapes import row_json

AT_ONCE = 20  # the most conversations changed without a confirming second call


class TriageDesk:
    def __init__(self, config: Config, tokens: ConfirmTokens | None = None,
                 folder: Callable[[], Path] = data_dir) -> None:
        self.config = config
        self.tokens = tokens or ConfirmTokens()
        self.folder = folder  # where the last change is kept (the data folder, read when needed)

    async def triage(self, verb_name: str, *, ids: list[int] | None, pattern: str | None, mailbox: str,
                     account: str | None, confirm_token: str | None) -> dict:
        verb = mcp_changes.triage_verb(verb_name)
        if verb is None:
            raise ConfigError(f"verb must be one of {', '.join(mcp_changes.VERBS)} (it is {verb_name!r})")
        if confirm_token:
            return await self._confirmed(verb, confirm_token, ids, account)
        if bool(ids) == bool(pattern and pattern.strip()):
            raise ConfigError("give either ids or a pattern (as / in the app: course:BIO older:30d, is:unread ...)")
        one = the_account(self.config, account, "triage")
        try:
            async with client_of(self.config, one) as client:
                rows = await (self._rows_by_id(client, ids) if ids else
                              self._rows_matching(client, one, pattern, mailbox))
                change = [row for row in rows if mcp_changes.needs_change(verb, row)]
                already = len(rows) - len(change)
                shapes = [row_json(one.name, row, None) for row in change]
                if not change:
                    return {"verb": verb_name, "changed": [], "failed": {}, "count": 0, "already": already,
                            "undo": False, "line": f"Nothing to change: {_already_line(verb, already)}."}
                if len(change) > AT_ONCE or verb == "delete":
                    token = self.tokens.issue(Preview(one.name, verb, tuple(row.id for row in change)))
                    why = ("delete cannot be undone" if verb == "delete" else
                           f"more than {AT_ONCE} conversations change only when confirmed")
                    return {"verb": verb_name, "account": one.name, "needs_confirmation": True,
                            "count": len(change), "already": already, "conversations": shapes,
                            "confirm_token": token, "expires_in_seconds": int(self.tokens.lifetime),
                            "line": f"Nothing changed yet: {why}. Show the user these {len(change)} conversations; "
                                    "if they agree, call triage again with the same verb and this confirm_token."}
                part = Part(one.name, one.base_url, await user_id_of(client, one), mcp_changes.before_of(change))
                outcome = await mcp_changes.apply(client, self.folder(), part, verb)
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing changed") from None
        return {**outcome.as_json(), "account": one.name, "count": len(change), "already": already,
                "line": _outcome_line(verb, outcome)}

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
            async with client_of(self.config, one) as client:
                before = await mcp_changes.before_now(client, verb, list(preview.ids))
                part = Part(one.name, one.base_url, await user_id_of(client, one), before)
                outcome = await mcp_changes.apply(client, self.folder(), part, verb)
        except CanvasError as error:
            raise VerbFailed(f"{one.name}: {error}; nothing changed") from None
        return {**outcome.as_json(), "account": one.name, "count": len(preview.ids), "already": 0,
                "line": _outcome_line(verb, outcome)}

    async def _rows_by_id(self, client: CanvasClient, ids: list[int]) -> list[Conversation]:
        """Each conversation as it is now, read without marking it read; one that is not there
        stops the call before anything changes."""
        wanted = list(dict.fromkeys(ids))
        answers = await asyncio.gather(*(client.get_conversation(cid, auto_mark_as_read=False) for cid in wanted),
                                       return_exceptions=True)
        missing = [cid for cid, answer in zip(wanted, answers) if isinstance(answer, NotFoundError)]
        if missing:
            raise VerbFailed(f"no conversation {', '.join(map(str, missing[:10]))} in this account; nothing changed")
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return list(answers)

    async def _rows_matching(self, client: CanvasClient, one, pattern: str, mailbox: str) -> list[Conversation]:
        """Every conversation of the mailbox the pattern matches, as ``/`` narrows the app's list."""
        if mailbox not in MAILBOXES:
            raise ConfigError(f"mailbox must be one of {', '.join(MAILBOXES)} (it is {mailbox!r})")
        me = await user_id_of(client, one)
        courses, groups = await asyncio.gather(client.get_courses(), client.get_groups())
        label = lambda row: course_label(row, courses, groups)  # noqa: E731
        try:
            matches = compile_query(pattern, me=me, now=lambda: datetime.now(timezone.utc), course_of=label,
                                    account=one.name, accounts=())
        except QueryError as error:
            raise ConfigError(f"pattern: {error}") from None
        return [row async for row in client.get_conversations(BY_ID[mailbox].scope, None, per_page=100)
                if matches(row)]

    async def undo_change(self) -> dict | None:
        """Put back the last change kept (by this server or the shell's verbs), each account's share
        on its own Canvas; None when there is none."""
        data = self.folder()
        change = last_change.last(data)
        if change is None or not change.parts:
            return None
        count = sum(len(part.before) for part in change.parts)
        if change.verb == "delete":
            raise VerbFailed(f"the last change deleted {count} conversation(s): delete cannot be undone")
        failed: dict[tuple[str, int], str] = {}
        accounts = [part.account for part in change.parts]
        for part in change.parts:
            one = the_account(self.config, part.account, "undo")
            if one.base_url != part.base_url.rstrip("/"):
                raise VerbFailed(f"the last change was made on {part.account} at another Canvas; nothing was undone")
            try:
                async with client_of(self.config, one) as client:
                    if await user_id_of(client, one) != part.user_id:
                        raise VerbFailed(f"the last change was made on {part.account} as another user; "
                                         "nothing was undone")
                    refused = await mcp_changes.undo_part(client, change.verb, part.before)
            except CanvasError as error:
                raise VerbFailed(f"{part.account}: {error}; nothing more was put back") from None
            failed.update({(part.account, cid): reason for cid, reason in refused.items()})
        restored = [cid for part in change.parts for cid in part.before if (part.account, cid) not in failed]
        for part in change.parts:  # what Canvas would not put back stays, for the next undo to try again
            part.before = {cid: was for cid, was in part.before.items() if (part.account, cid) in failed}
        change.parts = [part for part in change.parts if part.before]
        change.state = last_change.DONE if change.parts else last_change.UNDONE
        last_change.keep(data, change)
        line = f"Undone: {len(restored)} conversation(s) back as they were"
        if failed:
            line += f"; {len(failed)} not yet ({next(iter(failed.values()))}): undo again to retry"
        return {"verb": f"undo {change.verb}", "changed": restored, "undo": bool(failed),
                "failed": {f"{account}:{cid}": why for (account, cid), why in failed.items()},
                "accounts": accounts, "line": line}


def _already_line(verb: str, already: int) -> str:
    return f"{already} conversation(s) {mcp_changes.ALREADY[verb]}" if already else "no conversation matched"


def _outcome_line(verb: str, outcome: mcp_changes.Outcome) -> str:
    line = f"{verb}: {len(outcome.changed)} conversation(s) changed"
    if outcome.failed:
        line += f"; {len(outcome.failed)} failed ({next(iter(outcome.failed.values()))})"
    if verb == "delete":
        line += "; delete cannot be undone"
    elif outcome.changed:
        line += "; undo puts them back"
    return line
