"""The JWKS fetch is bounded: a hostile or broken key URL costs a little time and memory, never more.

``JwksCache`` fetches over real HTTP from the hostile loopback server of
``tests/hostile_server.py``; each case checks what the relay would then do with a
JWT's kid (a key, or None: refuse the event) and how often it asked.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from tests.hostile_server import HostileServer, drip, flood, gzip_bomb, json_answer
from tests.relay_signing import SigningKey
from tui_inbox.relay.jwks import JwksCache


@pytest.fixture(scope="module")
def key():
    return SigningKey("2026-11")


@pytest.mark.parametrize("answer", [
    flood(50_000_000, declared=50_000_000),
    flood(50_000_000, chunked=True),
    gzip_bomb(50_000_000),
    drip(b'{"keys": []}' * 100, every=0.05),
    json_answer(["not", "a", "jwks"]),
    json_answer({"keys": [{"kty": "oct", "kid": "2026-11", "k": "c2VjcmV0"}]}),  # a symmetric key is never trusted
], ids=["50 MB with its length", "50 MB chunked", "gzip bomb", "one byte at a time", "not a JWKS", "HMAC key"])
async def test_a_bad_jwks_gives_no_key_within_the_time_and_size_bounds(answer):
    async with HostileServer({"/jwks": answer}) as server:
        cache = JwksCache(server.base_url + "/jwks", timeout_seconds=1.0, max_bytes=100_000, refetch_seconds=3600)
        start = time.monotonic()
        tracemalloc.start()
        try:
            assert await cache.key_for("2026-11") is None
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert time.monotonic() - start < 3.0
        assert peak < 8_000_000  # a bomb is inflated a piece at a time, never whole
        assert await cache.key_for("2026-11") is None  # no second fetch inside the refetch interval
        await cache.aclose()
    assert server.requests == ["GET /jwks"]


async def test_keys_fetched_once_are_kept_when_a_later_fetch_fails(key):
    routes = {"/jwks": json_answer({"keys": [key.jwk()]})}
    async with HostileServer(routes) as server:
        cache = JwksCache(server.base_url + "/jwks", timeout_seconds=1.0, refetch_seconds=0)
        assert await cache.key_for("2026-11") is not None
        routes["/jwks"] = flood(10_000_000, declared=10_000_000)
        server.routes = routes
        assert await cache.key_for("2026-12") is None  # refetched, and the fetch failed
        assert await cache.key_for("2026-11") is not None  # from the cache, no fetch
        await cache.aclose()
    assert server.requests == ["GET /jwks", "GET /jwks"]
