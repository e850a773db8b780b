"""``tui-inbox archive|unarchive|star|unstar|mark-read|mark-unread|mute|unmute|delete`` and ``undo``.

A verb acts on the conversation ids given, or on what ``--pattern`` matches in a mailbox (as
``/`` narrows the Inbox in the app; ``--mailbox`` for another); with several accounts a pattern
covers each (each account's matches changed on its own Canvas), ids need ``--account``.

- ``--dry-run`` lists what would change and sends nothing.
- More than ``CONFIRM_ABOVE`` conversations without ``--yes``: asked on a terminal, refused (status
  1, one line) when standard input is not one, so that a script never changes hundreds by surprise.
- What is already as asked is left alone and said so ("already archived"); the outcome says what
  changed and what Canvas refused (status 1 if anything was refused).
- ``tui-inbox undo`` puts back the last change made from the shell (``journal.py``): each
  conversation as it was, no more (archiving a starred one and undoing leaves it starred).
  Delete cannot be undone, and says so before and after.

Progress goes to standard error on a terminal only; server text is printed as one clean line.
"""

from __future__ import annotations

import asyncio
import sys

from ..config import Config, ConfigError
from ..config_accounts import one_account
from ..inbox.text import one_line  # Canvas's reasons are server text: no escape sequence reaches the terminal
from ..inbox.triage import plural
from .accounts import Known, chosen, known
from .changing import Plan, apply, plan_ids, plan_pattern, undo
from .commands import VerbFailed
from .reading import row_line
from .shapes import print_json, row_json

CONFIRM_ABOVE = 20
NO_UNDO = "delete cannot be undone"
# The command's verb -> the core's (inbox/triage_requests.py).
CORE_VERB = {"archive": "archive", "unarchive": "unarchive", "star": "star", "unstar": "unstar", "mark-read": "read",
         "mark-unread": "unread", "mute": "mute", "unmute": "unmute", "delete": "delete"}
# The core's verb -> (what it does to "{}" conversations, its outcome's past tense).
WORDS = {"archive": ("archive {}", "Archived"), "unarchive": ("unarchive {}", "Unarchived"),
         "star": ("star {}", "Starred"), "unstar": ("unstar {}", "Unstarred"),
         "read": ("mark {} read", "Marked read"), "unread": ("mark {} unread", "Marked unread"),
         "mute": ("mute {} (Canvas marks a muted conversation read)", "Muted"), "unmute": ("unmute {}", "Unmuted"),
         "delete": ("delete {}", "Deleted")}


def run_change(config: Config, command: str, ids: list[int], *, pattern: str | None, mailbox: str,
               account: str | None, dry_run: bool, yes: bool, as_json: bool) -> int:
    verb = CORE_VERB[command]
    plans = _plans(config, command, verb, ids, pattern, mailbox, account)
    several = len(plans) > 1
    count = sum(len(plan.change) for plan in plans)
    if dry_run:
        _preview(command, plans, several, as_json)
        return 0 if any(plan.matched for plan in plans) else 1
    if not any(plan.matched for plan in plans):
        if as_json:
            _outcome(command, verb, plans, several, as_json)  # a script reads empty lists, not nothing
        _say(command, f"nothing matches {pattern!r} in {mailbox}; nothing was changed")
        return 1
    if count > CONFIRM_ABOVE and not yes:
        _confirm(command, verb, plans, several, count)
    if count:
        from . import journal

        with journal.held():
            asyncio.run(apply(config, plans, _progress(command)))
    _outcome(command, verb, plans, several, as_json)
    return 1 if any(plan.failed for plan in plans) else 0


def _plans(config: Config, command: str, verb: str, ids: list[int], pattern: str | None, mailbox: str,
           account: str | None) -> list[Plan]:
    if ids and pattern is not None:
        raise ConfigError(f"{command}: give conversation ids or --pattern, not both")
    if ids:
        one = known(config, one_account(config, account, command))
        return [asyncio.run(plan_ids(config, one, verb, list(dict.fromkeys(ids))))]
    if pattern is None:
        raise ConfigError(f"{command}: say which conversations: their ids (`tui-inbox list` shows them) "
                          "or --pattern P (as / in the app)")
    accounts = [known(config, settings) for settings in chosen(config, account, command)]
    names = [one.name for one in accounts]
    return [asyncio.run(plan_pattern(config, one, verb, pattern, mailbox, names)) for one in accounts]


def _unchanged(plans: list[Plan]) -> list[dict]:
    return [{"account": plan.account.name, "id": cid, "reason": reason}
            for plan in plans for cid, reason in plan.unchanged.items()]


def _left_alone(plans: list[Plan]) -> str:
    """ "; 2 already archived" (each reason with its count), or nothing."""
    reasons: dict[str, int] = {}
    for plan in plans:
        for reason in plan.unchanged.values():
            reasons[reason] = reasons.get(reason, 0) + 1
    return "".join(f"; {count:,} {reason}" for reason, count in reasons.items())


