"""The relay reads a JWT's header itself (verify.unverified_header), to scan a token once, not twice.

It must refuse exactly what PyJWT's ``get_unverified_header`` refuses: a header the relay
read where PyJWT would not could name a key for a token PyJWT calls malformed, and the
other way round a well-formed event from Canvas would be refused.
"""

from __future__ import annotations

import random

import jwt
import pytest

from tui_inbox.relay.verify import unverified_header

GOOD = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJhIjoxfQ.c2ln"  # {"alg":"RS256","kid":"k1"}.{"a":1}.sig

NAMED = {
    "good": GOOD,
    "padded where no padding fits": GOOD + "=",
    "padding too long": GOOD + "===",
    "a padded header": "eyJhbGciOiJSUzI1NiJ9==.e30.",
    "a header half padded": "eyJhbGciOiJSUzI1NiJ9=.e30.",
    "junk that is not base64url (GHSA-hxm8-2xgr-2p9m)": "!!!!.e30.",
    "standard base64, not url-safe": "/w+.e30.",
    "stray bits at the end of a segment": "e30.e30.ab",
    "a segment of one character in four": "e.e30.",
    "a header that is a list": "W10.e30.",
    "a kid that is a number": "eyJraWQiOjF9.e30.x",
    "two segments": "e30.e30",
    "four segments": "e30.e30.e30.e30",
    "an empty header": ".e30.",
    "not ASCII": "é.e30.",
}


def pyjwt_header(token: str):
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None


@pytest.mark.parametrize("token", NAMED.values(), ids=NAMED.keys())
def test_the_header_is_read_where_pyjwt_reads_it_and_refused_where_it_refuses(token):
    assert unverified_header(token) == pyjwt_header(token)


def test_random_tokens_get_the_same_answer_as_from_pyjwt():
    draw = random.Random(13)
    pieces = ["e30", "eyJhbGciOiJSUzI1NiJ9", "W10", "=", "==", ".", "a", "ab", "-", "_", "!", "+", "/", "é", ""]
    for _ in range(2000):
        token = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 9)))
        assert unverified_header(token) == pyjwt_header(token), token
