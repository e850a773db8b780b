"""The verbs' command lines, and which function runs each: ``cli.py`` adds and dispatches them here.

Nothing heavy is imported to build the parser: each verb's module is imported when it runs.
"""

from __future__ import annotations

import argparse

READING = ("list", "show", "unread", "search")
TRIAGE = ("archive", "unarchive", "star", "unstar", "mark-read", "mark-unread", "mute", "unmute", "delete")
VERBS = READING + TRIAGE + ("undo",)  # every verb run_shell runs (cli.py hands them here)
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
    listing = sub.add_parser("list", help="list conversations (a mailbox, a course, a pattern), newest first",
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

    show = sub.add_parser("show", help="print one whole conversation (not marked read unless --mark-read)",
                          description="Print one conversation's messages, oldest first. It is not marked read "
                                      "unless --mark-read asks.")
    show.add_argument("id", type=_conversation_id, metavar="ID", help="the conversation's id (`tui-inbox list` shows it)")
    show.add_argument("--mark-read", action="store_true", help="mark it read, as opening it in the app does")
    _account(show)
    _output(show, stream=False)

    unread = sub.add_parser("unread", help="print the unread count (fast: from the cache when it is current)",
                            description="Print the number of unread conversations, every account's together, "
                                        "for a status bar. From the cache when the app has the account open or the "
                                        "cache was brought in step recently (--max-age), else from Canvas; when "
                                        "Canvas cannot be reached, the cache's count, marked stale in --json.")
    unread.add_argument("--max-age", type=_seconds, default=60.0, metavar="SECONDS",
                        help="use a cache brought in step at most this long ago (default 60)")
    _account(unread)
    _output(unread, stream=False)

    search = sub.add_parser("search", help="search the messages of the search index (what S searches in the app)",
                            description="Search the indexed messages (`tui-inbox index` fills the index; the app "
                                        "does it in the background). Exit 1 when nothing is found.")
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.add_argument("--limit", type=_limit, default=50, metavar="N", help="at most N hits (default 50; 0: 100)")
    _account(search)
    _output(search, stream=True)
    add_triage_commands(sub)


TRIAGE_HELP = {
    "archive": "archive conversations (ids or --pattern): previewed with --dry-run, undone with `tui-inbox undo`",
    "unarchive": "move archived conversations back to the Inbox (Canvas marks them read)",
    "star": "star conversations", "unstar": "unstar conversations",
    "mark-read": "mark conversations read", "mark-unread": "mark conversations unread",
    "mute": "mute group conversations (no more notifications; Canvas marks them read)",
    "unmute": "unmute conversations",
    "delete": "delete conversations (your copy only); delete cannot be undone",
}


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
    undo = sub.add_parser("undo", help="undo the last change made from the shell (archive, star, ...)",
                          description="Put back the conversations of the last change made with `tui-inbox archive`, "
                                      "`star`, `mark-read` ... each as it was before it (not the app's changes: u "
                                      "undoes those). A delete cannot be undone. Exit 1 when there is nothing to "
                                      "undo or Canvas refused any.")
    _output(undo, stream=False)


class VerbFailed(Exception):
    """What was asked could not be done (Canvas refused, or cannot find it): one line, exit status 1.
    A mistake in what was asked (a pattern, an account name) is a ConfigError instead: status 2."""


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
    from .reading import run_list, run_search, run_show

    if args.command == "list":
        return run_list(config, args.account, mailbox=args.mailbox, course=args.course, pattern=args.pattern,
                        limit=args.limit, output=args.output)
    if args.command == "show":
        return run_show(config, args.account, args.id, mark_read=args.mark_read, as_json=args.output == "json")
    return run_search(config, args.account, " ".join(args.words), limit=args.limit, output=args.output)
