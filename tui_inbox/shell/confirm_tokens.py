"""The confirming second call of a big change: a random token bound to one preview.

A change to more than 20 conversations through the MCP server is previewed first: the
conversations, their count, and a ``confirm_token``. The change is made only when a second
call brings that token back, and only to exactly the previewed conversations, with the
previewed verb, on the previewed account. A token is random (``secrets``), good for one use
(taken on its first use, right or wrong, so a guessed or replayed one cannot be tried again),
and expires ten minutes after the preview. The clock is injected so a test need not wait.

These are not Canvas tokens: they confirm a preview to this server and mean nothing elsewhere.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

LIFETIME = 600.0  # seconds: ten minutes to read the preview and confirm it


@dataclass(frozen=True)
class Preview:
    """What a token confirms: one verb on exactly these conversations of one account."""

    account: str
    verb: str
    ids: tuple[int, ...]


class Refused(Exception):
    """The token does not confirm this change: one line saying why."""


class ConfirmTokens:
    def __init__(self, clock: Callable[[], float] = time.monotonic, lifetime: float = LIFETIME) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._open: dict[str, tuple[Preview, float]] = {}

    def issue(self, preview: Preview) -> str:
        self._forget_expired()
        token = secrets.token_urlsafe(16)
        self._open[token] = (preview, self.clock() + self.lifetime)
        return token

    def take(self, token: str, verb: str, account: str | None) -> Preview:
        """The preview ``token`` confirms, used up; Refused when it is unknown, used, expired or
        for another verb or account (the token is used up all the same)."""
        found = self._open.pop(token, None)
        if found is None:
            raise Refused("that confirm_token is not one this server gave, or it was used already: "
                          "call triage again without it for a new preview")
        preview, expires = found
        if self.clock() > expires:
            raise Refused("that confirm_token expired (they last 10 minutes): call triage again without it "
                          "for a new preview")
        if verb != preview.verb or (account is not None and account != preview.account):
            raise Refused(f"that confirm_token confirms {preview.verb} of {len(preview.ids)} conversations on "
                          f"{preview.account}, not {verb}" + (f" on {account}" if account else "")
                          + ": nothing changed; call triage again without it for a new preview")
        return preview

    def _forget_expired(self) -> None:
        now = self.clock()
        for token in [t for t, (_, expires) in self._open.items() if now > expires]:
            del self._open[token]
