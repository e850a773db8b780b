"""One app per account: a second start on the same account says so in one line and stops.

Two would each take the other's message still being sent for one left by a crash, and both
would write the drafts and the cache (store/instance_lock.py)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from benchmarks.drafts_crash import Terminal
from tui_inbox.store.instance_lock import LOCK_NAME, AlreadyOpen, hold


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


def test_the_lock_is_held_once_names_its_holder_and_is_private(tmp_path):
    folder = tmp_path / "accounts" / "acct"
    first = hold(folder)
    with pytest.raises(AlreadyOpen, match=f"already open for this account \\(process {os.getpid()}\\)"):
        hold(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / LOCK_NAME).stat().st_mode) == 0o600
    first.release()
    hold(folder).release()  # a lock file left behind keeps nobody out


def test_a_second_app_on_the_same_account_stops_with_one_line(sandbox, tmp_path):
    teacher = sandbox.info.token_of("teacher")
    config = tmp_path / "config.toml"
    config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\n')
    env = {**os.environ, "CANVAS_TOKEN": teacher, "TUI_INBOX_DATA": str(tmp_path / "data"), "TERM": "xterm-256color",
           "HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "tui_inbox.cli", "--config", str(config)]
    first = Terminal(argv, env, (120, 32))
    try:
        first.wait_for("Signed in as")
        second = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
        assert second.returncode == 2, second.stderr
        assert second.stderr.splitlines() == [
            f"tui-inbox: already open for this account (process {first.process.pid}); "
            "use that one, or quit it first."]
    finally:
        first.kill()  # kill -9: the kernel lets go of the lock with the process
    again = Terminal(argv, env, (120, 32))
    try:
        again.wait_for("Signed in as")
    finally:
        again.kill()
