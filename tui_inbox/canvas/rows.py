"""Items of an answer that cannot be rows: left out, the rest kept, and one line says so.

Canvas's ids are whole numbers from 1 to 2**63 - 1. A broken or hostile server may send
anything in their place: read as 0, ``"abc"``, ``null`` or ``true`` would be taken for one
another (and for a real row), and 2**70 cannot even be stored (SQLite's integers are 64-bit).
Such an item is left out of a listing (or a thread's messages), and one line per answer tells
how many, naming the server. An item that is not an object at all, where rows are expected,
makes the whole answer the wrong shape: that is an error, not an empty list.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Callable, Iterable, TypeVar

from .errors import BadRow, ServerError

log = logging.getLogger("tui_inbox.canvas")
T = TypeVar("T")
KINDS = {str: "a string", dict: "an object", list: "a list", type(None): "null", bool: "true or false",
         int: "a number", float: "a number"}


def shown(value: Any) -> str:
    """An id as a message quotes it: JSON's words for null and booleans, and never very long."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value)
    return text if len(text) <= 30 else text[:29] + "…"


def bad_id(kind: str, value: Any) -> BadRow:
    return BadRow(f"Canvas sent a {kind} whose id is {shown(value)}, not a whole number from 1 to 2^63: "
                  "it cannot be used; a broken server or proxy may be in the way.")


def kind_of(value: Any) -> str:
    return KINDS.get(type(value), type(value).__name__)


class LeftOut:
    """What one answer left out, by kind ("conversation", "message"), with the first few ids."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []

    def add(self, kind: str, value: Any) -> None:
        self.counts[kind] += 1
        if len(self.examples) < 3:
            self.examples.append(shown(value))

    def line(self, where: str) -> str | None:
        if not self.counts:
            return None
        what = " and ".join(f"{n:,} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts.items())
        more = ", …" if sum(self.counts.values()) > len(self.examples) else ""
        return (f"Left out {what} that {where} sent with an id that is not a whole number from 1 to 2^63 "
                f"({', '.join(self.examples)}{more}).")


def usable(items: Iterable[Any], parse: Callable[[dict], T], kind: str, left_out: LeftOut) -> list[T]:
    """The items parsed, those with a bad id left out (and counted in ``left_out``)."""
    rows = []
    for item in items:
        row = one(item, parse, kind, left_out)
        if row is not None:
            rows.append(row)
    return rows


def one(item: Any, parse: Callable[[dict], T], kind: str, left_out: LeftOut) -> T | None:
    if not isinstance(item, dict):
        raise ServerError(f"Canvas sent {kind_of(item)} where a {kind} was expected; "
                          "a proxy or a broken server may be in the way.")
    try:
        return parse(item)
    except BadRow:
        left_out.add(kind, item.get("id"))
        return None


def said(left_out: LeftOut, where: str, tell: Iterable[Callable[[str], None]]) -> None:
    """Say what ``left_out`` holds, once, to the log and to each of ``tell``."""
    line = left_out.line(where)
    if line is None:
        return
    log.warning("%s", line)
    for listener in list(tell):
        try:
            listener(line)
        except Exception:
            log.exception("a listener to left-out rows failed")
