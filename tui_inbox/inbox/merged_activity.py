"""Activity of several accounts, as one list: every account's discussion items, newest first,
each with its account.

Each account's Activity (activity.py) reads its own courses and keeps its own "new since you
last looked" on its own Canvas's clock; this only puts them side by side. An item is known by
(account, item): two schools can have a topic 42 in a course_7, and they are two topics. So
opening an item, or asking whether it is new, goes to its own account's Activity.

How the UI uses it: ``items(names)`` for the list (the accounts it shows), ``look(names)`` when
Activity is chosen or shows another account (how many are new, summed), ``looked_away()`` when it
is left, ``is_new`` and ``course_label`` for each item's line, ``activity(account)`` to open one.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from .activity import Activity, ActivityItem

if TYPE_CHECKING:
    from .accounts import Accounts

Tagged = tuple[str, ActivityItem]  # an item with its account


def _newest_first(tagged: Tagged) -> float:
    when = tagged[1].when
    return -when.timestamp() if when is not None else float("inf")  # an undated item goes last


class MergedActivity:
    def __init__(self, accounts: "Accounts") -> None:
        self.accounts = accounts
        self.looking: list[str] = []  # the accounts looked at since Activity was chosen

    def activity(self, account: str) -> Activity:
        return self.accounts.session(account).activity

    def items(self, names: list[str]) -> list[Tagged]:
        """The accounts' items, newest first across them. Each Activity keeps its own newest first,
        so this is a merge of sorted runs; items of the same moment keep the accounts' order."""
        return list(heapq.merge(*([(name, item) for item in self.activity(name).items] for name in names),
                                key=_newest_first))

    def loaded(self, names: list[str]) -> bool:
        """Some account has read its activity: an empty list then means nothing yet, not loading
        (an account that cannot be reached never loads, and must not keep the others "loading")."""
        return any(self.activity(name).loaded for name in names)

    def look(self, names: list[str]) -> int:
        """The user looks at Activity now: how many items are new to them, over the accounts."""
        self.looking += [name for name in names if name not in self.looking]
        return sum(self.activity(name).look() for name in names)

    def looked_away(self, names: list[str] | None = None) -> None:
        """Leaving Activity: what it showed counts as seen, at every account looked at while it was
        up (narrowing to one account on the way does not make the others' items new again)."""
        for name in names if names is not None else self.looking:
            self.activity(name).looked_away()
        self.looking = []

    def is_new(self, account: str, item: ActivityItem) -> bool:
        return self.activity(account).is_new(item)

    def course_label(self, account: str, code: str) -> str:
        return self.activity(account).course_label(code)
