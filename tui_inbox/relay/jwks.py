"""The keys Canvas signs with: a JWKS fetched from Instructure, cached, refetched sparingly.

Instructure's JWKS holds the previous, current and next key and rotates monthly, so a
``kid`` not yet seen is most likely the next key gone live: fetch once more. But anyone
can POST a JWT with a made-up ``kid``; a refetch happens at most once per
``refetch_seconds`` whatever arrives, and concurrent callers share one fetch. A failed
fetch keeps the keys we had. A fetch is bounded in time and size.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import jwt

from ..canvas.bodies import ACCEPTED_ENCODINGS, pieces
from ..canvas.errors import ResponseTooLarge, ServerError
from .logs import log_event


class JwksError(Exception):
    """The JWKS could not be fetched or read (the message is one line, without its content)."""


def parse_jwks(raw: bytes) -> dict[str, jwt.PyJWK]:
    """RSA signing keys by kid; keys of another kind, use or without a kid are left out."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise JwksError("the JWKS is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("the JWKS has no keys list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
    return keys


class JwksCache:
    def __init__(self, url: str, *, http: httpx.AsyncClient | None = None, refetch_seconds: float = 30.0,
                 timeout_seconds: float = 5.0, max_bytes: int = 256_000,
                 clock=time.monotonic) -> None:
        self.url = url
        self._http = http
        self._own_http = http is None
        self.refetch_seconds = refetch_seconds
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # attempts, successful or not (tests and logs read it)

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            # Someone else may have fetched while we waited for the lock.
            if kid in self._keys:
                return self._keys[kid]
            if self._last_attempt is not None and self._clock() - self._last_attempt < self.refetch_seconds:
                return None
            await self._refresh()
            return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._last_attempt = self._clock()
        self.fetches += 1
        try:
            keys = parse_jwks(await self._fetch())
        except JwksError as error:
            log_event("jwks_fetch_failed", logging.WARNING, reason=str(error), kept_keys=len(self._keys))
            return
        if not keys:
            log_event("jwks_fetch_failed", logging.WARNING, reason="no RSA signing key", kept_keys=len(self._keys))
            return
        self._keys = keys
        log_event("jwks_fetched", keys=sorted(keys))

    async def fetch_keys(self) -> dict[str, jwt.PyJWK]:
        """One fetch, its keys returned and not kept (``relay --check``); raises ``JwksError``."""
        return parse_jwks(await self._fetch())

    async def _fetch(self) -> bytes:
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=True, max_redirects=3)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                async with self._http.stream("GET", self.url, headers={
                        "Accept": "application/json", "Accept-Encoding": ACCEPTED_ENCODINGS}) as response:
                    if response.status_code != 200:
                        raise JwksError(f"the JWKS answered HTTP {response.status_code}")
                    # Decoded a piece at a time and counted as decoded: a gzip bomb never lands whole.
                    body = bytearray()
                    async for piece in pieces(response, self.max_bytes, "the JWKS"):
                        body += piece
                    return bytes(body)
        except ResponseTooLarge:
            raise JwksError(f"the JWKS is over {self.max_bytes} bytes") from None
        except ServerError as error:  # damaged, or encoded as was not asked
            raise JwksError(f"the JWKS could not be read: {error}") from None
        except TimeoutError:
            raise JwksError(f"the JWKS did not answer within {self.timeout_seconds:g} s") from None
        except httpx.HTTPError as error:
            raise JwksError(f"the JWKS could not be fetched ({type(error).__name__})") from None

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
