"""``tui-inbox init`` as a person types into it: answers on stdin of a real subprocess, against the sandbox.

A mistake is said and the same question comes again; the answers that were right are kept.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import pytest

from tui_inbox import config as config_module
from tui_inbox.config import ConfigError
from tui_inbox.setup import canvas_origin


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def init(tmp_path, answers: list[str], *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_DATA=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"),
                           "init", *args], input="".join(a + "\n" for a in answers), capture_output=True,
                          text=True, env=env, timeout=60)


def test_init_asks_again_after_each_mistake_and_keeps_what_was_right(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    port = closed_port()
    course_page = f"{sandbox.base_url}/courses/1/discussion_topics?page=2"
    # The URL is checked with the token: the unreachable one is asked again, the wrong token kept
    # until Canvas answers and refuses it, then only the token is asked again.
    done = init(tmp_path, ["2", "", f"127.0.0.1:{port}", "7~wrong", course_page, token, ""])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and token not in done.stdout + done.stderr
    # No default offered on a first run: there is none it would use.
    assert "[https://canvas.example.edu]" not in done.stdout
    assert "Canvas URL (e.g. canvas.school.edu): " in done.stdout
    assert "1) Sign in with your browser" in done.stdout and "2) Paste an access token" in done.stdout
    problems = done.stderr.splitlines()
    assert "Type the address you open Canvas at" in problems[0]
    # The bare host got https://, and the connection error names host and port.
    assert f"Cannot reach Canvas at 127.0.0.1:{port}:" in problems[1]
    # Asked again with the failed URL as the default Enter would retry.
    assert f"Canvas URL [https://127.0.0.1:{port}]: " in done.stdout
    # A refused token asks for the token only, and says what to do here, not in a config that does not exist.
    assert "refused that token" in problems[2] and "paste it again" in problems[2]
    assert "update the config" not in done.stderr
    assert done.stdout.count("Canvas URL") == 3 and done.stdout.count("Access token") == 2
    written = config_module.load(str(tmp_path / "config.toml"))
    assert written.canvas.base_url == sandbox.base_url and written.canvas.token == token
    assert stat.S_IMODE(os.stat(tmp_path / "config.toml").st_mode) == 0o600


def test_init_with_a_bad_url_flag_asks_for_the_url_instead_of_exiting(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    done = init(tmp_path, ["2", sandbox.base_url, token, ""], "--url", "ftp://canvas")
    assert done.returncode == 0, done.stderr
    assert "--url:" in done.stderr and "not a web address" in done.stderr
    assert config_module.load(str(tmp_path / "config.toml")).canvas.base_url == sandbox.base_url


def test_init_that_runs_out_of_answers_is_one_line_and_writes_nothing(sandbox, tmp_path):
    done = init(tmp_path, ["2", "7~wrong"], "--url", sandbox.base_url)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "refused that token" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "tui-inbox: init stopped: no more answers on standard input; nothing was written.")
    assert not (tmp_path / "config.toml").exists()


def test_a_second_init_offers_the_configured_url_as_its_default(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    assert init(tmp_path, ["2", sandbox.base_url, token, ""]).returncode == 0
    again = init(tmp_path, ["2", "", token, ""])
    assert again.returncode == 0, again.stderr
    assert f"Canvas URL [{sandbox.base_url}]: " in again.stdout


def test_init_at_a_plain_http_port_of_this_machine_says_so_and_offers_http(sandbox, tmp_path):
    """The sandbox speaks plain http: ``127.0.0.1:PORT`` became https:// and the handshake failed with a
    raw "[SSL: WRONG_VERSION_NUMBER]". Now init says the server there does not speak https, and
    Enter takes the http:// address (allowed on this machine only)."""
    token = sandbox.info.token_of("teacher")
    port = sandbox.base_url.rsplit(":", 1)[1]
    done = init(tmp_path, ["2", f"127.0.0.1:{port}", token, "", ""])
    assert done.returncode == 0, done.stderr
    assert "SSL" not in done.stderr and "WRONG_VERSION" not in done.stderr
    said = done.stderr.strip().splitlines()
    assert len(said) == 1 and f"127.0.0.1:{port} does not speak https" in said[0]
    assert f"http://127.0.0.1:{port}" in said[0]
    assert f"Canvas URL [http://127.0.0.1:{port}]: " in done.stdout
    assert done.stdout.count("Access token") == 1  # the token was kept
    assert config_module.load(str(tmp_path / "config.toml")).canvas.base_url == f"http://127.0.0.1:{port}"


def test_init_asks_for_a_live_events_url_and_writes_it(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    done = init(tmp_path, ["2", sandbox.base_url, token, "ws://relay.example.edu/live", sandbox.live_url])
    assert done.returncode == 0, done.stderr
    assert "Live-events URL" in done.stdout and "Enter for none" in done.stdout
    assert "Refusing plain ws://" in done.stderr  # said, and asked again
    assert done.stdout.count("Live-events URL") == 2
    assert config_module.load(str(tmp_path / "config.toml")).live.url == sandbox.live_url


def test_init_without_a_live_events_url_says_how_to_get_live_updates(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    done = init(tmp_path, ["2", sandbox.base_url, token, ""])
    assert done.returncode == 0, done.stderr
    assert "No live-events URL" in done.stdout and "[live] url" in done.stdout and "every 30 s" in done.stdout
    assert config_module.load(str(tmp_path / "config.toml")).live.url == ""


@pytest.mark.parametrize("typed, meant", [
    ("canvas.school.edu", "https://canvas.school.edu"),
    ("  canvas.school.edu/  ", "https://canvas.school.edu"),
    ("https://canvas.school.edu/courses/123/assignments/4?module_item_id=9#x", "https://canvas.school.edu"),
    ("https://canvas.school.edu/api/v1", "https://canvas.school.edu"),
    ("canvas.school.edu:8443/courses/1", "https://canvas.school.edu:8443"),
    ("HTTPS://Canvas.School.EDU:443/", "https://canvas.school.edu"),
    ("http://localhost:3000/courses/1", "http://localhost:3000"),
])
def test_a_typed_or_pasted_address_becomes_the_canvas_origin(typed, meant):
    assert canvas_origin(typed) == meant


@pytest.mark.parametrize("typed, said", [
    ("http://canvas.school.edu", "Refusing plain http"),
    ("ftp://canvas.school.edu", "not a web address"),
    ("https://", "not a web address"),
])
def test_an_address_init_cannot_use_is_named(typed, said):
    with pytest.raises(ConfigError, match=said):
        canvas_origin(typed)
