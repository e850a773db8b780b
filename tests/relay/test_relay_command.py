"""``tui-inbox relay`` for real: a subprocess with its own nats-server child, stopped by SIGTERM.

The first line on stdout is the JSON of its URLs; every stderr line is a JSON log line;
neither ever holds the admin token. A mistake in the flags is one line and exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from tests.relay_fixtures import conversation_event
from tests.relay_signing import KeyServer, SigningKey, sign

ADMIN_TOKEN = "7~admin-token-that-must-never-show"


def relay_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TUI_INBOX_RELAY_ADMIN_TOKEN"}
    env.update(extra)
    return env


def run_relay_command(*args, env=None, timeout=30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "relay", *args], capture_output=True, text=True,
                          env=env or relay_env(), stdin=subprocess.DEVNULL, timeout=timeout)


def test_the_command_prints_its_urls_first_serves_and_stops_cleanly_on_sigterm(tmp_path):
    key = SigningKey("2026-11")
    with KeyServer([key]) as keys:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_inbox.cli", "relay", "--canvas-url", "http://127.0.0.1:9",
             "--jwks-url", keys.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL, env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN))
        try:
            first = json.loads(process.stdout.readline())
            assert sorted(first) == ["events_url", "live_url", "metrics_url"]
            base = first["events_url"].removesuffix("/canvas/live-events")
            assert first["metrics_url"] == base + "/metrics" and first["live_url"].endswith("/live")
            assert httpx.get(base + "/healthz", timeout=5).status_code == 200
            stored = httpx.post(first["events_url"], content=sign(conversation_event(), key), timeout=5)
            assert stored.status_code == 202
            assert "relay_events_received_total 1.0" in httpx.get(first["metrics_url"], timeout=5).text
            children = psutil.Process(process.pid).children(recursive=True)
            assert any("nats-server" in child.name() for child in children)

            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)
    assert ADMIN_TOKEN not in out + err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {"relay_started", "event_stored", "relay_stopped"} <= {line["event"] for line in lines}
    assert all(set(line) >= {"ts", "level", "event"} for line in lines)


def test_the_nats_server_child_is_started_without_the_relays_environment():
    """The broker needs none of the relay's environment, and the admin token must not be in its /proc/PID/environ."""
    with KeyServer([SigningKey("2026-11")]) as keys:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_inbox.cli", "relay", "--canvas-url", "http://127.0.0.1:9",
             "--jwks-url", keys.url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            stdin=subprocess.DEVNULL, env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN, UNRELATED="x"))
        try:
            json.loads(process.stdout.readline())  # serving: its broker is up
            brokers = [child for child in psutil.Process(process.pid).children(recursive=True)
                       if "nats-server" in child.name()]
            assert len(brokers) == 1
            environ = brokers[0].environ()
            assert ADMIN_TOKEN not in "".join(f"{k}={v}" for k, v in environ.items())
            assert "TUI_INBOX_RELAY_ADMIN_TOKEN" not in environ and "UNRELATED" not in environ
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=15)


@pytest.mark.parametrize("args, env, expected", [
    ([], {"TUI_INBOX_RELAY_ADMIN_TOKEN": ADMIN_TOKEN}, "--canvas-url is required"),
    (["--canvas-url", "school.instructure.com"], {"TUI_INBOX_RELAY_ADMIN_TOKEN": ADMIN_TOKEN}, "http(s) URL"),
    (["--canvas-url", "https://school.instructure.com"], {}, "no admin token"),
    (["--canvas-url", "https://school.instructure.com", "--admin-token-command", "false"], {},
     "--admin-token-command exited 1"),
    (["--canvas-url", "https://school.instructure.com", "--nats", "http://x"], {"TUI_INBOX_RELAY_ADMIN_TOKEN": ADMIN_TOKEN},
     "nats:// or tls:// URLs"),
    (["--canvas-url", "https://school.instructure.com", "--port", "99999"], {}, "between 0 and 65535"),
    (["--canvas-url", "https://school.instructure.com", "--resume-window", "soon"],
     {"TUI_INBOX_RELAY_ADMIN_TOKEN": ADMIN_TOKEN}, "--resume-window must be a number of seconds"),
    (["--canvas-url", "https://school.instructure.com", "--resume-window", "0"],
     {"TUI_INBOX_RELAY_ADMIN_TOKEN": ADMIN_TOKEN}, "from 1 to 604800 (default 900)"),
    (["--canvas-url", "https://school.instructure.com", "--header-timeout", "0"], {}, "more than 0"),
    (["--canvas-url", "https://school.instructure.com", "--max-connections-per-user", "eight"], {},
     "'eight' is not a whole number"),
])
def test_a_mistake_is_one_line_and_exit_2(args, env, expected):
    done = run_relay_command(*args, env=relay_env(**env))
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert ADMIN_TOKEN not in done.stdout + done.stderr


def test_the_admin_token_command_is_run_and_its_token_never_shows(tmp_path):
    from tui_inbox.relay.settings import admin_token_from

    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho '  {ADMIN_TOKEN}  '\n")
    script.chmod(0o700)
    assert admin_token_from(str(script), {}) == ADMIN_TOKEN
    from tui_inbox.relay.settings import RelaySettings

    assert ADMIN_TOKEN not in repr(RelaySettings("https://school.instructure.com", admin_token=ADMIN_TOKEN))


def test_an_unreachable_nats_is_one_line_and_exit_1():
    from tui_inbox.relay.nats_child import free_port

    done = run_relay_command("--canvas-url", "https://school.instructure.com", "--nats",
                             f"nats://127.0.0.1:{free_port()}",
                             env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN))
    assert done.returncode == 1
    assert done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tui-inbox relay: cannot reach NATS at nats://127.0.0.1:")
    assert "Traceback" not in done.stderr and ADMIN_TOKEN not in done.stderr


def test_the_nats_server_child_ends_with_a_relay_killed_by_sigkill(tmp_path):
    # Killed outright (the OOM killer, kill -9), the relay cannot stop its broker: left running, it
    # would hold the store folder that the relay, started again with the same --nats-store, gives
    # to a second nats-server.
    key = SigningKey("2026-11")
    with KeyServer([key]) as keys:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui_inbox.cli", "relay", "--canvas-url", "http://127.0.0.1:9",
             "--jwks-url", keys.url, "--nats-store", str(tmp_path / "nats")], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, stdin=subprocess.DEVNULL,
            env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN))
        try:
            json.loads(process.stdout.readline())
            broker = next(child for child in psutil.Process(process.pid).children(recursive=True)
                          if "nats-server" in child.name())
            process.kill()
            process.wait(10)
            broker.wait(10)  # psutil.TimeoutExpired while it runs on
            assert not broker.is_running()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
