"""A browser sign-in that goes wrong, against the sandbox's OAuth2 provider: each case is one line,
and no token exists afterwards, so nothing could be stored.

The sandbox imitates app/controllers/oauth2_provider_controller.rb, lib/canvas/oauth/pkce.rb
(the S256 check), lib/canvas/oauth/token.rb (a code works once) and app/models/developer_key.rb
(redirect_domain_matches?).
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests import fake_browser
from tests.oauth_helpers import client_id, sign_in, user_of
from tui_inbox.canvas.oauth import Authorization, new_authorization
from tui_inbox.signin.failure import SignInFailed
from tui_inbox.signin.flow import browser_sign_in, exchanged
from tui_inbox.signin.loopback import OneShotListener


def tokens_issued(sandbox) -> int:
    return sandbox.call(lambda: len(sandbox.state.oauth.tokens))


def one_line(failed: pytest.ExceptionInfo) -> str:
    line = str(failed.value)
    assert "\n" not in line and "nothing was stored" in line.lower()
    return line


async def code_through_the_browser(sandbox, authorization: Authorization, listener: OneShotListener) -> str:
    user = user_of(sandbox)
    await asyncio.to_thread(fake_browser.sign_in, authorization.url, user["login_id"], user["password"])
    return await listener.code(30)


async def a_signed_in_code(sandbox) -> tuple[Authorization, str]:
    listener = OneShotListener()
    redirect_uri = await listener.start()
    authorization = new_authorization(sandbox.base_url, client_id(sandbox), redirect_uri)
    listener.state = authorization.state
    return authorization, await code_through_the_browser(sandbox, authorization, listener)


async def test_a_redirect_with_a_wrong_state_is_refused_before_any_code_is_exchanged(sandbox):
    def forged(url: str) -> bool:
        # A page that knows the listener's port sends its own code first.
        port = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        httpx.get(port, params={"code": "attackers-code", "state": "not-this-one"})
        return True

    with pytest.raises(SignInFailed) as failed:
        await browser_sign_in(sandbox.base_url, client_id(sandbox), say=lambda line: None, open_url=forged, wait=30)
    assert "different sign-in's state" in one_line(failed)
    assert sandbox.grant_types() == [] and tokens_issued(sandbox) == 0


def replayed(url: str) -> str:
    """What the listener does with the same redirect once more."""
    try:
        return f"HTTP {httpx.get(url).status_code}"
    except httpx.TransportError:
        return "closed"


async def test_a_second_request_to_the_listener_is_refused(sandbox):
    seen: list[str] = []
    replay: list[str] = []
    done = threading.Event()

    def browser_then_replay(url: str) -> bool:
        user = user_of(sandbox)
        try:
            with httpx.Client(event_hooks={"request": [lambda request: seen.append(str(request.url))]}) as client:
                fake_browser.sign_in(url, user["login_id"], user["password"], client=client)
            replay.append(replayed(next(u for u in seen if "/callback?" in u)))
        finally:
            done.set()
        return True

    grant = await browser_sign_in(sandbox.base_url, client_id(sandbox), say=lambda line: None,
                                  open_url=browser_then_replay, wait=30)
    assert await asyncio.to_thread(done.wait, 30)
    assert grant.user_id == user_of(sandbox)["id"]
    # Stopped listening (or, in the instant before it stops, "this sign-in is over").
    assert replay in (["closed"], ["HTTP 410"])
    assert sandbox.grant_types() == ["authorization_code"]


async def test_a_code_used_twice_is_refused_the_second_time(sandbox):
    authorization, code = await a_signed_in_code(sandbox)
    await exchanged(sandbox.base_url, client_id(sandbox), authorization, code, None, None)
    with pytest.raises(SignInFailed) as failed:
        await exchanged(sandbox.base_url, client_id(sandbox), authorization, code, None, None)
    assert "invalid_grant" in one_line(failed)
    assert tokens_issued(sandbox) == 1


async def test_a_verifier_that_does_not_match_is_refused(sandbox):
    authorization, code = await a_signed_in_code(sandbox)
    wrong = Authorization(authorization.url, authorization.state, "x" * 64, authorization.redirect_uri)
    with pytest.raises(SignInFailed) as failed:
        await exchanged(sandbox.base_url, client_id(sandbox), wrong, code, None, None)
    assert "invalid_grant" in one_line(failed) and code not in str(failed.value)
    assert tokens_issued(sandbox) == 0


async def test_a_redirect_uri_the_key_does_not_list_is_refused_before_the_browser_opens(sandbox):
    key = sandbox.state.oauth.key
    sandbox.call(setattr, key, "redirect_uri", "https://app.example.edu")  # the loopback no longer matches
    sandbox.call(setattr, key, "redirect_uris", ["https://app.example.edu/cb"])
    opened: list[str] = []
    with pytest.raises(SignInFailed) as failed:
        await browser_sign_in(sandbox.base_url, client_id(sandbox), say=lambda line: None,
                              open_url=lambda url: opened.append(url) or True, wait=30)
    line = one_line(failed)
    assert "redirect_uri does not match client settings" in line and "http://127.0.0.1:" in line
    assert opened == [] and tokens_issued(sandbox) == 0


async def test_an_unknown_client_id_is_refused_before_the_browser_opens(sandbox):
    with pytest.raises(SignInFailed) as failed:
        await browser_sign_in(sandbox.base_url, "99999", say=lambda line: None, open_url=lambda url: True, wait=30)
    assert "invalid_client" in one_line(failed) and "client id" in str(failed.value)


async def test_cancel_on_the_authorize_page_is_access_denied(sandbox):
    with pytest.raises(SignInFailed) as failed:
        await sign_in(sandbox, action="deny")
    assert "access_denied" in one_line(failed)
    assert sandbox.grant_types() == [] and tokens_issued(sandbox) == 0
