"""The ``tui-inbox export`` command: the configured account's threads into a file, with a progress bar.

With several accounts and no ``--account``, every account's threads go into the one file, each
marked with its account (JSON: an ``account`` field; Markdown: an Account line; mbox: an
``X-Canvas-Account`` header, and each account's own Canvas host in the addresses and ids).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TextIO

from .inbox.mailboxes import BY_ID

BAR = 30
# Named here, not imported from inbox/export.py: building the command line must not import
# the HTTP client (it would slow every `tui-inbox` start). tests/core/test_export.py checks they agree.
FORMATS = ("mbox", "json", "markdown")
MAILBOXES = ("all",) + tuple(m for m in BY_ID if BY_ID[m].scope is not None)


def add_export_command(sub, summary: str) -> None:
    export_parser = sub.add_parser(
        "export", help=summary,
        description="Write the configured account's conversations, whole threads with their attachments "
                    "listed, to PATH: mbox (mutt opens it), json (for scripts) or markdown (for a file). "
                    "Nothing is marked read, and an existing file is never overwritten. With several "
                    "accounts, every account's conversations, each marked with its account, unless --account.")
    export_parser.add_argument("--account", metavar="NAME", help="only this account (see `tui-inbox accounts`)")
    export_parser.add_argument("--mailbox", default="all", choices=MAILBOXES, metavar="NAME",
                               help=f"one of {', '.join(MAILBOXES)} (default all)")
    export_parser.add_argument("--course", metavar="CODE", help="only the courses and groups whose code or name holds CODE, as course: in the "
                                    "app's patterns (BIO is BIO 101; several match: all of them)")
    export_parser.add_argument("--since", type=since_date, metavar="DATE",
                               help="only conversations whose last message is on or after DATE (2026-10-01)")
    export_parser.add_argument("--format", required=True, choices=FORMATS, help="mbox, json or markdown")
    export_parser.add_argument("path", metavar="PATH", help="the new file to write")


def since_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use 2026-10-01 (or 2026-10-01T08:00)") from None
    if value.tzinfo is None:  # a date as the user means it: midnight where they are
        value = datetime.combine(value.date(), value.time() if "T" in text else time()).astimezone()
    return value.astimezone(timezone.utc)


class ProgressBar:
    """``Exporting ██████░░░ 120 of 340`` redrawn in place on a terminal; silent when stderr is a file."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.live, self.shown = out, out.isatty(), False

    def __call__(self, done: int, total: int) -> None:
        if not self.live or total == 0:
            return
        filled = round(BAR * done / total)
        self.out.write(f"\rExporting {'█' * filled}{'░' * (BAR - filled)} {done:,} of {total:,}")
        self.out.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            self.out.write("\r\033[K")
            self.out.flush()


def run_export(args: argparse.Namespace) -> int:
    import asyncio

    from . import config as config_module
    from .canvas import CanvasError
    from .inbox.export import ExportError, ExportRequest, check_request
    from .config_accounts import accounts_named
    from .launch import account_of

    request = ExportRequest(Path(args.path).expanduser(), args.format, args.mailbox, args.course, args.since)
    try:
        check_request(request)  # before the token command runs and before the network
    except ExportError as error:
        print(f"tui-inbox export: {error}", file=sys.stderr)
        return 2
    config = config_module.load(args.config)
    chosen = accounts_named(config, args.account, "export")
    accounts = [account_of(config, settings) for settings in chosen]
    bar = ProgressBar(sys.stderr)
    try:
        if len(accounts) == 1:
            conversations, messages = asyncio.run(_export(accounts[0].base_url, accounts[0].token, request, bar))
        else:
            conversations, messages = asyncio.run(_export_every(accounts, request, bar))
    except ExportError as error:
        bar.end()
        print(f"tui-inbox export: {error}", file=sys.stderr)
        return 2
    except CanvasError as error:
        bar.end()
        print(f"tui-inbox export: {' '.join(str(error).split())}; nothing was written.", file=sys.stderr)
        return 1
    bar.end()
    print(f"Exported {conversations:,} conversation{'s' if conversations != 1 else ''} "
          f"({messages:,} message{'s' if messages != 1 else ''}) to {request.path}"
          + (f" from {len(accounts)} accounts ({', '.join(a.name for a in accounts)})" if len(accounts) > 1 else ""))
    return 0


async def _export_every(accounts, request, bar: ProgressBar) -> tuple[int, int]:
    from .canvas import CanvasClient
    from .inbox.export import export_accounts

    clients = {account.name: CanvasClient(account.base_url, account.token) for account in accounts}
    try:
        return await export_accounts(clients, request, progress=bar)
    finally:
        for client in clients.values():
            await client.aclose()


async def _export(base_url: str, token: str, request, bar: ProgressBar) -> tuple[int, int]:
    from .canvas import CanvasClient
    from .inbox.export import export

    client = CanvasClient(base_url, token)
    try:
        return await export(client, request, progress=bar)
    finally:
        await client.aclose()
