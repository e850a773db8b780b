"""``tui-inbox relay --check`` for real: the command against the sandbox (Canvas and its JWKS) and nats-server.

What an admin (or systemd's ExecStartPre) sees: one ``ok`` line per check and exit 0, or
the first problem in one line on stderr with its fix and exit 1 (2 for a flag mistake),
never a traceback, never the admin token or a NATS password.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.hostile_server import HostileServer, head, json_answer, redirect_to
from tests.waiting import wait_until
from tui_inbox.relay.check import CheckFailed, run_checks
from tui_inbox.relay.nats_child import free_port, server_binary
from tui_inbox.relay.settings import RelaySettings

OK_LINES = ("ok Canvas:", "ok Canvas: the admin token may act as users", "ok NATS:", "ok JWKS:")


def token_of(sandbox, role: str) -> str:
    return next(u["token"] for u in sandbox.info.users if u["role"] == role)


def run_check(*args: str, token: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TUI_INBOX_RELAY_ADMIN_TOKEN"}
    if token is not None:
        env["TUI_INBOX_RELAY_ADMIN_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "relay", "--check", *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)


def good_flags(sandbox, nats_url: str | None) -> list[str]:
    flags = ["--canvas-url", sandbox.base_url, "--jwks-url", sandbox.info.jwks_url]
    return flags + (["--nats", nats_url] if nats_url else [])


def problem_of(done: subprocess.CompletedProcess, *secrets: str) -> str:
    """The one line a failed check says (the checks before it said ok)."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    assert all(secret not in done.stdout + done.stderr for secret in secrets)
    assert all(line.startswith("ok ") for line in done.stdout.splitlines())
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tui-inbox relay --check: ")
    return lines[0]


def test_a_good_setup_says_ok_for_each_check_and_exits_0(sandbox, nats_server):
    admin = token_of(sandbox, "admin")
    done = run_check(*good_flags(sandbox, nats_server.url), token=admin)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == len(OK_LINES) and all(line.startswith(start) for line, start in zip(lines, OK_LINES))
    assert sandbox.base_url in lines[0] and nats_server.url in lines[2] and "3 signing keys" in lines[3]
    assert admin not in done.stdout


def test_without_nats_it_checks_the_broker_the_relay_would_start(sandbox, tmp_path):
    done = run_check(*good_flags(sandbox, None), "--nats-store", str(tmp_path / "stream"),
                     token=token_of(sandbox, "admin"))
    assert done.returncode == 0, done.stderr
    assert "starts its own nats-server" in done.stdout and str(tmp_path / "stream") in done.stdout
    # Nothing was started, nor made: the check only looks.
    assert not (tmp_path / "stream").exists()


def test_a_bad_admin_token_is_named_first(sandbox, nats_server):
    bogus = "7~not-a-token-canvas-knows"
    line = problem_of(run_check(*good_flags(sandbox, nats_server.url), token=bogus), bogus)
    assert "refused the admin token (Invalid access token.)" in line
    assert "--admin-token-command or TUI_INBOX_RELAY_ADMIN_TOKEN" in line


def test_a_token_that_may_not_act_as_users_is_named(sandbox, nats_server):
    teacher = token_of(sandbox, "teacher")
    done = run_check(*good_flags(sandbox, nats_server.url), token=teacher)
    line = problem_of(done, teacher)
    assert "may not act as users" in line and "become_user" in line
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0]]  # the token itself was accepted


def test_an_unreachable_canvas_is_named(nats_server, sandbox):
    line = problem_of(run_check("--canvas-url", f"http://127.0.0.1:{free_port()}", "--nats", nats_server.url,
                                token="7~secret"), "7~secret")
    assert "cannot reach Canvas at http://127.0.0.1:" in line and "check --canvas-url" in line


def test_an_unreachable_nats_is_named_without_its_password(sandbox):
    admin = token_of(sandbox, "admin")
    url = f"nats://relay:hunter2-password@127.0.0.1:{free_port()}"
    done = run_check(*good_flags(sandbox, url), token=admin)
    line = problem_of(done, admin, "hunter2-password")
    assert "cannot reach NATS at nats://relay:***@127.0.0.1:" in line and "check --nats" in line
    assert len(done.stdout.splitlines()) == 2  # Canvas was fine


