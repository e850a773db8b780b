"""The pattern language of ``/`` (narrow the view) and ``T`` (select by pattern).

``PATTERNS`` lists every kind of term with what it matches (the help screen shows it as a
table): state, people, course, subject, attachment, age, words, and ``-`` for "not".
Terms combine with AND. A mistake raises ``QueryError`` with the position to show
where the pattern is typed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

from ..canvas.models import Conversation
from .text import one_line

UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30),
         "y": timedelta(days=365)}
STATES = ("unread", "read", "starred", "archived")
KEYS = ("is", "from", "to", "course", "subject", "body", "has", "older", "newer", "account")
EXAMPLES = {"account": "state", "is": "unread", "from": "jane", "to": "jane", "course": "bio", "subject": "exam", "body": "extension",
            "has": "attachment", "older": "30d", "newer": "2w"}
# "Re:exam" and "https://..." are text a person searches for, not keys.
REPLY_PREFIXES = ("re", "fw", "fwd", "aw", "sv", "http", "https")
# (what to type, what it matches): one row of the help's pattern table each.
PATTERNS = (
    ("is:unread  is:read  is:starred  is:archived", "state"),
    ("from:NAME  to:NAME", "people (from: someone other than me; to: anyone in it)"),
    ("course:CODE-or-name", 'e.g. course:BIO or course:"World History"'),
    ("subject:WORD", "a word of the subject"),
    ("body:WORD", "a word of any message in it (conversations indexed for search only)"),
    ("has:attachment", "a file is attached"),
    ("older:30d  newer:2w", "age of the last message (h, d, w, m = 30 days, y)"),
    ("account:NAME", "one account's rows, with several accounts (the config's name)"),
    ("words", "in the people, the subject or the last message's preview"),
    ("-term", 'not that; "quoted words" stay together'),
)


class QueryError(ValueError):
    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Term:
    key: str  # one of KEYS, or "text"
    value: str
    negate: bool = False


TOKEN = re.compile(r"""-?(?:[\w]+:)?(?:"[^"]*"|'[^']*'|\S+)""")


def _tokens(text: str) -> list[tuple[str, int]]:
    """(token, position) with quotes removed; a quote left open is an error."""
    if text.count('"') % 2 or text.count("'") % 2:
        quote = '"' if text.count('"') % 2 else "'"
        raise QueryError("An opening quote has no closing quote.", text.rfind(quote))
    return [(m.group(0).replace('"', "").replace("'", ""), m.start()) for m in TOKEN.finditer(text)]


def _suggestion(key: str) -> str:
    """``star:`` most likely meant ``is:starred``; ``sujbect:`` meant ``subject:``."""
    state = difflib.get_close_matches(key, STATES, n=1, cutoff=0.6)
    if state:
        return f" (did you mean is:{state[0]}?)."
    close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}:?)." if close else "."


def parse(text: str) -> list[Term]:
    terms: list[Term] = []
    for token, position in _tokens(text):
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        key, sep, value = body.partition(":")
        if not sep or key.lower() not in KEYS:
            if sep and value and key.isalpha() and not value.startswith("//") and key.lower() not in REPLY_PREFIXES:
                raise QueryError(f"Unknown key {key}:{_suggestion(key.lower())} Keys: {', '.join(k + ':' for k in KEYS)}",
                                 position)
            close = difflib.get_close_matches(key.lower(), KEYS, n=1, cutoff=0.6) if sep else []
            if close:
                raise QueryError(f"Unknown key {key}: (did you mean {close[0]}:?). Keys: {', '.join(k + ':' for k in KEYS)}",
                                 position)
            terms.append(Term("text", body.casefold(), negate))  # "re:" or a URL is just text
            continue
        key = key.lower()
        if not value:
            raise QueryError(f"{key}: needs a value, e.g. {key}:{EXAMPLES[key]}.", position)
        if key == "is" and value.lower() not in STATES:
            raise QueryError(f"is:{value} is not a state; use is:unread, is:read, is:starred or is:archived.", position)
        if key == "has" and value.lower() not in ("attachment", "attachments"):
            raise QueryError("has: knows only has:attachment.", position)
        if key in ("older", "newer") and not re.fullmatch(r"\d+[hdwmy]", value.lower()):
            raise QueryError(f"{key}:{value} is not an age; use a number and h, d, w, m or y, e.g. {key}:30d.", position)
        terms.append(Term(key, value.casefold(), negate))
    return terms


