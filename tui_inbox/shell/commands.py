"""The verbs' command lines, and which function runs each: ``cli.py`` adds and dispatches them here.

Nothing heavy is imported to build the parser: each verb's module is imported when it runs.
"""

from __future__ import annotations

import argparse

TRIAGE = ("archive", "unarchive", "star", "unstar", "mark-read", "mark-unread", "mute", "unmute", "delete")
TRIAGE_HELP = {
    "archive": "archive conversations (ids or --pattern): previewed with --dry-run, undone with `tui-inbox undo`",
    "unarchive": "move archived conversations back to the Inbox (Canvas marks them read)",
    "star": "star conversations", "unstar": "unstar conversations",
    "mark-read": "mark conversations read", "mark-unread": "mark conversations unread",
    "mute": "mute group conversations (no more notifications; Canvas marks them read)",
    "unmute": "unmute conversations",
    "delete": "delete conversations (your copy only); delete cannot be undone",
}
# Each verb's one line in `tui-inbox --help`; cli.py lists them without building their parsers.
SHELL_HELP = {
    "list": "list conversations (a mailbox, a course, a pattern), newest first",
    "show": "print one whole conversation (not marked read unless --mark-read)",
    "unread": "print the unread count (fast: from the cache when it is current)",
    "search": "search the messages of the search index (what S searches in the app)",
    **TRIAGE_HELP,
    "undo": "undo the last change made from the shell (archive, star, ...)",
    "send": "send a new message (through the Outbox, with the undo-send delay)",
    "reply": "reply in a conversation (through the Outbox, with the undo-send delay)",
    "watch": "print each change as it happens (the live stream, or polls), one line each",
    "mcp": "serve the inbox to an assistant (Model Context Protocol, on stdio)",
}
VERBS = tuple(SHELL_HELP)  # every verb run_shell runs (cli.py hands them here)
MAILBOXES = ("inbox", "unread", "starred", "sent", "archived")  # Canvas's scopes (inbox/mailboxes.py)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0: no limit)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("must be between 0 and 86400 seconds")
    return value


def _conversation_id(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a conversation id (a number, as `tui-inbox list` shows)")
    return int(text)


def _account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", metavar="NAME",
                        help="only this account (default: every account; `tui-inbox accounts` lists them)")


def _output(parser: argparse.ArgumentParser, *, stream: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", dest="output", action="store_const", const="json", default="text",
                       help="one JSON document (the README's Scripting section gives its shape)")
    if stream:
        group.add_argument("--ndjson", dest="output", action="store_const", const="ndjson",
                           help="one JSON object a line")


def add_shell_commands(sub) -> None:
    listing = sub.add_parser("list", help=SHELL_HELP["list"],
                             description="List a mailbox as Canvas scopes it, newest first; --course filters as "
                                         "Canvas's course filter, --pattern narrows as / does in the app. Nothing "
                                         "is marked read. Exit 1 when nothing matches.")
    listing.add_argument("--mailbox", choices=MAILBOXES, default="inbox", help="default inbox")
    listing.add_argument("--course", metavar="CODE", help="only this course or group (BIO is BIO 101)")
    listing.add_argument("--pattern", metavar="PATTERN",
                         help="as / in the app: words, is:unread, from:jane, course:bio, older:30d, -term")
    listing.add_argument("--limit", type=_limit, default=50, metavar="N", help="at most N (default 50; 0: all)")
    _account(listing)
    _output(listing, stream=True)

    show = sub.add_parser("show", help=SHELL_HELP["show"],
                          description="Print one conversation's messages, oldest first. It is not marked read "
                                      "unless --mark-read asks.")
    show.add_argument("id", type=_conversation_id, metavar="ID", help="the conversation's id (`tui-inbox list` shows it)")
    show.add_argument("--mark-read", action="store_true", help="mark it read, as opening it in the app does")
    _account(show)
    _output(show, stream=False)

    unread = sub.add_parser("unread", help=SHELL_HELP["unread"],
                            description="Print the number of unread conversations, every account's together, "
                                        "for a status bar. From the cache when the app has the account open or the "
                                        "cache was brought in step recently (--max-age), else from Canvas; when "
                                        "Canvas cannot be reached, the cache's count, marked stale in --json.")
    unread.add_argument("--max-age", type=_seconds, default=60.0, metavar="SECONDS",
                        help="use a cache brought in step at most this long ago (default 60)")
    _account(unread)
    _output(unread, stream=False)

    search = sub.add_parser("search", help=SHELL_HELP["search"],
                            description="Search the indexed messages (`tui-inbox index` fills the index; the app "
                                        "does it in the background). Exit 1 when nothing is found.")
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.add_argument("--limit", type=_limit, default=50, metavar="N", help="at most N hits (default 50; 0: 100)")
    _account(search)
    _output(search, stream=True)
    add_triage_commands(sub)
    add_sending_commands(sub)
    watch = sub.add_parser("watch", help=SHELL_HELP["watch"],
                           description="Follow each account as the app does (its live stream, else polls of the "
                                       "unread count) and print a line per change until Ctrl-C: for hooks and "
                                       "notifications. resync means something may have been missed: list again.")
    watch.add_argument("--ndjson", dest="output", action="store_const", const="ndjson", default="text",
                       help="one JSON object a line")
    _account(watch)
    add_mcp_command(sub)


