"""One Data Services POST body for one event, as Canvas's HTTPS delivery sends it.

"Sign Payload" on (``knobs.ds_sign``, the default): the body is a JWT signed RS256 with
the key ring's current key, its ``kid`` in the header, and the event as its claims
(``metadata`` and ``body``) beside ``iss``, ``iat`` and ``exp``. Some deliveries arrive
as a JSON string (the JWT in quotes); ``quoted`` produces that form. Sign Payload
off: the body is the event's JSON.

Canvas documents no content type. This sender says what each body is:
``application/jwt`` (RFC 7519's media type) for a bare JWT, ``application/json`` for the
quoted JWT and for the plain event. A receiver should not rely on it.
"""

from __future__ import annotations

import json

import jwt

from .jwks import ALGORITHM, KeyRing

ISSUER = "https://live-events.canvas.instructure.com"
# Every try is signed afresh, so a token only has to outlive one POST (at most 15 s) and
# a receiver's clock being a few minutes off; five minutes also bounds a replay.
LIFETIME_SECONDS = 300


def claims(event: dict, now: float) -> dict:
    issued = int(now)
    return {"metadata": event["metadata"], "body": event["body"], "iss": ISSUER, "iat": issued,
            "exp": issued + LIFETIME_SECONDS}


def payload(event: dict, keys: KeyRing, *, sign: bool, quoted: bool, now: float) -> tuple[str, bytes]:
    """(content type, body) for one try. ``now`` is wall-clock time: the receiver checks exp against its own."""
    if not sign:
        return "application/json", json.dumps(event, ensure_ascii=False).encode()
    key = keys.current
    token = jwt.encode(claims(event, now), key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    if quoted:
        return "application/json", json.dumps(token).encode()
    return "application/jwt", token.encode()
