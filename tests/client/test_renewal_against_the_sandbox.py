"""A signed-in client against the sandbox's OAuth2 provider: expired tokens renew once, a revoked
sign-in says to sign in again.

The sandbox imitates lib/canvas/oauth/grant_types/refresh_token.rb and app/models/access_token.rb
(an access token past its hour gets Canvas's 401, its refresh token still renews it).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.oauth_helpers import renewing, sign_in
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.errors import SignInNeeded
from tui_inbox.live.stream import LiveStream, StreamSettings
from tests.waiting import async_wait_until


async def test_fifty_requests_in_flight_when_the_token_expires_cause_exactly_one_refresh(sandbox):
    """canvas-lms lib/canvas/oauth/grant_types/refresh_token.rb: one refresh_token grant renews it."""
    grant = await sign_in(sandbox)
    tokens = renewing(sandbox, grant)
    client = CanvasClient(sandbox.base_url, tokens, concurrency=50)
    try:
        assert (await client.get_self()).id == grant.user_id
        sandbox.expire_tokens()
        answers = await asyncio.gather(*(client.get_self() for _ in range(50)))
    finally:
        await client.aclose()
    assert {me.id for me in answers} == {grant.user_id}
    assert sandbox.grant_types() == ["authorization_code", "refresh_token"]
    assert tokens.renewals == 1


async def test_a_revoked_sign_in_is_one_line_that_says_how_to_sign_in_again(sandbox):
    """canvas-lms app/models/access_token.rb: a deleted token's refresh token is refused (invalid_grant)."""
    grant = await sign_in(sandbox)
    client = CanvasClient(sandbox.base_url, renewing(sandbox, grant))
    try:
        sandbox.revoke_tokens(grant.user_id)
        with pytest.raises(SignInNeeded) as refused:
            await client.get_self()
    finally:
        await client.aclose()
    line = str(refused.value)
    assert "tui-inbox login" in line and "\n" not in line
    assert grant.access_token not in line and grant.refresh_token not in line
    assert sandbox.grant_types() == ["authorization_code", "refresh_token"]


class Listener:
    def __init__(self) -> None:
        self.ups = 0
        self.downs: list[tuple[str, bool]] = []

    def stream_up(self) -> None:
        self.ups += 1

    def stream_resync(self) -> None:
        pass

    def stream_event(self, event) -> None:
        pass

    def stream_down(self, reason: str, auth: bool) -> None:
        self.downs.append((reason, auth))


async def test_the_live_stream_reconnects_with_the_renewed_token(sandbox):
    """canvas-lms app/models/access_token.rb: the /live handshake with an expired token gets Canvas's 401."""
    grant = await sign_in(sandbox)
    tokens = renewing(sandbox, grant)
    slept: list[float] = []

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    stream = LiveStream(sandbox.live_url, tokens, StreamSettings(sleep=no_wait))
    listener = Listener()
    sandbox.expire_tokens()
    task = asyncio.ensure_future(stream.run(listener))
    try:
        await async_wait_until(lambda: listener.ups == 1)
    finally:
        task.cancel()
    assert listener.downs == []  # renewed before the first handshake was reported down
    assert sandbox.grant_types() == ["authorization_code", "refresh_token"]
    assert not any(s >= 300 for s in slept)  # no long wait of a refused token
