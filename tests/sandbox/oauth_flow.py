"""Signing in to the sandbox the way an app does (PKCE, a loopback listener, the fake browser),
for tests of the provider and of what accepts its tokens (the relay)."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import httpx

from tests.fake_browser import sign_in
from tests.sandbox.loopback_listener import Listener
from tui_inbox.sandbox.oauth_state import s256


def teacher(sandbox) -> dict:
    return sandbox.info.users[0]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def authorize_url(sandbox, redirect_uri: str, *, state: str = "st-1", challenge: str | None = None,
                  client_id: str | None = None) -> str:
    params = {"client_id": client_id or sandbox.info.developer_key["client_id"], "response_type": "code",
              "redirect_uri": redirect_uri, "state": state}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{sandbox.base_url}/login/oauth2/auth?{urlencode(params)}"


def exchange(sandbox, code: str, redirect_uri: str, **extra) -> httpx.Response:
    form = {"grant_type": "authorization_code", "client_id": sandbox.info.developer_key["client_id"],
            "redirect_uri": redirect_uri, "code": code, **extra}
    return httpx.post(f"{sandbox.base_url}/login/oauth2/token", data=form)


def refresh(sandbox, refresh_token: str, **extra) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": sandbox.info.developer_key["client_id"],
            "refresh_token": refresh_token, **extra}
    return httpx.post(f"{sandbox.base_url}/login/oauth2/token", data=form)


def me(sandbox, token: str) -> httpx.Response:
    return httpx.get(f"{sandbox.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {token}"})


def code_for(sandbox, listener: Listener, user: dict, challenge: str, state: str = "st-1") -> str:
    landed = sign_in(authorize_url(sandbox, listener.redirect_uri, state=state, challenge=challenge),
                     user["login_id"], user["password"])
    assert landed.status_code == 200
    answer = listener.requests[-1]
    assert answer["state"] == state
    return answer["code"]


def signed_in_tokens(sandbox, user: dict | None = None) -> dict:
    verifier, challenge = pkce()
    with Listener() as listener:
        code = code_for(sandbox, listener, user or teacher(sandbox), challenge)
        answer = exchange(sandbox, code, listener.redirect_uri, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


