"""A signed-in token renews itself: one refresh however many requests were waiting, each retried once.

A stand-in for Canvas's token endpoint (httpx.MockTransport): the sandbox cannot hold fifty
refused requests until the refresh has been asked for, and these tests need exactly that.
The sandbox's own OAuth provider is used end to end in tests/ui/test_oauth_app.py.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import pytest

from tui_inbox.canvas import AuthError, CanvasClient
from tui_inbox.canvas.errors import SignInNeeded
from tui_inbox.canvas.oauth import renewer
from tui_inbox.canvas.token_source import RenewingToken

BASE = "http://127.0.0.1:9"


class StandIn:
    """Canvas's API (users/self) and token endpoint, with one valid access token at a time."""

    def __init__(self, hold_refresh_until: int = 0) -> None:
        self.valid = "access-1"
        self.refresh_token = "refresh-1"
        self.grants: list[str] = []
        self.refused = 0
        self.hold_refresh_until = hold_refresh_until  # refused requests to see before the refresh answers
        self.revoked = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login/oauth2/token":
            form = parse_qs(request.content.decode())
            self.grants.append(form["grant_type"][0])
            while self.refused < self.hold_refresh_until:
                await asyncio.sleep(0.001)
            if self.revoked or form.get("refresh_token") != [self.refresh_token]:
                return httpx.Response(400, json={"error": "invalid_grant",
                                                 "error_description": "refresh_token not found"})
            self.valid = f"access-{len(self.grants) + 1}"
            return httpx.Response(200, json={"access_token": self.valid, "token_type": "Bearer",
                                             "user": {"id": 1, "name": "T"}, "expires_in": 3600})
        if request.headers.get("authorization") != f"Bearer {self.valid}":
            self.refused += 1
            # Canvas's answer to an expired token (application_controller.rb, render_unauthorized_action)
            return httpx.Response(401, json={"errors": [{"message": "Invalid access token."}]},
                                  headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        return httpx.Response(200, json={"id": 1, "name": "T", "short_name": "T"})


def signed_in(stand_in: StandIn, access: str = "access-0") -> tuple[CanvasClient, RenewingToken]:
    transport = httpx.MockTransport(stand_in)
    kept: list[str] = []
    tokens = RenewingToken(access, stand_in.refresh_token, renewer(BASE, "10000000000001", transport=transport),
                           keep=kept.append)
    tokens.kept = kept
    return CanvasClient(BASE, tokens, transport=transport), tokens


async def test_fifty_requests_refused_together_cause_one_refresh_and_each_is_answered():
    stand_in = StandIn(hold_refresh_until=50)
    client, tokens = signed_in(stand_in)
    try:
        async with asyncio.timeout(30):  # the stand-in holds the refresh until all fifty were refused
            answers = await asyncio.gather(*(client.get_self() for _ in range(50)))
    finally:
        await client.aclose()
    assert [me.id for me in answers] == [1] * 50
    assert stand_in.grants == ["refresh_token"]
    assert stand_in.refused == 50  # every one failed with the stale token, waited, and went again once
    assert tokens.kept == ["access-2"]  # the renewed token is handed to the secrets store


async def test_a_request_after_the_refresh_uses_the_new_token_directly():
    stand_in = StandIn()
    client, _ = signed_in(stand_in)
    try:
        await client.get_self()
        refused = stand_in.refused
        await client.get_self()
    finally:
        await client.aclose()
    assert stand_in.refused == refused == 1
    assert stand_in.grants == ["refresh_token"]


async def test_a_refused_refresh_says_sign_in_again_and_is_not_asked_again():
    stand_in = StandIn()
    stand_in.revoked = True
    client, _ = signed_in(stand_in)
    try:
        with pytest.raises(SignInNeeded) as first:
            await client.get_self()
        with pytest.raises(SignInNeeded):
            await client.get_self()
    finally:
        await client.aclose()
    line = str(first.value)
    assert "\n" not in line and "tui-inbox login" in line and "invalid_grant" in line
    assert "refresh-1" not in line and "access-0" not in line
    assert stand_in.grants == ["refresh_token"]  # the refusal is remembered


async def test_a_sign_in_stored_meanwhile_is_taken_instead_of_asking_canvas():
    stand_in = StandIn()
    stand_in.revoked = True
    stored = {"pair": None}
    transport = httpx.MockTransport(stand_in)
    tokens = RenewingToken("access-0", "refresh-1", renewer(BASE, "1", transport=transport),
                           reload=lambda: stored["pair"])
    client = CanvasClient(BASE, tokens, transport=transport)
    try:
        with pytest.raises(SignInNeeded):
            await client.get_self()
        # `tui-inbox login` in another terminal stores a new pair: the open app takes it up.
        stand_in.valid, stand_in.revoked = "access-new", False
        stored["pair"] = ("access-new", "refresh-new")
        assert (await client.get_self()).id == 1
    finally:
        await client.aclose()
    assert stand_in.grants == ["refresh_token"]


async def test_a_personal_token_is_never_refreshed():
    stand_in = StandIn()
    client = CanvasClient(BASE, "personal-token", transport=httpx.MockTransport(stand_in))
    try:
        with pytest.raises(AuthError) as refused:
            await client.get_self()
    finally:
        await client.aclose()
    assert not isinstance(refused.value, SignInNeeded)
    assert "Account > Settings" in str(refused.value)
    assert stand_in.grants == []
