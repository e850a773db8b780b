"""A browser sign-in's tokens are nowhere but the secrets store: not in the logs, the messages log,
an export, a screenshot, any other file, or the process arguments of a running `tui-inbox`.

The sandbox imitates app/controllers/oauth2_provider_controller.rb and
lib/canvas/oauth/grant_types/refresh_token.rb (the renewed access token is a new one).
"""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess

import psutil
import pytest

from tests.oauth_helpers import browser_env, client_id, command, user_of
from tests.waiting import async_wait_until, wait_until
from tui_inbox import config as config_module
from tui_inbox.launch import account_from, build_app


def secrets_now(tmp_path) -> set[str]:
    entry, = json.loads((tmp_path / "data" / "secrets" / "secrets.json").read_text()).values()
    return set(entry.values())


def files_holding(folder, secrets: set[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "secrets.json":
            data = path.read_bytes()
            found += [f"{path.name} holds a token" for secret in secrets if secret.encode() in data]
    return found


async def test_tokens_appear_in_no_log_export_screenshot_file_or_process_argument(sandbox, tmp_path, monkeypatch,
                                                                                  no_keyring, caplog):
    env = browser_env(sandbox, tmp_path)
    init = subprocess.run(command(tmp_path, "init", "--url", sandbox.base_url, "--client-id", client_id(sandbox)),
                          input="\n", capture_output=True, text=True, env=env, timeout=120)
    assert init.returncode == 0, init.stderr
    seen = set(secrets_now(tmp_path))
    said = init.stdout + init.stderr

    # An export after the hour is up: renewed on the way (a new access token, kept in the store).
    sandbox.expire_tokens()
    export = subprocess.run(command(tmp_path, "export", "--format", "json", str(tmp_path / "export.json")),
                            capture_output=True, text=True, env=env, timeout=120)
    assert export.returncode == 0, export.stderr
    seen |= secrets_now(tmp_path)
    assert len(seen) == 3 and sandbox.grant_types() == ["authorization_code", "refresh_token"]
    said += export.stdout + export.stderr

    # The app in this process, logging everything, through a renewal and a refused renewal.
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TUI_INBOX_DATA", str(tmp_path / "data"))
    config = config_module.load(str(tmp_path / "config.toml"))
    app = build_app(config, account_from(config), user_id=user_of(sandbox)["id"],
                    drafts_path=tmp_path / "data" / "drafts.sqlite3")
    async with app.run_test(size=(100, 32)) as pilot:
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows)
        sandbox.expire_tokens()
        await pilot.press("a")
        await async_wait_until(lambda: "Archived" in (app.status.message or ""))
        sandbox.revoke_tokens(user_of(sandbox)["id"])
        sandbox.expire_tokens()
        await pilot.press("a")
        await async_wait_until(lambda: "tui-inbox login" in (app.status.error or ""))
        seen |= secrets_now(tmp_path)
        history = " ".join(entry.text for entry in app.status.history)
        screenshot = app.export_screenshot()
    assert "tui-inbox login" in history

    # The app as a process on a terminal: its arguments, and its children's.
    leader, follower = pty.openpty()
    running = subprocess.Popen(command(tmp_path), stdin=follower, stdout=follower, stderr=follower, env=env)
    try:
        process = psutil.Process(running.pid)
        wait_until(lambda: process.cmdline(), timeout=30)
        arguments = " ".join(" ".join(p.cmdline()) for p in [process, *process.children(recursive=True)])
    finally:
        running.terminate()
        running.wait(30)
        os.close(leader)
        os.close(follower)

    everything = {"output of the commands": said, "logs": caplog.text, "messages log": history,
                  "screenshot": screenshot, "process arguments": arguments,
                  "export": (tmp_path / "export.json").read_text()}
    for where, text in everything.items():
        assert text, where
        leaks = [where for secret in seen if secret in text]
        assert not leaks, f"a token in the {where}"
    assert files_holding(tmp_path, seen) == []
