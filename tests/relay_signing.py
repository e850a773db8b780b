"""Canvas Data Services as the relay's tests see it: RSA keys, a JWKS served over HTTP, signed events.

``KeyServer`` serves a JWKS on 127.0.0.1 from a thread (real HTTP, as Instructure's URL
would be) and counts how often it is fetched; its keys can be rotated while it runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://live-events.canvas.instructure.com"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        entry.update(kid=self.kid, use="sig", alg="RS256")
        return entry

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


def claims_of(event: dict, *, exp_in: float = 300, iss: str = ISSUER, **extra) -> dict:
    now = int(time.time())
    claims = {**event, "iss": iss, "iat": now, "exp": now + int(exp_in)}
    claims.update(extra)
    return claims


def sign(event: dict, key: SigningKey, *, kid: str | None = None, **claim_options) -> str:
    return jwt.encode(claims_of(event, **claim_options), key.private, algorithm="RS256",
                      headers={"kid": kid or key.kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_jwt(header: dict, claims: dict, signature: bytes = b"", *, hmac_key: bytes | None = None) -> str:
    """A JWT put together by hand: what a forger sends (``alg: none``, HS256 keyed with the public PEM)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class KeyServer:
    """A JWKS on http://127.0.0.1:<port>/jwks; ``keys`` may be replaced while it runs (a rotation)."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.fail = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                if server.fail:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/jwks"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> "KeyServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    """Fixture: Data Services' current signing key."""
    return SigningKey("2026-11")


@pytest.fixture
def keys(key):
    """Fixture: the JWKS serving ``key``, as Data Services' key URL does."""
    with KeyServer([key]) as server:
        yield server