def age(value: str) -> timedelta:
    return int(value[:-1]) * UNITS[value[-1]]


def course_holds(value: str, *labels: str | None) -> bool:
    """The ``course:`` rule: what was typed, without case, anywhere in a course's code, name or
    context code ("bio" is BIO 101, "world" World History). ``tui-inbox export --course`` uses it too."""
    return value.casefold() in " ".join(label or "" for label in labels).casefold()


def compile_query(
    text: str,
    *,
    me: int,
    now: Callable[[], datetime],
    course_of: Callable[[Conversation], str | None],
    body_matching: Callable[[str], set[int]] | None = None,
    account: str = "",
    accounts: Sequence[str] = (),
) -> Callable[[Conversation], bool]:
    """A predicate over list rows; raises QueryError on a bad pattern.

    ``body_matching`` gives the ids of the conversations whose indexed messages hold a word
    (the search index's ``body_matching``): asked once per ``body:`` term, not per row. A
    conversation not indexed yet has no body to match.

    ``account``: whose rows the predicate judges (``account:NAME`` holds for that account's rows
    only); ``accounts``: every account's name, so a name that is none of them is a mistake."""
    terms = parse(text)
    names = {name.casefold(): name for name in accounts}
    for term in terms:
        if term.key == "account" and names and term.value not in names:
            raise QueryError(f"No account is named {term.value!r}{close_name(term.value, list(names))}; "
                             f"the accounts: {', '.join(accounts)}.", text.casefold().find("account:"))
    bodies: dict[str, set[int]] = {}
    for term in terms:
        if term.key == "body":
            if body_matching is None:
                raise QueryError("body: needs the search index, which this session does not keep.",
                                 text.casefold().find("body:"))
            bodies[term.value] = body_matching(term.value)

    def people(c: Conversation, include_me: bool) -> str:
        return " ".join(f"{p.name} {p.full_name}" for p in c.participants if include_me or p.id != me).casefold()

    def holds(term: Term, c: Conversation) -> bool:
        value = term.value
        if term.key == "account":
            return value == account.casefold()
        if term.key == "is":
            if value == "starred":
                return c.starred
            return c.workflow_state == value
        if term.key == "from":
            return value in people(c, False)
        if term.key == "to":
            return value in people(c, True)
        if term.key == "course":
            return course_holds(value, course_of(c), c.context_name, c.context_code)
        if term.key == "subject":
            return value in one_line(c.subject).casefold()
        if term.key == "body":
            return c.id in bodies[value]
        if term.key == "has":
            return c.has_attachments
        if term.key in ("older", "newer"):
            when = c.last_message_at or c.last_authored_message_at
            if when is None:
                return False
            cutoff = now() - age(value)
            return when < cutoff if term.key == "older" else when >= cutoff
        text_of = f"{one_line(c.subject)} {one_line(c.last_message)} {one_line(c.last_authored_message)}"
        return value in text_of.casefold() or value in people(c, False)

    def matches(c: Conversation) -> bool:
        return all(holds(t, c) != t.negate for t in terms)

    return matches


def close_name(value: str, names: list[str]) -> str:
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def searches_bodies(text: str) -> bool:
    """Whether a pattern has a ``body:`` term (the list then says how many rows are not indexed yet)."""
    try:
        return any(term.key == "body" for term in parse(text))
    except QueryError:
        return False
