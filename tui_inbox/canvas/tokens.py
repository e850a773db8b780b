"""A token that never shows itself: kept out of every repr, log line and traceback."""

from __future__ import annotations


class Token:
    """An access or refresh token. ``reveal()`` only where it is written into a request."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Token(***)"

    __str__ = __repr__
