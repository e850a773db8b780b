"""The MCP server's ``send_message``: through the Outbox with the undo delay, as ``tui-inbox send``.

The message goes the way shell/sending.py sends it (the app's sender and Outbox, under the
shell's own account key ``<account key>/shell``, so the open app never carries it too), with
its recipients and course found as ``tui-inbox send`` finds them. What differs is time: the
server lives on between calls, so a message waits out ``[compose] send_delay_seconds`` in the
Outbox while the call has already returned, saying when it leaves; until then ``undo`` takes
it back, unsent. Asked to ``wait``, the call returns once it has left, with where it went.
When the server stops, a message still waiting leaves first: the user sent it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..canvas import CanvasClient, CanvasError
from ..config import Config, ConfigError, data_dir
from ..inbox.changes import OutboxSaid
from ..inbox.compose import Draft
from ..inbox.session import InboxSession
from ..launch import account_of
from ..store.drafts import DraftStore
from ..store.paths import account_key
from .commands import VerbFailed
from .mcp_reading import the_account, user_id_of
from .sending import MODES, _context, _recipient
from .shapes import iso


@dataclass
class Held:
    """One account's sender, kept for the server's life, its Outbox carrying messages out."""

    name: str
    session: InboxSession
    client: CanvasClient
    drafts: DraftStore
    said: list[OutboxSaid] = field(default_factory=list)
    heard: asyncio.Event = field(default_factory=asyncio.Event)


class Sending:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.held: dict[str, Held] = {}
        self.newest: Held | None = None  # whose message went into the Outbox last (what undo takes back)
        self.newest_at = 0.0  # monotonic, to tell it from the last triage change

    async def send(self, account: str | None, *, to: list[str], subject: str, course: str | None, body: str,
                   mode: str, reply_to: int | None, reply_all: bool, wait: bool) -> dict:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)} (it is {mode!r})")
        if reply_to is None and not to:
            raise ConfigError("give the recipients (to), or the conversation to reply to (reply_to)")
        held = await self._held(account)
        client = held.client
        try:
            if reply_to is not None:
                draft = Draft(kind="reply_all" if reply_all else "reply", conversation_id=reply_to, body=body)
            else:
                context = await _context(client, course) if course else None
                people = [await _recipient(client, name, context) for name in to]
                group, individual = MODES[mode]
                draft = Draft(kind="new", to=people, context_code=context, subject=subject, body=body,
                              group_conversation=group, individual=individual)
        except CanvasError as error:
            raise VerbFailed(str(error)) from None
        problems = draft.problems()
        if problems:
            raise ConfigError(problems[0])
        outbox = held.session.outbox
        held.said.clear()
        held.session.sender.last_landing = None  # where this message goes, not the one before
        outcome = await held.session.sender.send(draft)
        if not outcome.ok:
            raise VerbFailed(f"not sent: {outcome.message}")
        waiting = outbox.delayed()
        if waiting is None:  # no delay (or offline: it waits for Canvas, and leaves once it is back)
            return {"sent": not outcome.message.startswith("Offline"), "queued": outcome.message.startswith("Offline"),
                    "conversation_ids": _landed(held, draft), "undo_window_seconds": 0, "leaves_at": None,
                    "line": outcome.message}
        self.newest, self.newest_at = held, time.monotonic()
        if wait:
            while (item := outbox.store.get(waiting.position)) is not None and item.state in ("waiting", "sending"):
                held.heard.clear()
                await held.heard.wait()
            line = held.said[-1] if held.said else None  # the Outbox's line on how it ended
            return {"sent": line is not None and not line.failed, "queued": False,
                    "conversation_ids": _landed(held, draft), "undo_window_seconds": 0, "leaves_at": None,
                    "line": line.line if line else "sent"}
        left = max(0.0, waiting.due_at - outbox.clock())
        return {"sent": False, "queued": True, "conversation_ids": [reply_to] if reply_to is not None else [],
                "undo_window_seconds": round(left, 1),
                "leaves_at": iso(datetime.fromtimestamp(waiting.due_at, timezone.utc)),
                "line": f"In the Outbox: it leaves in {left:.0f} s; undo takes it back, unsent, until then."
                        + ("" if reply_to is not None else " Where it went (the conversation ids): "
                           "list_conversations with mailbox sent, once it has left.")}

    def take_back(self) -> dict | None:
        """The newest message still inside its undo delay, taken out of the Outbox unsent; None
        when none waits (it has left)."""
        held = self.newest
        if held is None:
            return None
        outbox = held.session.outbox
        waiting = outbox.delayed()
        if waiting is None:
            return None
        taken = outbox.store.take(waiting.position)  # the assistant has its text: no draft is left behind
        outbox.last_delayed = None
        if taken is None:
            return None
        draft = Draft.from_dict(taken.payload)
        return {"undone": True, "account": held.name, "sent": False, "body": draft.body,
                "line": "Taken back from the Outbox before it left: nothing was sent."}

    async def _held(self, account: str | None) -> Held:
        one = the_account(self.config, account, "send_message")
        if one.name in self.held:
            return self.held[one.name]
        client = CanvasClient(one.base_url, account_of(self.config, one.settings).token)
        try:
            me = await user_id_of(client, one)
            drafts = DraftStore(data_dir() / "drafts.sqlite3", f"{account_key(one.base_url, me)}/shell")
            session = InboxSession(client, drafts=drafts, send_delay=self.config.compose.send_delay_seconds)
            session.account.me = await client.get_self()  # the author the delivery check looks for
        except CanvasError as error:
            await client.aclose()
            raise VerbFailed(f"{one.name}: {error}") from None
        held = Held(one.name, session, client, drafts)

        def heard(change) -> None:
            if isinstance(change, OutboxSaid):
                held.said.append(change)
                held.heard.set()

        session.on_change(heard)
        session.outbox.start()  # also says what a stopped server left "sending" (it may have gone)
        self.held[one.name] = held
        return held

    async def aclose(self) -> None:
        """Stop: a message still waiting out its delay leaves now (the user sent it), then all closes."""
        for held in self.held.values():
            try:
                await held.session.outbox.aclose(send_due=True)
            finally:
                await held.client.aclose()
                held.drafts.close()
        self.held = {}


def _landed(held: Held, draft: Draft) -> list[int]:
    landing = held.session.sender.last_landing
    if landing is not None:
        return [landing]
    return [draft.conversation_id] if draft.conversation_id is not None else []
