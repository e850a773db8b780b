"""``tui-inbox watch`` as a process on the sandbox's live stream: a line per change, as it happens."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.accounts_cli import env_of
from tests.waiting import wait_until

JANE = 10


def watch(tmp_path: Path, sandbox, *args: str) -> tuple[subprocess.Popen, list[str], list[str]]:
    """``tui-inbox watch`` running, its output and error lines gathered as they come."""
    (tmp_path / "config.toml").write_text(
        f'[[accounts]]\nname = "state"\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n'
        f'live_url = "{sandbox.live_url}"\n')
    process = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"),
                                "watch", *args], env=env_of(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    out: list[str] = []
    err: list[str] = []
    for stream, lines in ((process.stdout, out), (process.stderr, err)):
        threading.Thread(target=lambda s=stream, l=lines: [l.append(line) for line in s], daemon=True).start()
    return process, out, err


def jane_writes(sandbox, conversation_id: int, body: str) -> None:
    token = next(u["token"] for u in sandbox.info.users if u["id"] == JANE)
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as jane:
        assert jane.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": body}).status_code == 200


def test_watch_ndjson_prints_a_line_for_a_message_as_it_arrives_and_ends_on_ctrl_c(sandbox, tmp_path):
    process, out, err = watch(tmp_path, sandbox, "--ndjson")
    try:
        wait_until(lambda: any(json.loads(line)["kind"] == "resync" for line in out), timeout=30)
        assert any("state: live" in line for line in err)
        jane_writes(sandbox, 1, "Is the lab open on Friday?")
        line = wait_until(lambda: next((json.loads(x) for x in out if json.loads(x)["kind"] == "event"), None),
                          timeout=30)
        assert line["account"] == "state" and line["event_name"] == "conversation_message_created"
        assert line["conversation_id"] == 1 and line["actor_id"] == JANE and line["at"].endswith("Z")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert not any("Traceback" in line for line in err)


def test_watch_text_is_one_line_per_change(sandbox, tmp_path):
    process, out, err = watch(tmp_path, sandbox)
    try:
        wait_until(lambda: any(line.rstrip().endswith("state resync") for line in out), timeout=30)
        jane_writes(sandbox, 1, "One more thing")
        wait_until(lambda: any("conversation_message_created conversation 1 by 10" in line for line in out), timeout=30)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
