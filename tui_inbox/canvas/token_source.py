"""Where each request gets its access token, and how a stale one is renewed.

``CanvasHTTP`` asks its source for the current token at every request. A personal token
(the config's ``token``, ``token_command`` or ``CANVAS_TOKEN``) is a ``FixedToken``: it never
changes, and Canvas's 401 is the same one-line error as ever. A browser sign-in is a
``RenewingToken``: a 401 makes it ask Canvas for a new access token with the refresh token.

Renewal is single-flight: however many requests failed with the same stale token, one
refresh goes to Canvas; the others wait for it and retry with what it brought. A request
that starts after the refresh never sees the stale token at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Protocol

from .errors import SignInNeeded
from .tokens import Token

log = logging.getLogger("tui_inbox.canvas")


class TokenSource(Protocol):
    renewable: bool

    def current(self) -> Token: ...

    async def refresh(self, stale: Token) -> Token: ...


class FixedToken:
    """A personal access token: what Canvas refuses stays refused."""

    renewable = False

    def __init__(self, value: str) -> None:
        self._token = Token(value)

    def current(self) -> Token:
        return self._token

    async def refresh(self, stale: Token) -> Token:
        return self._token  # nothing to renew: the caller reports Canvas's refusal as it is

    def __repr__(self) -> str:
        return "FixedToken(***)"


# Asks Canvas for a new access token with this refresh token; raises SignInNeeded when Canvas
# refuses the refresh token itself, another CanvasError when Canvas could not be asked.
Renew = Callable[[str], Awaitable[str]]
# The pair the secrets store holds now (access, refresh), or None: another process (`tui-inbox
# login`) may have signed in again while this one runs.
Reload = Callable[[], "tuple[str, str] | None"]
# Keeps a renewed access token in the secrets store.
Keep = Callable[[str], None]


class RenewingToken:
    """An OAuth2 access token and the refresh token that renews it."""

    renewable = True

    def __init__(self, access: str, refresh: str, renew: Renew, *, keep: Keep | None = None,
                 reload: Reload | None = None) -> None:
        self._token = Token(access)
        self._refresh = Token(refresh)
        self._renew = renew
        self._keep = keep
        self._reload = reload
        self._lock = asyncio.Lock()
        self._refused: SignInNeeded | None = None
        self.renewals = 0  # how many times Canvas was asked: one per stale token, whatever the crowd

    def __repr__(self) -> str:
        return "RenewingToken(***)"

    def current(self) -> Token:
        return self._token

    def identity(self) -> str:
        """What stays the same while the access token is renewed: the refresh token (for
        store/known_users.py, which keeps only a digest of it)."""
        return self._refresh.reveal()

    async def refresh(self, stale: Token) -> Token:
        """A token newer than ``stale``: the one another request already fetched, one that
        another process stored, or a new one from Canvas. Raises SignInNeeded when Canvas
        refuses to renew (the refusal is remembered: Canvas is not asked again for it)."""
        async with self._lock:
            if self._token is not stale:
                return self._token
            if self._adopt_stored(stale):
                return self._token
            if self._refused is not None:
                raise self._refused
            try:
                access = await self._renew(self._refresh.reveal())
            except SignInNeeded as refused:
                self._refused = refused
                raise
            self.renewals += 1
            self._token = Token(access)
            if self._keep is not None:
                try:
                    self._keep(access)
                except Exception as error:  # a store that cannot keep it: the next start renews again
                    log.warning("could not keep the renewed access token: %s", type(error).__name__)
            return self._token

    def _adopt_stored(self, stale: Token) -> bool:
        """Take the pair in the secrets store if it is not the one that went stale (a sign-in since)."""
        if self._reload is None:
            return False
        try:
            stored = self._reload()
        except Exception as error:
            log.warning("could not read the secrets store: %s", type(error).__name__)
            return False
        if stored is None:
            return False
        access, refresh = stored
        if access == stale.reveal() or (access == self._token.reveal() and refresh == self._refresh.reveal()):
            return False
        self._token, self._refresh, self._refused = Token(access), Token(refresh), None
        return True


def as_source(token: "str | TokenSource") -> TokenSource:
    return FixedToken(token) if isinstance(token, str) else token
