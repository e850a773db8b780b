"""The ``tui-inbox`` command and its subcommands."""

from __future__ import annotations

import argparse
import math
import os
import sys
from datetime import datetime
from typing import Callable

from .shell.commands import VERBS

MAX_CONVERSATIONS = 1_000_000  # ten times the benchmark's inbox; the sandbox holds them all in memory
MAX_LONG_THREAD = 200_000  # twice the longest thread measured; its answer is already past the client's 32 MB cap
MAX_COURSE_STUDENTS = 10_000  # every one is a user with a token in the sandbox's first line of output
MAX_SCHOOL_COURSES = 500  # 40 seats each, two per student: 10,000 students, as --course-students at most
MAX_DS_DELAY_MS = 3_600_000.0  # an event held longer than an hour is a lost event, not a late one


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (still exit 2), not the usage block."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`.\n")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {text!r}")
    return value


def _whole_up_to(limit: int):
    """An argparse type: a whole number from 0 to ``limit``, else a one-line reason."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 0 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 0 and {limit:,}, not {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535 (0 picks a free port), not {text!r}")
    return value


def _replicas(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of replicas (1 to 5)") from None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, not {text!r}")
    return value


def _positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text!r}")
    return value


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("use ISO-8601, e.g. 2026-11-24T12:00:00Z") from None


def _institution(text: str) -> int:
    from .sandbox.institution import INSTITUTIONS

    if text.strip() not in {str(n) for n in INSTITUTIONS}:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(map(str, INSTITUTIONS))}, not {text!r}")
    return int(text)


def add_sandbox_knobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument("--institution", type=_institution, default=1, metavar="N",
                        help="which school: 1, the seeded university (default); 2, a community college with "
                             "other people, courses and ids, where the same teacher is an adjunct")
    parser.add_argument("--conversations", type=_whole_up_to(MAX_CONVERSATIONS), default=0, metavar="N",
                        help="add N conversations to the teacher's inbox (load tests)")
    parser.add_argument("--long-thread", type=_whole_up_to(MAX_LONG_THREAD), default=0, metavar="N",
                        help="add one conversation of N messages, the newest in the teacher's inbox (load tests)")
    parser.add_argument("--latency-ms", type=_non_negative, default=0.0, help="delay added to every response")
    parser.add_argument("--fail-rate", type=_fraction, default=0.0,
                        help="fraction of API requests answered 500 or 503")
    parser.add_argument("--throttle", action="store_true", help="turn on Canvas's leaky-bucket rate limit")
    parser.add_argument("--activity", type=_non_negative, default=0.0, metavar="SECONDS",
                        help="other people write about every SECONDS seconds (0: quiet)")
    add_course_students(parser)
    parser.add_argument("--school", type=_whole_up_to(MAX_SCHOOL_COURSES), default=0, metavar="N",
                        help="add N classes of about 40 students, each with its teacher and a discussion; the "
                             "activity then moves around the whole school (a school-wide relay's load)")
    parser.add_argument("--now", type=_instant, default=None, help="fix the clock's start (reproducible runs)")
    parser.add_argument("--oauth-token-seconds", type=_token_seconds, default=3600.0, metavar="SECONDS",
                        help="OAuth access tokens expire after SECONDS and must be refreshed (default 3600, as Canvas)")
    parser.add_argument("--restrict-student-tokens", action="store_true",
                        help="students and observers have no personal access token, as at a school that turned "
                             "them off; they sign in with OAuth")
    parser.add_argument("--no-inbox-settings", action="store_true",
                        help="the school turned off the Inbox signature block and the out-of-office reply "
                             "(on by default, as at a school that uses them)")
    add_data_services(parser)


def _token_seconds(text: str) -> float:
    value = _number(text)
    if not 1 <= value <= 86_400 * 365:
        raise argparse.ArgumentTypeError(f"must be between 1 second and a year, not {text!r}")
    return value


def _subscriber_url(text: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0  # reading .port checks it is a number in range
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise argparse.ArgumentTypeError(f"must be an http:// or https:// URL such as "
                                         f"http://127.0.0.1:8600/canvas/live-events, not {text!r}")
    return text


def _delay_ms(text: str) -> float:
    value = _non_negative(text)
    if value > MAX_DS_DELAY_MS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DS_DELAY_MS:,.0f} (an hour), not {text!r}")
    return value


def _retry_base(text: str) -> float:
    value = _non_negative(text)
    if not 0.001 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0.001 and 3600 seconds, not {text!r}")
    return value


DS_FLAGS = {"ds_duplicate_rate": "--ds-duplicate-rate", "ds_delay_ms": "--ds-delay-ms",
            "ds_unsigned": "--ds-unsigned", "ds_quoted_rate": "--ds-quoted-rate",
            "ds_retry_base": "--ds-retry-base"}


def add_data_services(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-services", type=_subscriber_url, default=None, metavar="URL",
                        help="also POST every event to URL as Canvas Data Services does (a JWT signed RS256; "
                             "the keys are at jwks_url)")
    parser.add_argument("--ds-duplicate-rate", type=_fraction, default=None, metavar="R",
                        help="deliver a fraction R of the events twice, as Canvas's retries do (default 0)")
    parser.add_argument("--ds-delay-ms", type=_delay_ms, default=None, metavar="MS",
                        help="hold each event MS milliseconds before delivering it (default 0)")
    parser.add_argument("--ds-unsigned", action="store_true", default=None,
                        help="send the plain event JSON (Sign Payload off)")
    parser.add_argument("--ds-quoted-rate", type=_fraction, default=None, metavar="R",
                        help="send a fraction R of the signed events as a JSON string, the JWT in quotes (default 0)")
    parser.add_argument("--ds-retry-base", type=_retry_base, default=None, metavar="SECONDS",
                        help="wait before the first of Canvas's 3 retries; each later one doubles (default 120)")


def data_services_problem(args: argparse.Namespace) -> str | None:
    """A Data Services knob without a subscriber would silently do nothing: say so instead."""
    if args.data_services:
        return None
    for name, flag in DS_FLAGS.items():
        if getattr(args, name) is not None:
            return f"{flag} needs --data-services URL (where the events go)"
    return None


def add_course_students(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course-students", type=_whole_up_to(MAX_COURSE_STUDENTS), default=0, metavar="N",
                        help="fill BIO 101 up to N students (e.g. 150: over 100, a message to all of them "
                             "is a bulk message, sent in the background)")


def knobs_from(args: argparse.Namespace):
    from .sandbox.state import Knobs

    knobs = Knobs(seed=args.seed, institution=getattr(args, "institution", 1), conversations=args.conversations, long_thread=getattr(args, "long_thread", 0),
                  latency_ms=args.latency_ms,
                  fail_rate=args.fail_rate, throttle=args.throttle, activity=args.activity, now=args.now,
                  course_students=args.course_students, school=getattr(args, "school", 0),
                  oauth_token_seconds=getattr(args, "oauth_token_seconds", 3600.0),
                  restrict_student_tokens=getattr(args, "restrict_student_tokens", False),
                  inbox_settings=not getattr(args, "no_inbox_settings", False))
    if getattr(args, "data_services", None):
        knobs.data_services_url = args.data_services
        knobs.ds_sign = not args.ds_unsigned
        for flag, knob in (("ds_duplicate_rate", "ds_duplicate_rate"), ("ds_delay_ms", "ds_delay_ms"),
                           ("ds_quoted_rate", "ds_quoted_rate"), ("ds_retry_base", "ds_retry_base_seconds")):
            if getattr(args, flag) is not None:
                setattr(knobs, knob, getattr(args, flag))
    return knobs


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Given ``argv``, only the command it names gets its arguments: building
    every command's (argparse's work, and the relay's settings it imports) took longer than a
    status bar's ``tui-inbox unread`` may. Every command is listed all the same, for --help and
    for argparse's "invalid choice"."""
    only = named_command(argv) if argv is not None else None
    parser = Parser(
        prog="tui-inbox",
        description="A keyboard-driven terminal inbox for Canvas LMS. Without a command, opens the configured account.",
    )
    parser.add_argument("--config", metavar="PATH", help="the config file (default: $TUI_INBOX_CONFIG, then the user config folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for names, add in commands():
        if argv is None or only in names:
            add(sub)
        else:
            for name, summary in names.items():
                sub.add_parser(name, help=summary)
    return parser


def named_command(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word that is not an option or --config's value)."""
    names = {name for group, _ in commands() for name in group}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--config":
            skip = True
        elif not word.startswith("-"):
            return word if word in names else None
    return None


def commands() -> list[tuple[dict[str, str], Callable]]:
    """Every command ({name: one-line help}, what adds its parser), in the order --help lists them.
    The verbs for scripts (shell/commands.py) are added together: their parsers cost next to nothing."""
    from .shell.commands import SHELL_HELP, add_shell_commands

    return [({"demo": DEMO_HELP}, add_demo_command), ({"init": INIT_HELP}, add_init_command),
            ({"login": LOGIN_HELP}, add_login_command), ({"logout": LOGOUT_HELP}, add_logout_command),
            ({"accounts": ACCOUNTS_HELP}, add_accounts_command), ({"keys": KEYS_HELP}, add_keys_command),
            ({"index": INDEX_HELP}, add_index_command), ({"sandbox": SANDBOX_HELP}, add_sandbox_command),
            ({"relay": RELAY_HELP}, add_relay_command), ({"export": EXPORT_HELP}, add_export),
            (SHELL_HELP, add_shell_commands)]


DEMO_HELP = "open the app on a built-in sandbox school (no Canvas account needed)"
INIT_HELP = "connect a Canvas account: sign in with the browser (or a token), write the config"
LOGIN_HELP = "sign in again with the browser, for the configured Canvas"
LOGOUT_HELP = "sign out: revoke the sign-in at Canvas and delete its local secrets"
ACCOUNTS_HELP = "list the configured Canvas accounts and whether each one works now"
KEYS_HELP = "list the key binding ids that [keys] in the config can remap"
INDEX_HELP = "fill the search index (the newest 1,000 conversations) without the UI"
SANDBOX_HELP = "serve a Canvas-compatible sandbox with seeded data"
RELAY_HELP = "serve a school's Canvas Live Events to each user (Data Services in, a websocket out)"
EXPORT_HELP = "write whole threads (a mailbox, a course, a period) to an mbox, JSON or Markdown file"


def add_export(sub) -> None:
    from .export_command import add_export_command

    add_export_command(sub, EXPORT_HELP)


def add_demo_command(sub) -> None:
    demo = sub.add_parser("demo", help=DEMO_HELP,
                          description="Open the app as a teacher of a made-up school served on this machine: "
                                      "try the keys, a theme or a keymap before connecting an account. Nothing "
                                      "reaches a real Canvas, and the config's account is never used.")
    demo.add_argument("--activity", type=_non_negative, default=5.0, metavar="SECONDS",
                      help="other people write about every SECONDS seconds (default 5; 0: quiet)")
    demo.add_argument("--seed", type=int, default=1, help="seed of the sandbox's data")
    demo.add_argument("--conversations", type=_whole_up_to(MAX_CONVERSATIONS), default=0, metavar="N", help="N more conversations in the inbox")
    demo.add_argument("--schools", type=int, choices=(1, 2), default=1,
                      help="2: a second school too (another Canvas, other people and courses), both in one inbox")
    add_course_students(demo)


def add_init_command(sub) -> None:
    init = sub.add_parser("init", help=INIT_HELP,
                          description="Ask how to sign in (with your browser, or by pasting an access token), your "
                                      "Canvas URL and, if you have one, a live-events URL; sign in or check the token "
                                      "with Canvas, then write the config (mode 0600). A mistake asks that one "
                                      "question again. A browser sign-in's tokens go to the OS keyring (or a private "
                                      "file where there is none), never into the config. With a config that "
                                      "has an account already, --url (and --name) adds one more account.")
    init.add_argument("--url", help="the Canvas URL (asked for if missing)")
    init.add_argument("--name", metavar="NAME",
                      help="the new account's short name, its tag in the inbox, when the config already has an "
                           "account (default: from the Canvas host, e.g. canvas.state.edu is state)")
    add_sign_in_flags(init)
    init.add_argument("--school", metavar="RELAY_URL",
                      help="your school's tui-inbox relay: it says the Canvas URL, the client id and the live URL")


def add_login_command(sub) -> None:
    login = sub.add_parser("login", help=LOGIN_HELP,
                           description="Sign in to the configured Canvas with your browser (OAuth2 with PKCE) and "
                                       "keep the tokens in the OS keyring (or a private file where there is none). "
                                       "Drafts and the Outbox are kept.")
    add_sign_in_flags(login)
    add_account_flag(login)


def add_logout_command(sub) -> None:
    logout = sub.add_parser("logout", help=LOGOUT_HELP,
                            description="Ask Canvas to revoke the browser sign-in (DELETE /login/oauth2/token) and "
                                        "delete every secret of it on this machine. The config, drafts and the "
                                        "Outbox stay.")
    add_account_flag(logout)


def add_accounts_command(sub) -> None:
    sub.add_parser("accounts", help=ACCOUNTS_HELP,
                   description="One line per account: its name, Canvas host, how it signs in (token, command or "
                               "browser) and its state, asked of every Canvas at once: ready (who is signed in), "
                               "offline (why), sign in again, or no token. Exit 0 if every account is ready.")


def add_keys_command(sub) -> None:
    sub.add_parser("keys", help=KEYS_HELP,
                   description="List every key binding: its id, its default keys and what it does. Remap one in "
                               "the config's [keys] table by its id, e.g. archive = \"e\".")


def add_index_command(sub) -> None:
    index = sub.add_parser("index", help=INDEX_HELP,
                           description="Fetch the threads of the newest 1,000 conversations (--all: every one) "
                                       "into the search index that S searches, without marking anything read, "
                                       "pacing itself on Canvas's rate limit. It can run beside the app.")
    index.add_argument("--all", action="store_true", help="every conversation, not only the newest 1,000")
    index.add_argument("--account", metavar="NAME",
                       help="only this account (default: every account in turn; `tui-inbox accounts` lists them)")


def add_sandbox_command(sub) -> None:
    sandbox = sub.add_parser("sandbox", help=SANDBOX_HELP,
                             description="Serve a Canvas-compatible sandbox. The first line on standard output is "
                                         "a JSON object with base_url, live_url, jwks_url (and data_services_url "
                                         "with --data-services), the OAuth2 developer_key (client_id, "
                                         "client_secret, redirect_uris, redirect_uri) and the users with their tokens, login "
                                         "ids and passwords.")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=_port, default=0, help="0 picks a free port")
    add_sandbox_knobs(sandbox)


def add_sign_in_flags(parser) -> None:
    parser.add_argument("--client-id", metavar="ID", help="your school's developer key for tui-inbox (its digits)")
    parser.add_argument("--no-browser", action="store_true",
                        help="print the sign-in address and take the code Canvas shows (over SSH, say)")


def add_account_flag(parser) -> None:
    parser.add_argument("--account", metavar="NAME",
                        help="which account of the config (needed when there are several; `tui-inbox accounts` "
                             "lists them)")


def add_relay_command(sub) -> None:
    from .relay.settings import DEFAULT_ISSUER, DEFAULT_JWKS_URL

    relay = sub.add_parser(
        "relay", help=RELAY_HELP,
        description="Receive Canvas Live Events from Data Services (signed HTTPS POSTs), store them in NATS "
                    "JetStream and stream each user what they may see. The first line on standard output is a "
                    "JSON object with events_url, live_url and metrics_url; /.well-known/tui-inbox.json tells apps the "
                    "Canvas URL, the client id and the live URL. The admin token comes from "
                    "--admin-token-command or TUI_INBOX_RELAY_ADMIN_TOKEN.")
    relay.add_argument("--canvas-url", metavar="URL", help="the school's Canvas (required)")
    relay.add_argument("--admin-token-command", metavar="CMD",
                       help="a command that prints the admin token (run once at start)")
    relay.add_argument("--host", default="127.0.0.1")
    relay.add_argument("--port", type=_port, default=0, help="0 picks a free port")
    relay.add_argument("--nats", metavar="URL[,URL...]",
                       help="a shared NATS with JetStream, or several servers of its cluster, comma- or "
                            "space-separated (default: start our own; also TUI_INBOX_RELAY_NATS, which keeps a "
                            "password in a URL out of the process list)")
    relay.add_argument("--nats-store", metavar="DIR", help="the folder of our own NATS's stream (default: temporary)")
    relay.add_argument("--jwks-url", default=DEFAULT_JWKS_URL, metavar="URL",
                       help="where Canvas's signing keys are published")
    relay.add_argument("--issuer", default=DEFAULT_ISSUER, help="the iss every event's JWT must carry")
    relay.add_argument("--allow-unsigned", action="store_true",
                       help="also accept events that are plain JSON (Sign Payload off): anyone could POST one")
    relay.add_argument("--client-id", metavar="ID",
                       help="the developer key the school made for tui-inbox (Admin > Developer Keys): published "
                            "at /.well-known/tui-inbox.json so `tui-inbox init --school URL` signs users in with it")
    # -- part "cluster": NATS as a cluster, the streams' replicas
    relay.add_argument("--nats-creds", metavar="FILE", help="a NATS credentials file (a user JWT and its seed)")
    relay.add_argument("--nats-ca", metavar="FILE",
                       help="the PEM file of the CA that signed the NATS servers' certificates (tls:// URLs)")
    relay.add_argument("--replicas", type=_replicas, metavar="N",
                       help="copies JetStream keeps of the relay's streams, 1 to 5 (default: 3 when the NATS "
                            "cluster has at least three servers, else 1)")
    # part "resume"
    relay.add_argument("--resume-window", metavar="SECONDS", default=None,
                       help="how long routed events are kept for apps that reconnect with their last event's id "
                            "(default 900)")
    # -- part "connections" (issue 24): limits that keep a flood of connections from hurting --
    relay.add_argument("--header-timeout", type=_positive_seconds, metavar="SECONDS",
                       help="close a connection that has not sent its request's headers within this (default 10)")
    relay.add_argument("--handshake-timeout", type=_positive_seconds, metavar="SECONDS",
                       help="answer 503 to a websocket handshake not done within this (default 10)")
    relay.add_argument("--max-pending-handshakes", type=_positive_count, metavar="N",
                       help="handshakes waiting for Canvas at once; beyond, 503 with Retry-After (default 256)")
    relay.add_argument("--max-handshakes-per-address", type=_positive_count, metavar="N",
                       help="handshakes per 10 s from one address that are not (yet) signed in; beyond, 429 "
                            "(default 60)")
    relay.add_argument("--max-connections-per-user", type=_positive_count, metavar="N",
                       help="connections one person may hold (their devices); the next is refused with 429 "
                            "(default 8)")
    relay.add_argument("--forwarded-allow-ips", metavar="ADDRS",
                       help="proxies (comma-separated addresses, or *) whose X-Forwarded-For names the client "
                            "(default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1)")
    # Part "ops": the operations kit.
    relay.add_argument("--check", action="store_true",
                       help="check the settings, Canvas and the admin token (and that it may act as users), NATS "
                            "and the JWKS; print one line per check and exit (0: all good; 1: the first problem "
                            "and its fix; 2: a flag mistake). The systemd unit runs it before each start")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from .config import ConfigError

    try:
        return run(args, parser)
    except ConfigError as error:
        # One line whatever the message holds (an OS error or a command's output can carry newlines).
        print(f"tui-inbox: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`tui-inbox keys | head -1`): nothing more to say, and no traceback. Standard
        # output goes to /dev/null, or the interpreter's final flush would fail on the pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(args)
    if args.command == "init":
        from .setup import run_init

        return run_init(args.config, args.url, client_id=args.client_id, no_browser=args.no_browser,
                        school=args.school, name=args.name)
    if args.command == "login":
        from .signin.commands import run_login

        return run_login(args.config, args.client_id, args.no_browser, args.account)
    if args.command == "logout":
        from .signin.commands import run_logout

        return run_logout(args.config, args.account)
    if args.command == "accounts":
        from . import config as config_module
        from .accounts_command import run_accounts

        return run_accounts(config_module.load(args.config))
    if args.command == "keys":
        from .ui.keys import ALL_KEYS, display_key

        rows = [(key.id, display_key(key.keys), key.description) for key in ALL_KEYS]
        # Each column as wide as its longest entry, then two spaces: a fixed width ran long ids into their keys.
        id_width, key_width = (max(len(row[i]) for row in rows) + 2 for i in (0, 1))
        for ident, keys, description in rows:
            print(f"{ident:<{id_width}}{keys:<{key_width}}{description}")
        return 0
    if args.command is None:
        from . import gc_pause

        gc_pause.pause()  # until the app's first frame (launch.run_app resumes it)
        from . import config as config_module
        from .launch import check_settings, run_app, usable_accounts

        config = config_module.load(args.config)
        check_settings(config)  # before the token command runs and before the network
        return run_app(config, usable_accounts(config, say=lambda line: print(f"tui-inbox: {line}", file=sys.stderr)))
    if args.command == "index":
        from . import config as config_module
        from .config_accounts import accounts_named
        from .index_command import run_every_index

        config = config_module.load(args.config)
        return run_every_index(config, accounts_named(config, args.account, "index"), everything=args.all)
    if args.command == "sandbox":
        from .sandbox.server import serve_forever

        problem = data_services_problem(args)
        if problem:
            parser.exit(2, f"tui-inbox sandbox: {problem}; see `tui-inbox sandbox --help`.\n")
        try:
            return serve_forever(knobs_from(args), args.host, args.port)
        except OSError as exc:
            print(f"tui-inbox: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    if args.command in VERBS:
        from . import config as config_module
        from .shell.commands import run_shell

        return run_shell(args, config_module.load(args.config))
    if args.command == "export":
        from .export_command import run_export

        return run_export(args)
    if args.command == "relay":
        from .relay.server import serve_forever as serve_relay
        from .relay.settings import SettingsError, settings_from_args

        try:
            settings = settings_from_args(args)
        except SettingsError as error:
            print(f"tui-inbox relay: {' '.join(str(error).split())}", file=sys.stderr)
            return 2
        if args.check:
            from .relay.check import check_command

            return check_command(settings)
        try:
            return serve_relay(settings)
        except OSError as exc:
            print(f"tui-inbox relay: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
