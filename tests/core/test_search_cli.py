"""``tui-inbox index``: the indexer without the UI, in a subprocess against the sandbox."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys

from tests.search_helpers import seed_search_messages, unread_count
from tui_inbox.launch import account_key
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import SearchIndex


def index_env(sandbox, tmp_path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n')
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_DATA=str(tmp_path / "data"), TUI_INBOX_CONFIG=str(config))
    return env


def run_index(sandbox, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "index", *args], capture_output=True, text=True,
                          env=index_env(sandbox, tmp_path), stdin=subprocess.DEVNULL, timeout=60)


def run_index_on_a_terminal(sandbox, tmp_path, *args: str) -> tuple[int, bytes]:
    """The exit status and what a terminal on standard error received (a pseudo-terminal)."""
    main, side = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "index", *args], stdout=subprocess.DEVNULL,
                              stderr=side, stdin=subprocess.DEVNULL, env=index_env(sandbox, tmp_path), timeout=60)
        os.close(side)
        side = None
        received = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # Linux says EIO once the other side is closed and everything is read
                break
            if not chunk:
                break
            received += chunk
        return done.returncode, received
    finally:
        os.close(main)
        if side is not None:
            os.close(side)


def test_index_command_fills_the_accounts_index_with_a_progress_line(make_sandbox, tmp_path):
    running = make_sandbox(seed=1, conversations=20)
    ids = seed_search_messages(running)
    before = unread_count(running)
    done = run_index(running, tmp_path, "--all")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # Not a terminal: no line rewritten with \r (a log would hold one endless line), only the outcome.
    assert "\r" not in done.stderr and "Indexing " not in done.stderr
    last = done.stderr.strip()
    assert last.startswith("Indexed ") and "fetched now" in last and "\n" not in last
    assert unread_count(running) == before

    path = cache_path(tmp_path / "data", account_key(running.base_url, 1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    index = SearchIndex.open(path)
    assert [h.conversation_id for h in index.search("spectrometer").hits] == [ids["archived"]]
    total = index.count()
    index.close()
    assert f"Indexed {total:,} of {total:,}" in last

    again = run_index(running, tmp_path, "--all")  # nothing new: nothing fetched
    assert again.returncode == 0 and "(0 fetched now)" in again.stderr


def test_index_on_a_terminal_rewrites_one_progress_line(make_sandbox, tmp_path):
    running = make_sandbox(seed=1, conversations=20)
    status, received = run_index_on_a_terminal(running, tmp_path, "--all")
    assert status == 0, received
    text = received.decode()
    assert "Traceback" not in text
    # The terminal turns each \n into \r\n; the progress itself is one line rewritten in place.
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("\rIndexing ")
    assert lines[0].rsplit("\r", 1)[1].startswith("Indexed ")
