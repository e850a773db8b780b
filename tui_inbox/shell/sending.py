"""``tui-inbox send`` and ``reply``: a message from a script, through the Outbox, sent once.

The message goes the app's own way (inbox/sending.py and inbox/outbox.py): it waits out
``[compose] send_delay_seconds`` in the Outbox on disk (Ctrl-C in that time takes it back,
unsent), then leaves once, its delivery settled by the client's check when the network fails
mid-request. The Outbox is the user's ``drafts.sqlite3``, but the shell's messages are kept
under an account key of their own (``<account key>/shell``): the open app carries out only
its own items, so the two never carry one message twice, and a message a killed script left
"sending" is found by the next ``send`` (which says it may have gone, as the app does).

It never takes the app's instance lock: the open app hears of the new message from Canvas
(its live feed, or its next reconcile), as it hears of one sent from the web.

Text output: the Outbox's line ("Outbox: sent to Jane (new message to Jane)"). ``--json``:
``{"sent": bool, "conversation_ids": [...], "line": "..."}``. Exit 0 once sent, 1 when not.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from ..canvas import CanvasClient, CanvasError
from ..config import Config, ConfigError, data_dir
from ..inbox.changes import OutboxSaid
from ..inbox.compose import Draft, RecipientRef
from ..inbox.export import ExportError, context_codes_of
from ..inbox.session import InboxSession
from ..launch import account_of, check_account
from ..store.drafts import DraftStore
from ..store.paths import account_key
from .accounts import one_known
from .commands import VerbFailed
from .shapes import print_json

MODES = {"group": (True, False), "each": (False, False), "new-each": (False, True)}  # group_conversation, individual


def body_of(text: str | None, path: str | None) -> str:
    """The message's text: ``--body``, ``--body-file F``, or ``-`` (standard input)."""
    if path == "-" or (text is None and path is None):
        return sys.stdin.read()
    if path is not None:
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"--body-file {path}: {getattr(error, 'strerror', None) or error}") from None
    return text or ""


def run_send(config: Config, account: str | None, *, to: list[str], subject: str, course: str | None, body: str,
             attach: list[str], mode: str, as_json: bool) -> int:
    one = one_known(config, account, "send")
    group, individual = MODES[mode]

    async def draft_for(client: CanvasClient) -> Draft:
        context = await _context(client, course) if course else None
        people = [await _recipient(client, name, context) for name in to]
        return Draft(kind="new", to=people, context_code=context, subject=subject, body=body,
                     attachments=list(attach), group_conversation=group, individual=individual)

    return _deliver(config, one, draft_for, as_json, "send")


def run_reply(config: Config, account: str | None, conversation_id: int, *, everyone: bool, body: str,
              attach: list[str], as_json: bool) -> int:
    one = one_known(config, account, "reply")

    async def draft_for(client: CanvasClient) -> Draft:
        return Draft(kind="reply_all" if everyone else "reply", conversation_id=conversation_id, body=body,
                     attachments=list(attach))

    return _deliver(config, one, draft_for, as_json, "reply")


def _deliver(config: Config, one, draft_for, as_json: bool, verb: str) -> int:
    account = account_of(config, one.settings)
    try:
        result = asyncio.run(_send(config, account, one.user_id, draft_for))
    except KeyboardInterrupt:
        print("tui-inbox: not sent (taken back before it left)", file=sys.stderr)
        return 1
    if as_json:
        print_json(result)
    elif result["sent"]:
        print(result["line"])
    else:
        print(f"tui-inbox {verb}: {' '.join(result['line'].split())}", file=sys.stderr)
    return 0 if result["sent"] else 1