@pytest.fixture
def nats_without_jetstream(tmp_path):
    """A real nats-server started without -js: it answers, but stores nothing."""
    ports = tmp_path / "ports"
    ports.mkdir()
    server = subprocess.Popen([server_binary(), "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", str(ports)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={})

    def listed() -> str | None:
        for path in ports.glob("*.ports"):
            try:
                return json.loads(path.read_text())["nats"][0]
            except (ValueError, KeyError, IndexError):  # not whole yet
                return None
        return None

    try:
        yield "nats://127.0.0.1:%d" % urlsplit(wait_until(listed, timeout=20, interval=0.02)).port
    finally:
        server.terminate()
        server.wait(10)


def test_a_nats_without_jetstream_is_named(sandbox, nats_without_jetstream):
    admin = token_of(sandbox, "admin")
    line = problem_of(run_check(*good_flags(sandbox, nats_without_jetstream), token=admin), admin)
    assert f"NATS at {nats_without_jetstream} has no JetStream" in line and "-js" in line


def test_an_unreachable_jwks_is_named(sandbox, nats_server):
    admin = token_of(sandbox, "admin")
    flags = ["--canvas-url", sandbox.base_url, "--nats", nats_server.url]
    missing = problem_of(run_check(*flags, "--jwks-url", sandbox.base_url + "/no-such-jwks", token=admin), admin)
    assert "cannot use the JWKS at" in missing and "HTTP 404" in missing and "check --jwks-url" in missing
    closed = problem_of(run_check(*flags, "--jwks-url", f"http://127.0.0.1:{free_port()}/jwks", token=admin), admin)
    assert "cannot use the JWKS at http://127.0.0.1:" in closed and "could not be fetched" in closed


@pytest.mark.parametrize("typo, expected", [
    (["--canvas-ulr", "https://canvas.school.edu"], "unrecognized arguments: --canvas-ulr"),
    (["--port", "86000"], "between 0 and 65535"),
    (["--nats", "127.0.0.1:4222"], "nats:// or tls:// URLs"),
])
def test_a_flag_mistake_is_one_line_and_exit_2_before_any_check(sandbox, typo, expected):
    admin = token_of(sandbox, "admin")
    done = run_check(*good_flags(sandbox, None), *typo, token=admin)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert admin not in done.stderr


# -- what the sandbox never answers: a hostile loopback Canvas ----------------------------------

async def rate_limited(writer, target) -> bool:
    """Canvas's throttled answer: 403 in plain text (section 7 of canvas-api.md)."""
    body = b"403 Forbidden (Rate Limit Exceeded)\n"
    writer.write(head("403 Forbidden", Content_Type="text/plain; charset=utf-8", Content_Length=len(body),
                      X_Rate_Limit_Remaining="0.0") + body)
    await writer.drain()
    return True


async def test_a_canvas_url_that_redirects_is_named_with_where_it_goes():
    routes = {"/api/v1/users/self": redirect_to("https://canvas.school.edu/api/v1/users/self")}
    async with HostileServer(routes) as canvas:
        said: list[str] = []
        with pytest.raises(CheckFailed) as failed:
            await run_checks(RelaySettings(canvas.base_url, admin_token="7~secret"), said.append)
    assert said == []
    assert "redirected /api/v1/users/self to https://canvas.school.edu/api/v1/users/self" in str(failed.value)
    assert "give --canvas-url as the address Canvas is served at" in str(failed.value)


async def test_a_throttled_permission_answer_says_try_again_not_that_the_token_may_not_act():
    routes = {"/api/v1/users/self": json_answer({"id": 4, "name": "Relay Admin"}),
              "/api/v1/accounts/self/permissions": rate_limited}
    async with HostileServer(routes) as canvas:
        said: list[str] = []
        with pytest.raises(CheckFailed) as failed:
            await run_checks(RelaySettings(canvas.base_url, admin_token="7~secret"), said.append)
    assert said == [f"ok Canvas: {canvas.base_url} accepts the admin token (user 4)"]
    assert "HTTP 403" in str(failed.value) and "try again" in str(failed.value)
    assert "may not act as users" not in str(failed.value)