def _preview(command: str, plans: list[Plan], several: bool, as_json: bool) -> None:
    verb = plans[0].verb
    count = sum(len(plan.change) for plan in plans)
    if as_json:
        print_json({"verb": command, "would_change": [row_json(plan.account.name, row, label)
                                                      for plan in plans for row, label in plan.change],
                    "count": count, "unchanged": _unchanged(plans), "undo": verb != "delete"})
    else:
        for plan in plans:
            for row, label in plan.change:
                print(row_line(plan.account.name if several else None, row, label))
    if not any(plan.matched for plan in plans):
        _say(command, "nothing matches; nothing would change")
        return
    _say(command, f"would {WORDS[verb][0].format(plural(count))}{_left_alone(plans)}; nothing was changed "
                  "(--dry-run)")
    if verb == "delete":
        _say(command, NO_UNDO)


def _confirm(command: str, verb: str, plans: list[Plan], several: bool, count: int) -> None:
    """More than CONFIRM_ABOVE at once: asked on a terminal; refused when no one can be asked."""
    if not sys.stdin.isatty():
        raise VerbFailed(f"{plural(count)} would change: pass --yes to change more than {CONFIRM_ABOVE} at once "
                         "(--dry-run lists them); nothing was changed")
    shown = [(plan, row, label) for plan in plans for row, label in plan.change][:5]
    for plan, row, label in shown:
        print(row_line(plan.account.name if several else None, row, label), file=sys.stderr)
    if count > len(shown):
        print(f"... and {count - len(shown):,} more (--dry-run lists them all)", file=sys.stderr)
    question = WORDS[verb][0].format(plural(count)) + ("? Delete cannot be undone." if verb == "delete" else "?")
    print(f"{question[0].upper()}{question[1:]} [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().casefold() not in ("y", "yes"):
        raise VerbFailed("nothing was changed")


def _progress(command: str):
    """Progress on standard error, and only on a terminal: a script's log stays one line per problem."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\rtui-inbox {command}: {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)

    return show


def _outcome(command: str, verb: str, plans: list[Plan], several: bool, as_json: bool) -> None:
    changed = [(plan, cid) for plan in plans for cid in plan.changed]
    failed = [(plan, cid, reason) for plan in plans for cid, reason in plan.failed.items()]
    undoable = verb != "delete" and bool(changed or failed)
    if as_json:
        print_json({"verb": command,
                    "changed": [{"account": plan.account.name, "id": cid} for plan, cid in changed],
                    "failed": [{"account": plan.account.name, "id": cid, "reason": reason}
                               for plan, cid, reason in failed],
                    "unchanged": _unchanged(plans), "undo": undoable})
    else:
        line = f"{WORDS[verb][1]} {plural(len(changed))}{_left_alone(plans)}"
        if not changed and not failed:
            line = f"Nothing to change{_left_alone(plans).replace(';', ':', 1)}"
        if failed:
            line += f"; {len(failed):,} failed"
        print(line + ("; `tui-inbox undo` puts them back" if undoable else ""))
    for plan, cid, reason in failed:
        _say(command, f"{plan.account.name + ': ' if several else ''}{cid}: {one_line(reason)}")
    if verb == "delete" and changed:
        _say(command, NO_UNDO)


def _say(command: str, line: str) -> None:
    print(f"tui-inbox {command}: {line}", file=sys.stderr)


# -- undo ------------------------------------------------------------------------------------------
def run_undo(config: Config, *, as_json: bool) -> int:
    from . import journal

    with journal.held():
        try:
            last = journal.load()
        except journal.JournalError as error:
            raise VerbFailed(str(error)) from None
        if last is None or last.state == journal.UNDONE or not last.parts:
            raise VerbFailed("nothing to undo (no change made from the shell since the last undo)")
        if not last.reversible:
            raise VerbFailed(f"the last change was a delete, and {NO_UNDO}")
        accounts = {part.account: _account_of(config, part.account) for part in last.parts}
        put_back, failed = asyncio.run(undo(config, last, accounts, _progress("undo")))
    several = len(accounts) > 1
    command = next(k for k, v in CORE_VERB.items() if v == last.verb)
    if as_json:
        print_json({"verb": "undo", "undid": command,
                    "restored": [{"account": name, "id": cid} for name, cid in put_back],
                    "failed": [{"account": name, "id": cid, "reason": reason} for (name, cid), reason in failed.items()]})
    else:
        line = f"Undone: {plural(len(put_back))} back as they were (the last {command})"
        print(line + (f"; {len(failed):,} not yet: `tui-inbox undo` tries them again" if failed else ""))
    for (name, cid), reason in failed.items():
        _say("undo", f"{name + ': ' if several else ''}{cid}: {one_line(reason)}")
    return 1 if failed else 0


def _account_of(config: Config, name: str) -> Known:
    for settings in config.accounts:
        if settings.name.casefold() == name.casefold():
            return known(config, settings)
    raise VerbFailed(f"the last change was made on account {name!r}, which the config no longer has; "
                     "nothing was undone")
