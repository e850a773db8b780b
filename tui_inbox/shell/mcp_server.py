"""``tui-inbox mcp``: the inbox for an assistant, a Model Context Protocol server on stdio.

Built on the official ``mcp`` SDK's ``FastMCP`` server (1.x: 2.x brings httpx2, which authlib's
httpx client then takes for httpx, and a browser sign-in's token renewal fails).
Each tool's description says what it changes on Canvas, or that it changes nothing, and the
safety is the app's: nothing is marked read unless ``mark_read`` asks; a reply is drafted into
the app's Drafts, not sent; a message goes through the Outbox with the undo delay; a change to
more than 20 conversations is previewed and needs a second call with the preview's token;
``undo`` takes back the last change. The Canvas token never leaves: not in a result, an error,
a resource or the log (standard error), where anything that would carry it is masked.

Standard output is the protocol's: nothing else is printed there.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any, Awaitable, Callable

from pydantic import Field

from ..config import Config, ConfigError
from .commands import VerbFailed

INSTRUCTIONS = (
    "A teacher's or student's Canvas inbox. Read freely: listing, reading and searching change nothing "
    "(reading never marks read unless mark_read is true). Prefer draft_reply (the user reviews and sends it "
    "from the app) over send_message. send_message goes through the Outbox with an undo delay. triage changes "
    "conversations: more than 20 (or any delete) are only previewed until the user confirms and you call "
    "again with the confirm_token. undo takes back the last change or the message still waiting to leave."
)

LIST = ("Lists conversations, newest first, as `tui-inbox list --json` does: a mailbox as Canvas scopes it "
        "(inbox, unread, starred, sent, archived), optionally one course or group (course: BIO is BIO 101) and a "
        "pattern as the app's / takes it (words, is:unread, is:starred, from:jane, course:bio, older:30d, "
        "newer:7d, -word). Changes nothing on Canvas: nothing is marked read.")
READ = ("Reads one whole conversation, oldest message first. Changes nothing on Canvas: it is NOT marked read, "
        "unless mark_read is true, which marks it read on Canvas as opening it in the app does.")
SEARCH = ("Searches the text of messages in the local search index (what S searches in the app; the app and "
          "`tui-inbox index` fill it). Read-only: changes nothing on Canvas or on this machine.")
DRAFT = ("Drafts a reply to a conversation and saves it in the app's Drafts, where the user sees it (and in the "
         "composer when they press r on that conversation) to review and send themselves. Changes nothing on "
         "Canvas: nothing is sent and nothing is marked read. A draft the user already has for that reply is kept "
         "unless replace is true.")
SEND = ("Sends a message on Canvas: a new one (to: user ids, names Canvas's recipient search finds once, or "
        "contexts such as course_3_students; mode each, group or new-each) or a reply (reply_to: a conversation id; "
        "reply_all for everyone in it). Changes Canvas: a message is delivered, once, after waiting out the "
        "Outbox's undo delay ([compose] send_delay_seconds); undo takes it back unsent until it leaves. Replying "
        "marks the conversation read. Returns the undo window, and the conversation ids (wait: true returns once "
        "it has left, with where it went). Prefer draft_reply unless the user asked you to send.")
TRIAGE = ("Changes conversations on Canvas: archive, unarchive, star, unstar, mark-read, mark-unread, mute, unmute "
          "or delete, for the given ids or every conversation a pattern matches in a mailbox (default inbox). "
          "Conversations already so are left alone. Up to 20 change on this call; more than 20, or any delete, "
          "change nothing yet: you get a preview (the conversations, their count) and a confirm_token; show the "
          "user the preview, and only if they agree call again with the same verb and the confirm_token (single "
          "use, 10 minutes, for exactly those conversations). undo puts a change back; delete cannot be undone.")
UNDO = ("Takes back the last change made through this server or `tui-inbox`'s verbs: a message still waiting out "
        "its send delay is taken out of the Outbox unsent (changes nothing on Canvas); else the last triage change "
        "is put back on Canvas, each conversation exactly as it was. A delete cannot be undone.")
RESOURCE = ("One conversation as JSON (as read_conversation gives it). Reading it changes nothing: it is not "
            "marked read.")

Id = Annotated[int, Field(gt=0, lt=2**63, description="a conversation id, as list_conversations gives it")]
Account = Annotated[str | None, Field(description="the account's name in the config; needed when there are several "
                                                  "(lists and searches cover every account without it)")]


class Masking(logging.Filter):
    """Masks the Canvas tokens in every log record: the log is standard error, which clients keep."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(secret in text for secret in self.secrets):
            record.msg, record.args = mask(text, self.secrets), None
        return True


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def secrets_of(config: Config) -> list[str]:
    """The tokens of the config's accounts (a browser sign-in's are never in reach of a message)."""
    found = []
    for settings in config.accounts:
        if settings.canvas.signed_in:
            continue
        try:
            token = config.account_token(settings)
        except ConfigError:
            continue
        if token and len(token) >= 8:
            found.append(token)
    return found


