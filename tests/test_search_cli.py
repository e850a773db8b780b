"""``tui-inbox index``: the indexer without the UI, in a subprocess against the sandbox."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from tests.search_helpers import seed_search_messages, unread_count
from tui_inbox.launch import account_key
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import SearchIndex


def run_index(sandbox, tmp_path, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.toml"
    config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n')
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_DATA=str(tmp_path / "data"), TUI_INBOX_CONFIG=str(config))
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "index", *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=60)


def test_index_command_fills_the_accounts_index_with_a_progress_line(make_sandbox, tmp_path):
    running = make_sandbox(seed=1, conversations=20)
    ids = seed_search_messages(running)
    before = unread_count(running)
    done = run_index(running, tmp_path, "--all")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Indexing " in done.stderr
    last = done.stderr.splitlines()[-1].strip()  # text mode reads each \r as a line end
    assert last.startswith("Indexed ") and "fetched now" in last
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
