"""The one-shot loopback listener of a browser sign-in, as a browser (or an attacker) reaches it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tui_inbox.signin.failure import SignInFailed
from tui_inbox.signin.flow import code_from
from tui_inbox.signin.loopback import OneShotListener


async def started(state: str = "the-state") -> OneShotListener:
    listener = OneShotListener()
    await listener.start()
    listener.state = state
    return listener


async def test_the_redirect_with_the_right_state_gives_the_code_and_a_page_to_close():
    listener = await started()
    waiting = asyncio.ensure_future(listener.code(30))
    async with httpx.AsyncClient() as browser:
        favicon = await browser.get(f"http://127.0.0.1:{listener.port}/favicon.ico")
        answer = await browser.get(listener.redirect_uri, params={"code": "abc", "state": "the-state"})
    assert favicon.status_code == 404
    assert answer.status_code == 200 and "You can close this tab" in answer.text
    assert await waiting == "abc"


async def test_a_second_request_is_refused_and_the_first_code_stands():
    listener = await started()
    waiting = asyncio.ensure_future(listener.code(30))
    async with httpx.AsyncClient() as browser:
        await browser.get(listener.redirect_uri, params={"code": "first", "state": "the-state"})
        assert await waiting == "first"
        with pytest.raises(httpx.ConnectError):  # the listener stopped: nothing listens there any more
            await browser.get(listener.redirect_uri, params={"code": "second", "state": "the-state"})
    assert listener.requests == 1


@pytest.mark.parametrize("query, said", [
    ({"code": "abc", "state": "someone-else"}, "different sign-in's state"),
    ({"code": "abc"}, "different sign-in's state"),
    ({"error": "access_denied", "state": "the-state"}, "did not allow tui-inbox (access_denied)"),
    ({"error": "invalid_scope", "error_description": "A requested scope\nis invalid", "state": "the-state"},
     "Canvas refused the sign-in (invalid_scope: A requested scope is invalid)"),
])
async def test_a_refused_or_forged_redirect_is_one_line(query, said):
    listener = await started()
    waiting = asyncio.ensure_future(listener.code(30))
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(listener.redirect_uri, params=query)
    with pytest.raises(SignInFailed) as failed:
        await waiting
    assert answer.status_code == 400 and "did not complete" in answer.text
    line = str(failed.value)
    assert said in line and "\n" not in line and "nothing was stored" in line


async def test_no_answer_in_time_is_one_line_and_the_port_is_closed():
    listener = await started()
    with pytest.raises(SignInFailed) as failed:
        await listener.code(0.05)
    assert "No answer from the browser within 0.05 s" in str(failed.value) and "--no-browser" in str(failed.value)
    async with httpx.AsyncClient() as browser:
        with pytest.raises(httpx.ConnectError):
            await browser.get(listener.redirect_uri, params={"code": "late", "state": "the-state"})


def test_a_pasted_code_or_address_gives_the_code():
    assert code_from("  X7kQ2 ".strip(), "s") == "X7kQ2"
    assert code_from("https://canvas.example.edu/login/oauth2/auth?code=X7kQ2&state=s", "s") == "X7kQ2"
    assert code_from("http://127.0.0.1:5000/callback?code=X7kQ2", "s") == "X7kQ2"
    for pasted, said in [("", "No code"), ("a b", "not a code"),
                         ("https://c.edu/login/oauth2/auth?code=X&state=other", "another sign-in"),
                         ("https://c.edu/cb?error=access_denied&state=s", "access_denied")]:
        with pytest.raises(SignInFailed) as failed:
            code_from(pasted, "s")
        assert said in str(failed.value)