async def _send(config: Config, account, user_id: int | None, draft_for) -> dict:
    if user_id is None:
        user_id = await check_account(account)
    key = account_key(account.base_url, user_id)
    drafts = DraftStore(data_dir() / "drafts.sqlite3", f"{key}/shell")
    client = CanvasClient(account.base_url, account.token)
    session = InboxSession(client, drafts=drafts, send_delay=config.compose.send_delay_seconds)
    said: list[OutboxSaid] = []
    settled = asyncio.Event()

    def heard(change) -> None:
        if isinstance(change, OutboxSaid):
            said.append(change)
            settled.set()

    session.on_change(heard)
    try:
        try:
            session.account.me = await client.get_self()  # the author the delivery check looks for
            draft = await draft_for(client)
        except CanvasError as error:
            raise VerbFailed(str(error)) from None
        problems = draft.problems()
        if problems:
            raise ConfigError(problems[0])
        outbox = session.outbox
        outbox.recover()  # a message a killed script left "sending": said first, never sent twice
        earlier = list(said)
        said.clear()
        for line in earlier:
            print(f"tui-inbox: {line.line}", file=sys.stderr)
        stop = asyncio.Event()  # Ctrl-C (or a TERM): heard from before the message is queued
        with _interrupts(stop):
            outcome = await session.sender.send(draft)
            if not outcome.ok:
                return {"sent": False, "conversation_ids": [], "line": outcome.message}
            if not outcome.message.startswith("Sending in"):
                return {"sent": True, "conversation_ids": _landed(session, draft, outcome.conversation_id),
                        "line": outcome.message}
            print(f"tui-inbox: {outcome.message.replace('(u undoes)', '(Ctrl-C takes it back)')}", file=sys.stderr)
            outbox.start()
            if await _first_of(stop, settled):
                waiting = outbox.delayed()
                if waiting is not None:  # still inside the delay: it does not leave
                    outbox.store.take(waiting.position)  # the script has its text: no draft is left behind
                    return {"sent": False, "conversation_ids": [], "line": "not sent (taken back before it left)"}
                await settled.wait()  # too late: it is leaving, and its outcome follows
        line = said[-1]
        return {"sent": not line.failed, "conversation_ids": [] if line.failed else _landed(session, draft),
                "line": line.line}
    finally:
        await session.outbox.aclose(send_due=False)
        await client.aclose()
        drafts.close()


@contextmanager
def _interrupts(stop: asyncio.Event):
    """Ctrl-C and TERM set ``stop`` instead of ending the process at once: a message inside its
    undo delay is then taken back, one already leaving is seen through to its outcome."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        yield
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


async def _first_of(stop: asyncio.Event, settled: asyncio.Event) -> bool:
    """Wait for the Outbox's word on the message; True if ``stop`` came first."""
    waits = {asyncio.ensure_future(settled.wait()), asyncio.ensure_future(stop.wait())}
    _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return stop.is_set() and not settled.is_set()


def _landed(session: InboxSession, draft: Draft, said: int | None = None) -> list[int]:
    """The conversation the message went into: a reply's own, else where Canvas put the new one."""
    landing = draft.conversation_id or said or session.sender.last_landing
    return [landing] if landing is not None else []


async def _context(client: CanvasClient, course: str) -> str:
    try:
        codes = await context_codes_of(client, course)
    except ExportError as error:
        raise ConfigError(str(error)) from None
    if len(codes) > 1:
        raise ConfigError(f"--course {course!r} names {len(codes)} courses and groups ({', '.join(codes)}): "
                          "say which, e.g. its full code")
    return codes[0]


async def _recipient(client: CanvasClient, text: str, context: str | None) -> RecipientRef:
    """A user id, a context (course_3, course_3_students, group_7) as Canvas takes them, or a
    name that Canvas's recipient search finds exactly one person for."""
    value = text.strip()
    if value.isdigit() or value.startswith(("course_", "group_", "section_")):
        return RecipientRef(value, value)
    try:
        found = [r for r in await client.search_recipients(value, context=context, type="user") if r.type == "user"]
    except CanvasError as error:
        raise VerbFailed(f"--to {value!r}: {error}") from None
    if len(found) == 1:
        return RecipientRef(str(found[0].id), found[0].name)
    if not found:
        raise ConfigError(f"--to {value!r}: nobody of that name among the people you can write to")
    names = ", ".join(f"{r.name} ({r.id})" for r in found[:5])
    raise ConfigError(f"--to {value!r} is {len(found)} people: {names}{' ...' if len(found) > 5 else ''}; "
                      "give the id")