def add_triage_commands(sub) -> None:
    for verb in TRIAGE:
        parser = sub.add_parser(
            verb, help=TRIAGE_HELP[verb],
            description=f"{TRIAGE_HELP[verb][0].upper()}{TRIAGE_HELP[verb][1:]}. The conversations are the ids "
                        "given, or what --pattern matches in the mailbox (as / in the app). --dry-run lists what "
                        f"would change and changes nothing. More than 20 at once without --yes are asked about on "
                        "a terminal and refused otherwise. What is already as asked is left alone. Exit 1 when "
                        "nothing matches, when it is refused, or when Canvas refused any.")
        parser.add_argument("ids", nargs="*", type=_conversation_id, metavar="ID",
                            help="conversation ids (`tui-inbox list` shows them)")
        parser.add_argument("--pattern", metavar="PATTERN",
                            help="as / in the app: words, is:unread, from:jane, course:bio, older:30d, -term")
        parser.add_argument("--mailbox", choices=MAILBOXES, default="inbox", help="where --pattern looks (default inbox)")
        _account(parser)
        parser.add_argument("--dry-run", action="store_true", help="list what would change; change nothing")
        parser.add_argument("--yes", action="store_true", help="change more than 20 at once without asking")
        _output(parser, stream=False)
    undo = sub.add_parser("undo", help=SHELL_HELP["undo"],
                          description="Put back the conversations of the last change made with `tui-inbox archive`, "
                                      "`star`, `mark-read` ... each as it was before it (not the app's changes: u "
                                      "undoes those). A delete cannot be undone. Exit 1 when there is nothing to "
                                      "undo or Canvas refused any.")
    _output(undo, stream=False)


def add_mcp_command(sub) -> None:
    sub.add_parser("mcp", help=SHELL_HELP["mcp"],
                   description="A Model Context Protocol server on standard input and output, for an assistant "
                               "(Claude Desktop: {\"command\": \"tui-inbox\", \"args\": [\"mcp\"]}). Its tools "
                               "list, read (not marking read), search, draft replies into Drafts, send through the "
                               "Outbox, triage with a preview (more than 20 conversations need a confirming second "
                               "call) and undo. The README's \"Use with an assistant\" says more.")


class VerbFailed(Exception):
    """What was asked could not be done (Canvas refused, or cannot find it): one line, exit status 1.
    A mistake in what was asked (a pattern, an account name) is a ConfigError instead: status 2."""


def _body(parser: argparse.ArgumentParser) -> None:
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--body", metavar="TEXT", help="the message's text")
    text.add_argument("--body-file", metavar="FILE", help="the text from a file (- or no --body: standard input)")
    parser.add_argument("--attach", action="append", default=[], metavar="FILE", help="attach a file (again for more)")


def add_sending_commands(sub) -> None:
    send = sub.add_parser("send", help=SHELL_HELP["send"],
                          description="Send a new message as the app does: it waits out [compose] "
                                      "send_delay_seconds in the Outbox (Ctrl-C takes it back), then leaves once. "
                                      "Prints where it went.")
    send.add_argument("--to", action="append", required=True, metavar="WHO",
                      help="a user id, a name Canvas's recipient search finds once, or a context such as "
                           "course_3_students (again for more)")
    send.add_argument("--subject", default="", help="the subject")
    send.add_argument("--course", metavar="CODE", help="the course it is about (BIO is BIO 101)")
    send.add_argument("--mode", choices=("group", "each", "new-each"), default="each",
                      help="group: one conversation for all; each: a private one per person (Canvas may reuse "
                           "an existing one); new-each: a new one per person (default each)")
    _body(send)
    _account(send)
    _output(send, stream=False)

    reply = sub.add_parser("reply", help=SHELL_HELP["reply"],
                           description="Reply as the app's r does (to the last person who wrote; --all: everyone "
                                       "in it). As in the app, replying marks the conversation read.")
    reply.add_argument("id", type=_conversation_id, metavar="ID", help="the conversation's id")
    reply.add_argument("--all", dest="everyone", action="store_true", help="to everyone in the conversation")
    _body(reply)
    _account(reply)
    _output(reply, stream=False)


def run_shell(args: argparse.Namespace, config) -> int:
    import sys

    try:
        return _run(args, config)
    except VerbFailed as failure:
        print(f"tui-inbox {args.command}: {' '.join(str(failure).split())}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, config) -> int:
    if args.command in TRIAGE or args.command == "undo":
        from .triage import run_change, run_undo

        if args.command == "undo":
            return run_undo(config, as_json=args.output == "json")
        return run_change(config, args.command, args.ids, pattern=args.pattern, mailbox=args.mailbox,
                          account=args.account, dry_run=args.dry_run, yes=args.yes, as_json=args.output == "json")
    if args.command == "unread":
        from .unread import run_unread

        return run_unread(config, args.account, as_json=args.output == "json", max_age=args.max_age)
    if args.command == "watch":
        from .watching import run_watch

        return run_watch(config, args.account, ndjson=args.output == "ndjson")
    if args.command == "mcp":
        from .mcp_server import run_mcp

        return run_mcp(config)
    if args.command in ("send", "reply"):
        from .sending import body_of, run_reply, run_send

        body = body_of(args.body, args.body_file)
        if args.command == "send":
            return run_send(config, args.account, to=args.to, subject=args.subject, course=args.course, body=body,
                            attach=args.attach, mode=args.mode, as_json=args.output == "json")
        return run_reply(config, args.account, args.id, everyone=args.everyone, body=body, attach=args.attach,
                         as_json=args.output == "json")
    from .reading import run_list, run_search, run_show

    if args.command == "list":
        return run_list(config, args.account, mailbox=args.mailbox, course=args.course, pattern=args.pattern,
                        limit=args.limit, output=args.output)
    if args.command == "show":
        return run_show(config, args.account, args.id, mark_read=args.mark_read, as_json=args.output == "json")
    return run_search(config, args.account, " ".join(args.words), limit=args.limit, output=args.output)
