"""The ``tui-inbox`` command and its subcommands."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("use ISO-8601, e.g. 2026-11-24T12:00:00Z") from None


def add_sandbox_knobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument("--conversations", type=int, default=0, metavar="N",
                        help="add N conversations to the teacher's inbox (load tests)")
    parser.add_argument("--latency-ms", type=_non_negative, default=0.0, help="delay added to every response")
    parser.add_argument("--fail-rate", type=_fraction, default=0.0,
                        help="fraction of API requests answered 500 or 503")
    parser.add_argument("--throttle", action="store_true", help="turn on Canvas's leaky-bucket rate limit")
    parser.add_argument("--activity", type=_non_negative, default=0.0, metavar="SECONDS",
                        help="other people write about every SECONDS seconds (0: quiet)")
    parser.add_argument("--now", type=_instant, default=None, help="fix the clock's start (reproducible runs)")


def knobs_from(args: argparse.Namespace):
    from .sandbox.state import Knobs

    return Knobs(seed=args.seed, conversations=args.conversations, latency_ms=args.latency_ms,
                 fail_rate=args.fail_rate, throttle=args.throttle, activity=args.activity, now=args.now)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tui-inbox", description="A keyboard-driven terminal inbox for Canvas LMS.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox = sub.add_parser("sandbox", help="serve a Canvas-compatible sandbox with seeded data",
                             description="Serve a Canvas-compatible sandbox. The first line on standard output is "
                                         "a JSON object with base_url, live_url and the users with their tokens.")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=0, help="0 picks a free port")
    add_sandbox_knobs(sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from .sandbox.server import serve_forever

        try:
            return serve_forever(knobs_from(args), args.host, args.port)
        except OSError as exc:
            print(f"tui-inbox: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
