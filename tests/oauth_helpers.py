"""Signing in to the sandbox as the app does, with tests/fake_browser.py as the browser."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests import fake_browser
from tui_inbox.canvas.oauth import Grant, renewer
from tui_inbox.canvas.token_source import RenewingToken
from tui_inbox.signin.flow import browser_sign_in


def user_of(sandbox, role: str = "teacher") -> dict:
    return next(u for u in sandbox.info.users if u["role"] == role)


def client_id(sandbox) -> str:
    return sandbox.info.developer_key["client_id"]


async def sign_in(sandbox, role: str = "teacher", action: str = "accept") -> Grant:
    """A grant from the sandbox through the app's own flow: listener, browser, code exchange."""
    user = user_of(sandbox, role)

    def browser(url: str) -> bool:
        fake_browser.sign_in(url, user["login_id"], user["password"], action)
        return True

    return await browser_sign_in(sandbox.base_url, client_id(sandbox), say=lambda line: None, open_url=browser,
                                 wait=60)


def renewing(sandbox, grant: Grant, **kwargs) -> RenewingToken:
    return RenewingToken(grant.access_token, grant.refresh_token, renewer(sandbox.base_url, client_id(sandbox)),
                         **kwargs)


def browser_env(sandbox, tmp_path: Path, role: str = "teacher", action: str = "accept") -> dict[str, str]:
    """The environment of a `tui-inbox` process: the fake browser as $BROWSER, no keyring (a headless server)."""
    user = user_of(sandbox, role)
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_DATA=str(tmp_path / "data"),
               BROWSER=fake_browser.install(tmp_path), FAKE_BROWSER_LOGIN=user["login_id"],
               FAKE_BROWSER_PASSWORD=user["password"], FAKE_BROWSER_ACTION=action,
               FAKE_BROWSER_LOG=str(tmp_path / "fake-browser.log"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", PYTHONPATH=str(Path(__file__).parents[1]))
    return env


def command(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"), *args]
