"""`tui-inbox init`, `login` and `logout` with a browser sign-in, as real processes against the sandbox.

$BROWSER is tests/fake_browser.py (it signs in on the sandbox's pages and presses Authorize or
Cancel); PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring is a headless server's keyring.
The sandbox imitates app/controllers/oauth2_provider_controller.rb (the pages, the token
endpoint, DELETE /login/oauth2/token).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

from tests.oauth_helpers import browser_env, client_id, command, user_of
from tests.waiting import wait_until
from tui_inbox import config as config_module


def run(tmp_path, env, *args: str, answers: str = "\n") -> subprocess.CompletedProcess:
    return subprocess.run(command(tmp_path, *args), input=answers, capture_output=True, text=True, env=env,
                          timeout=120)


def stored(tmp_path) -> dict:
    path = tmp_path / "data" / "secrets" / "secrets.json"
    return json.loads(path.read_text()) if path.exists() else {}


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_signs_in_with_the_browser_and_the_config_holds_no_token(sandbox, tmp_path):
    env = browser_env(sandbox, tmp_path)
    done = run(tmp_path, env, "init", "--url", sandbox.base_url, "--client-id", client_id(sandbox))
    assert done.returncode == 0, done.stderr
    secrets = stored(tmp_path)
    (account, entry), = secrets.items()
    assert account == f"{sandbox.base_url} {client_id(sandbox)}" and set(entry) == {"access_token", "refresh_token"}
    folder = tmp_path / "data" / "secrets"
    assert mode(folder) == 0o700 and mode(folder / "secrets.json") == 0o600
    text = (tmp_path / "config.toml").read_text()
    for token in entry.values():
        assert token not in text and token not in done.stdout + done.stderr
    config = config_module.load(str(tmp_path / "config.toml"))
    assert config.canvas.auth == "oauth" and config.canvas.client_id == client_id(sandbox)
    assert config.canvas.token == "" and config.canvas.token_command == ""
    # One line says where the secrets went on a machine without a keyring.
    said = [line for line in done.stdout.splitlines() if "No system keyring here" in line]
    assert len(said) == 1 and str(folder / "secrets.json") in said[0]
    assert f"Signed in to 127.0.0.1 as {user_of(sandbox)['name']}" in said[0]
    assert sandbox.grant_types() == ["authorization_code"]
    assert "Traceback" not in done.stderr


def test_cancel_in_the_browser_is_one_line_and_nothing_is_written(sandbox, tmp_path):
    env = browser_env(sandbox, tmp_path, action="deny")
    done = run(tmp_path, env, "init", "--url", sandbox.base_url, "--client-id", client_id(sandbox))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "tui-inbox: Canvas says you did not allow tui-inbox (access_denied); nothing was stored. Run the command "
        "again and choose Authorize, or paste a token instead."]
    # The browser was shown the listener's refusal (its words go to their own file, never cut into the
    # app's); it may still be writing them once the app has ended.
    log = tmp_path / "fake-browser.log"
    wait_until(lambda: log.exists() and log.read_text().endswith("\n"))
    assert log.read_text() == "fake_browser: the last page answered HTTP 400\n"
    assert not (tmp_path / "config.toml").exists() and stored(tmp_path) == {}


def test_logout_revokes_at_canvas_and_deletes_the_secrets_and_login_signs_in_again(sandbox, tmp_path):
    env = browser_env(sandbox, tmp_path)
    assert run(tmp_path, env, "init", "--url", sandbox.base_url, "--client-id", client_id(sandbox)).returncode == 0
    access = next(iter(stored(tmp_path).values()))["access_token"]
    out = run(tmp_path, env, "logout")
    assert out.returncode == 0, out.stderr
    assert "Canvas revoked the sign-in" in out.stdout and "tui-inbox login" in out.stdout
    assert stored(tmp_path) == {}
    assert sandbox.call(lambda: sandbox.state.oauth.lookup(access).deleted)
    # The app cannot start without a sign-in, and says how to get one.
    start = run(tmp_path, env)
    assert start.returncode == 2
    assert start.stderr.strip().splitlines()[-1].startswith("tui-inbox: Not signed in to Canvas at 127.0.0.1")
    assert "run `tui-inbox login`" in start.stderr
    back = run(tmp_path, env, "login")
    assert back.returncode == 0, back.stderr
    assert "now signs in with the browser" in back.stdout and len(stored(tmp_path)) == 1
    assert sandbox.grant_types() == ["authorization_code", "authorization_code"]


def test_logout_of_a_personal_token_says_what_to_do_instead(sandbox, tmp_path):
    (tmp_path / "config.toml").write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "x"\n')
    done = run(tmp_path, browser_env(sandbox, tmp_path), "logout")
    assert done.returncode == 2
    line, = done.stderr.strip().splitlines()
    assert "uses a personal token" in line and "Approved Integrations" in line