def build_server(config: Config, *, clock: Callable[[], float] = time.monotonic):
    from mcp.server.fastmcp import FastMCP
    from mcp.server.fastmcp.exceptions import ResourceError, ToolError
    from mcp.types import ToolAnnotations

    from ..canvas import CanvasError
    from . import mcp_reading, reply_drafts
    from .confirm_tokens import ConfirmTokens
    from .mcp_sending import Sending
    from .mcp_triage import TriageDesk

    secrets = secrets_of(config)
    sending = Sending(config)
    desk = TriageDesk(config, ConfirmTokens(clock))
    last_triage = [0.0]  # when this server last changed conversations (monotonic), against the last send

    async def guarded(work: Awaitable[dict], error: type[Exception] = ToolError) -> dict[str, Any]:
        """A tool's answer, or its failure as one line; the tokens masked in either."""
        try:
            answer = await work
        except (ConfigError, VerbFailed, CanvasError, ValueError) as failure:
            raise error(mask(" ".join(str(failure).split()), secrets)) from None
        text = json.dumps(answer, ensure_ascii=False)
        if any(secret in text for secret in secrets):
            answer = json.loads(mask(text, secrets))
        return answer

    @asynccontextmanager
    async def life(_server):
        try:
            yield {}
        finally:
            await sending.aclose()  # a message waiting out its delay leaves: the user sent it

    server = FastMCP("tui-inbox", instructions=INSTRUCTIONS, log_level="WARNING", lifespan=life)
    reads = ToolAnnotations(readOnlyHint=True, openWorldHint=True)
    logging.getLogger().addFilter(Masking(secrets))
    for handler in logging.getLogger().handlers:
        handler.addFilter(Masking(secrets))

    @server.tool(description=LIST, annotations=reads)
    async def list_conversations(
        mailbox: Annotated[str, Field(description="inbox, unread, starred, sent or archived")] = "inbox",
        course: Annotated[str | None, Field(description="only this course or group, e.g. BIO")] = None,
        pattern: Annotated[str | None, Field(description="as / in the app, e.g. 'is:unread from:jane'")] = None,
        limit: Annotated[int, Field(ge=0, le=1000, description="at most this many (0: all)")] = 50,
        account: Account = None,
    ) -> dict[str, Any]:
        async def work() -> dict:
            rows = await mcp_reading.list_rows(config, account, mailbox=mailbox, course=course, pattern=pattern,
                                               limit=limit)
            return {"conversations": rows, "count": len(rows)}

        return await guarded(work())

    # Not read-only: mark_read, when asked, marks it read on Canvas.
    @server.tool(description=READ, annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                                               idempotentHint=True, openWorldHint=True))
    async def read_conversation(id: Id, account: Account = None,
                                mark_read: Annotated[bool, Field(description="mark it read on Canvas")] = False,
                                ) -> dict[str, Any]:
        return await guarded(mcp_reading.read_thread(config, account, id, mark_read=mark_read))

    @server.tool(description=SEARCH, annotations=reads)
    async def search_messages(words: Annotated[str, Field(description="the words to look for")],
                              limit: Annotated[int, Field(ge=0, le=100, description="at most this many hits")] = 20,
                              account: Account = None) -> dict[str, Any]:
        return await guarded(mcp_reading.search_hits(config, account, words, limit=limit))

    @server.tool(description=DRAFT, annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                                                openWorldHint=False))
    async def draft_reply(id: Id, body: Annotated[str, Field(description="the reply's text")],
                          account: Account = None,
                          replace: Annotated[bool, Field(description="replace a draft the user already has")] = False,
                          ) -> dict[str, Any]:
        return await guarded(reply_drafts.draft_reply(config, account, id, body, replace=replace))

    @server.tool(description=SEND, annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                                               idempotentHint=False, openWorldHint=True))
    async def send_message(
        body: Annotated[str, Field(description="the message's text")],
        to: Annotated[list[str] | None, Field(description="recipients of a new message")] = None,
        subject: str = "",
        course: Annotated[str | None, Field(description="the course a new message is about, e.g. BIO")] = None,
        mode: Annotated[str, Field(description="each, group or new-each (a new message)")] = "each",
        reply_to: Annotated[int | None, Field(gt=0, description="reply in this conversation instead")] = None,
        reply_all: bool = False,
        wait: Annotated[bool, Field(description="return once it has left, with where it went")] = False,
        account: Account = None,
    ) -> dict[str, Any]:
        return await guarded(sending.send(account, to=to or [], subject=subject, course=course, body=body, mode=mode,
                                          reply_to=reply_to, reply_all=reply_all, wait=wait))

    @server.tool(description=TRIAGE, annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True,
                                                                 openWorldHint=True))
    async def triage(
        verb: Annotated[str, Field(description="archive, unarchive, star, unstar, mark-read, mark-unread, mute, "
                                               "unmute or delete")],
        ids: Annotated[list[int] | None, Field(description="these conversations")] = None,
        pattern: Annotated[str | None, Field(description="or every conversation this matches, as / in the app")] = None,
        mailbox: Annotated[str, Field(description="where the pattern looks (inbox, unread, starred, sent, "
                                                  "archived)")] = "inbox",
        confirm_token: Annotated[str | None, Field(description="the preview's token, to confirm it")] = None,
        account: Account = None,
    ) -> dict[str, Any]:
        async def work() -> dict:
            answer = await desk.triage(verb, ids=ids, pattern=pattern, mailbox=mailbox, account=account,
                                       confirm_token=confirm_token)
            if answer.get("changed"):
                last_triage[0] = time.monotonic()
            return answer

        return await guarded(work())

    @server.tool(description=UNDO, annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False,
                                                               openWorldHint=True))
    async def undo() -> dict[str, Any]:
        async def work() -> dict:
            if sending.newest is not None and sending.newest_at >= last_triage[0]:
                taken = sending.take_back()
                if taken is not None:
                    return taken
            answer = await desk.undo_change()
            return answer or {"undone": False, "line": "Nothing to undo."}

        return await guarded(work())

    @server.resource("conversation://{account}/{id}", name="conversation", description=RESOURCE,
                     mime_type="application/json")
    async def conversation(account: str, id: str) -> str:
        if not id.isdigit() or not 0 < int(id) < 2**63:
            raise ResourceError(f"{id!r} is not a conversation id")
        thread = await guarded(mcp_reading.read_thread(config, account, int(id), mark_read=False), ResourceError)
        return json.dumps(thread, ensure_ascii=False)

    return server


def run_mcp(config: Config) -> int:
    """Serve on stdio until the client closes it."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="tui-inbox mcp: %(levelname)s %(message)s")
    build_server(config).run("stdio")
    return 0
