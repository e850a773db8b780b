"""tests/fake_browser.py, run as ``$BROWSER`` the way Python's webbrowser runs it, against the
sandbox's Canvas pages (app/views/login/canvas/_new_login_content.html.erb,
app/views/oauth2_provider/_confirm_form.html.erb in canvas-lms) and a small loopback listener."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from tests.fake_browser import install
from tests.sandbox.loopback_listener import Listener


def run_browser(tmp_path, sandbox, url: str, *, password: str | None = None, action: str = "accept",
                through_webbrowser: bool = False) -> subprocess.CompletedProcess:
    teacher = sandbox.info.users[0]
    env = {**os.environ, "BROWSER": install(tmp_path), "FAKE_BROWSER_LOGIN": teacher["login_id"],
           "FAKE_BROWSER_PASSWORD": teacher["password"] if password is None else password,
           "FAKE_BROWSER_ACTION": action}
    command = ([sys.executable, "-c", "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1]) else 1)", url]
               if through_webbrowser else [env["BROWSER"], url])
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def authorize(sandbox, redirect_uri: str) -> str:
    return sandbox.base_url + "/login/oauth2/auth?" + urlencode({
        "client_id": sandbox.info.developer_key["client_id"], "response_type": "code", "redirect_uri": redirect_uri,
        "state": "s-42", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"})


@pytest.mark.parametrize("through_webbrowser", [False, True], ids=["directly", "python-webbrowser"])
def test_it_signs_in_accepts_and_lands_on_the_listener_printing_nothing(tmp_path, sandbox, through_webbrowser):
    with Listener() as listener:
        done = run_browser(tmp_path, sandbox, authorize(sandbox, listener.redirect_uri),
                           through_webbrowser=through_webbrowser)
        assert done.returncode == 0, done.stderr
        assert [set(r) for r in listener.requests] == [{"code", "state"}]
        assert listener.requests[0]["state"] == "s-42"
    assert done.stdout == "" and done.stderr == ""  # never the code, never a token


def test_deny_lands_on_the_listener_with_access_denied(tmp_path, sandbox):
    with Listener() as listener:
        done = run_browser(tmp_path, sandbox, authorize(sandbox, listener.redirect_uri), action="deny")
        assert done.returncode == 0, done.stderr
        assert listener.requests == [{"error": "access_denied", "state": "s-42"}]


def test_a_refused_login_is_exit_1_and_one_line(tmp_path, sandbox):
    with Listener() as listener:
        done = run_browser(tmp_path, sandbox, authorize(sandbox, listener.redirect_uri), password="wrong")
        assert listener.requests == []
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "fake_browser: Canvas refused the login: Please verify your username or password and try again."]


def test_an_error_page_before_the_redirect_is_exit_1_and_one_line(tmp_path, sandbox):
    done = run_browser(tmp_path, sandbox, authorize(sandbox, "http://evil.example/cb"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["fake_browser: Canvas answered 400: redirect_uri does not match client settings"]
