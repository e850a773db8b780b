"""From a POST body to an event we trust, or a reason to refuse it.

Data Services sends one event per POST: a JWT signed RS256 whose claims are the event
(sometimes the JWT as a JSON string, in quotes), or, with signing off, the event's JSON
itself, which is accepted only when the operator says so (``allow_unsigned``).

The algorithm is pinned to RS256 before any key is looked up: ``none`` and HS256 signed
with the public key's PEM (the classic confusion) never reach a verifier. ``exp`` and
``iss`` are required and checked.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

import jwt

from .jwks import JwksCache


@dataclass
class Rejected(Exception):
    """The body is refused: ``status`` 400 (malformed) or 401 (not from Canvas), ``reason`` a metric label."""

    status: int
    reason: str
    message: str

    def __str__(self) -> str:
        return self.message


def malformed(reason: str, message: str) -> Rejected:
    return Rejected(400, reason, message)


def forged(reason: str, message: str) -> Rejected:
    return Rejected(401, reason, message)


def event_of(claims) -> dict:
    """Exactly ``{"metadata", "body"}`` of the claims, after checking their shape."""
    if not isinstance(claims, dict):
        raise malformed("shape", "the event is not a JSON object")
    metadata, body = claims.get("metadata"), claims.get("body")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_name"), str) or not metadata["event_name"]:
        raise malformed("shape", "the event has no metadata object with an event_name")
    if not isinstance(body, dict):
        raise malformed("shape", "the event has no body object")
    return {"metadata": metadata, "body": body}


# PyJWT's rule for a segment (base64url, at most two '=' and only to a multiple of four,
# encoded canonically: no stray bits at the end), checked by a regular expression and
# base64 in C: PyJWT checks it a character at a time in Python, which
# for a discussion event's few kilobytes was the largest cost of an ingest answer.
_SEGMENT = re.compile(r"([A-Za-z0-9_-]*)(={0,2})")


def _segment_ok(segment: str) -> bool:
    match = _SEGMENT.fullmatch(segment)
    if match is None:
        return False
    data, padding = match.groups()
    if padding and len(segment) % 4:
        return False
    if len(data) % 4 == 1:
        return False
    decoded = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return base64.urlsafe_b64encode(decoded).rstrip(b"=") == data.encode("ascii")


def unverified_header(token: str) -> dict | None:
    """The JWT's header, or None where ``jwt.get_unverified_header`` would raise.

    Read here so that a token's segments are scanned once (by ``jwt.decode``) and not
    twice; only the alg and kid are taken from it, and ``jwt.decode`` verifies everything.
    """
    segments = token.split(".")
    if len(segments) != 3 or not all(_segment_ok(segment) for segment in segments):
        return None
    head = segments[0].rstrip("=")
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):  # not base64, not UTF-8, not JSON
        return None
    if not isinstance(header, dict) or not isinstance(header.get("kid", ""), str):
        return None
    return header


class Verifier:
    def __init__(self, jwks: JwksCache, *, issuer: str, leeway_seconds: float = 30.0,
                 allow_unsigned: bool = False) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.leeway = leeway_seconds
        self.allow_unsigned = allow_unsigned

    async def verify(self, raw: bytes) -> dict:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise malformed("malformed", "the body is not UTF-8") from None
        if text.startswith('"'):
            # The JWT as a JSON string: some deliveries quote it.
            try:
                text = json.loads(text)
            except ValueError:
                raise malformed("malformed", "the body is a broken JSON string") from None
            if not isinstance(text, str):
                raise malformed("malformed", "the body is not a JWT")
            text = text.strip()
        if text.startswith("{"):
            return self._unsigned(text)
        return event_of(await self._claims(text))

    def _unsigned(self, text: str) -> dict:
        if not self.allow_unsigned:
            raise forged("unsigned", "the event is not signed (turn on Sign Payload in Data Services)")
        try:
            return event_of(json.loads(text))
        except ValueError:
            raise malformed("malformed", "the body is not valid JSON") from None

    async def _claims(self, token: str) -> dict:
        if token.count(".") != 2:
            raise malformed("malformed", "the body is neither a JWT nor a JSON event")
        header = unverified_header(token)
        if header is None:
            raise malformed("malformed", "the JWT's header cannot be read")
        if header.get("alg") != "RS256":
            raise forged("algorithm", "the JWT is not signed RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise forged("unknown_kid", "the JWT names no key (kid)")
        key = await self.jwks.key_for(kid)
        if key is None:
            raise forged("unknown_kid", "the JWT's key is not in the JWKS")
        try:
            return jwt.decode(token, key, algorithms=["RS256"], issuer=self.issuer, leeway=self.leeway,
                              options={"require": ["exp", "iss"], "verify_aud": False})
        except jwt.ExpiredSignatureError:
            raise forged("expired", "the JWT has expired") from None
        except jwt.InvalidIssuerError:
            raise forged("issuer", "the JWT's issuer is not Canvas Live Events") from None
        except jwt.MissingRequiredClaimError as error:
            raise forged("claims", f"the JWT has no {error.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise forged("signature", "the JWT's signature does not match its key") from None
        except jwt.ImmatureSignatureError:
            raise forged("not_yet_valid", "the JWT is not valid yet") from None
        except jwt.DecodeError:
            raise malformed("malformed", "the JWT cannot be decoded") from None
        except jwt.PyJWTError:
            raise forged("claims", "the JWT's claims are not valid") from None
