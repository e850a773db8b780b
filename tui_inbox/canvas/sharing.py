"""One object for each value that repeats across the rows of a listing.

A mailbox of 100,000 conversations names the same few dozen people, courses, audiences
and states over and over; Canvas's bulk messages even give hundreds of conversations the
same subject and preview. Parsed naively, every row holds its own copy of each (a
``Participant`` with two dicts per person per row, a nest of dicts per audience), and the
copies are most of what a big inbox costs. ``Shared`` hands out one object per distinct
value for the length of one listing's parse, then is dropped, so it never outgrows the
rows it serves.

Shared containers are read-only (``FrozenList``, ``FrozenDict``): a change through one
row would otherwise silently change every row holding the same object. They compare,
copy and serialize as the list or dict they stand for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Hashable, TypeVar

from .parsing import as_datetime

T = TypeVar("T")


def _refuse(self, *args, **kwargs):
    raise TypeError(f"this {type(self).__name__} is shared by many rows: copy it (list(...) or dict(...)) to change it")


class FrozenList(list):
    """A list that refuses changes (it may be the one object many rows hold)."""

    __slots__ = ()
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self):  # copy and pickle build it whole, not by appending to an empty one
        return (type(self), (list(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class FrozenDict(dict):
    """A dict that refuses changes (it may be the one object many rows hold)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = setdefault = update = pop = popitem = clear = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


EMPTY_LIST: FrozenList = FrozenList()
EMPTY_DICT: FrozenDict = FrozenDict()


def _key(value: Any) -> Hashable:
    """A hashable stand-in for a JSON value (equal values, equal keys)."""
    if isinstance(value, dict):
        return ("d", tuple((k, _key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", tuple(_key(v) for v in value))
    return (type(value).__name__, value)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return FrozenDict((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return FrozenList(_frozen(v) for v in value)
    return value


class Shared:
    """The objects handed out so far in one parse: equal values come back as one object."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[Hashable, Any] = {}

    def one(self, key: Hashable, make: Callable[[], T]) -> T:
        """The object for ``key``, made by ``make()`` the first time it is asked for."""
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = make()
        return found

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._seen.setdefault(("s", value), value)

    def when(self, value: Any) -> datetime | None:
        """A timestamp parsed once per distinct text (a bulk message stamps many rows alike)."""
        if not isinstance(value, str):
            return as_datetime(value)
        key = ("w", value)
        if key in self._seen:
            return self._seen[key]
        parsed = self._seen[key] = as_datetime(value)
        return parsed

    def ints(self, values: list[int]) -> FrozenList:
        if not values:
            return EMPTY_LIST
        return self.one(("i", *values), lambda: FrozenList(values))

    def texts(self, values: list[str]) -> FrozenList:
        if not values:
            return EMPTY_LIST
        return self.one(("t", *values), lambda: FrozenList(values))

    def items(self, values: list) -> FrozenList:
        """A list of objects already shared (people): one list per sequence of the same objects."""
        if not values:
            return EMPTY_LIST
        return self.one(("o", *map(id, values)), lambda: FrozenList(values))

    def json(self, value: Any) -> Any:
        """A JSON structure (dicts, lists, scalars), read-only and shared by equal ones."""
        if isinstance(value, dict) and not value:
            return EMPTY_DICT
        try:
            return self.one(("j", _key(value)), lambda: _frozen(value))
        except RecursionError:  # a hostile nesting, deeper than Python follows: the row keeps it as sent
            return value
