"""The signing keys of the sandbox's Data Services, and the JWKS that publishes them.

Canvas signs each delivered event with RS256 and publishes a JWKS holding three keys:
the previous, the current and the next (canvas-api.md section 8b). It signs with the
current one; keys rotate monthly, so a receiver that cached the JWKS a month ago
already knows the key that signs today. ``rotate()`` is that month passing:
previous <- current <- next, and a fresh next.

Generating an RSA 2048 key takes about 50 ms, and a test run starts hundreds of
sandboxes, so keys are made lazily (only a sandbox that signs or serves its JWKS pays)
from one per-process sequence: every ring starts with keys 0, 1, 2 of it, and its
n-th rotation brings in key n + 2. Two sandboxes of one process may therefore share
keys; they are test fixtures, not secrets. A kid is the key's RFC 7638 thumbprint, so
the same key always has the same kid.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

JWKS_PATH = "/data_services/jwks"
ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": ALGORITHM, "n": jwk["n"], "e": jwk["e"]}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638: the SHA-256 of the required members in lexicographic order, base64url."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


_made: list[SigningKey] = []
_made_lock = threading.Lock()  # sandboxes run on their own threads


def process_key(index: int) -> SigningKey:
    """Key ``index`` of this process's sequence, made on first use."""
    with _made_lock:
        while len(_made) <= index:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _made.append(SigningKey(thumbprint(private.public_key()), private))
        return _made[index]


class KeyRing:
    """Previous, current and next; signing uses ``current``."""

    def __init__(self) -> None:
        self.rotations = 0

    @property
    def previous(self) -> SigningKey:
        return process_key(self.rotations)

    @property
    def current(self) -> SigningKey:
        return process_key(self.rotations + 1)

    @property
    def next(self) -> SigningKey:
        return process_key(self.rotations + 2)

    def rotate(self) -> str:
        """A month passes: the next key becomes current. Returns the new current kid."""
        self.rotations += 1
        return self.current.kid

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in (self.previous, self.current, self.next)]}


async def jwks(request: Request) -> JSONResponse:
    # Public keys, public URL: Instructure's JWKS needs no token, and neither does this one.
    return JSONResponse(request.app.state.sandbox.keys.jwks())


routes = [Route(JWKS_PATH, jwks, methods=["GET"])]
