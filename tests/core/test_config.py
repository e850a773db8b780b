"""The config file: where it is found, what a typo says, where the token comes from, how it is written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tui_inbox import config as config_module
from tui_inbox.config import Config, ConfigError


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_example_config_is_valid_and_documents_every_key():
    data = tomllib.loads(EXAMPLE.read_text())
    config = config_module.parse(data, EXAMPLE)
    assert config.canvas.base_url.startswith("https://")
    text = EXAMPLE.read_text()
    for section, keys in config_module.KNOWN.items():
        for key in keys:
            assert f"{key} =" in text or f"# {key} =" in text, f"{section}.{key} is not documented"


def test_the_example_config_shows_two_accounts_that_read_as_written():
    """The commented [[accounts]] block, uncommented in place of [canvas]: a valid config of two accounts."""
    from tui_inbox.config_accounts import ACCOUNT_KEYS

    lines = EXAMPLE.read_text().splitlines()
    start = lines.index("# [[accounts]]")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line.removeprefix("# ").removeprefix("#"))
    config = config_module.parse(tomllib.loads("\n".join(block)), EXAMPLE)
    assert [a.name for a in config.accounts] == ["state", "city"]
    assert config.accounts[1].canvas.signed_in and config.poll_seconds_of(config.accounts[1]) == 60
    text = EXAMPLE.read_text()
    for key in ACCOUNT_KEYS:
        assert f"{key} =" in text or f"#   {key}" in text, f"accounts.{key} is not documented"


def test_search_path_prefers_the_flag_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TUI_INBOX_CONFIG", str(tmp_path / "env.toml"))
    assert config_module.resolve_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"
    assert config_module.resolve_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("TUI_INBOX_CONFIG")
    assert config_module.resolve_path(None) == config_module.default_path()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[canvass]\n", "unknown section [canvass] (did you mean 'canvas'?)"),
        ("[canvas]\nbase_ulr = 'x'\n", "unknown key canvas.base_ulr (did you mean 'base_url'?)"),
        ("[live]\npoll_seconds = 'often'\n", "live.poll_seconds must be a number"),
        ("[ui]\nthread_order = 'sideways'\n", "ui.thread_order must be one of oldest, newest"),
        ("[ui]\nrail = 'left'\n", "ui.rail must be one of shown, hidden, auto (it is 'left')"),
        ("[ui]\nrail = false\n", "ui.rail must be a string, in quotes (it is true/false)"),
        ("[canvas\n", "not valid TOML"),
        ("[keys]\narchive = 5\n", "[keys] maps action names to keys"),
    ],
)
def test_a_typo_is_one_line_naming_the_file_and_the_key(tmp_path, text, expected):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config_module.load(str(path))
    message = str(caught.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_missing_config_names_init_and_demo(tmp_path):
    with pytest.raises(ConfigError, match="tui-inbox init.*tui-inbox demo"):
        config_module.load(str(tmp_path / "absent.toml"))


def test_token_comes_from_config_then_command_then_environment(monkeypatch):
    monkeypatch.setenv("CANVAS_TOKEN", "from-env")
    config = Config()
    assert config.token() == "from-env"
    config.canvas.token_command = f"{sys.executable} -c \"print('from-command')\""
    assert config.token() == "from-command"
    config.canvas.token = "from-file"
    assert config.token() == "from-file"
    monkeypatch.delenv("CANVAS_TOKEN")
    with pytest.raises(ConfigError, match="No Canvas token"):
        Config().token()
    broken = Config()
    broken.canvas.token_command = f"{sys.executable} -c \"import sys; sys.exit(3)\""
    with pytest.raises(ConfigError, match="exited 3"):
        broken.token()


def test_written_config_is_private_and_reads_back(tmp_path):
    path = tmp_path / "deep" / "config.toml"
    config = Config()
    config.canvas.base_url = "https://canvas.example.edu"
    config.canvas.token = "7~secret"
    config.keys = {"archive": "e"}
    config_module.save(config, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = config_module.load(str(path))
    assert (again.canvas.token, again.keys) == ("7~secret", {"archive": "e"})


def test_cli_reports_config_errors_in_one_line_without_a_traceback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[canvas]\nbase_url = 'http://canvas.example.edu'\ntoken = 'abc'\n")
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "Refusing plain http" in done.stderr and "abc" not in done.stderr


def test_init_checks_the_token_with_canvas_and_writes_mode_0600(sandbox, tmp_path):
    path = tmp_path / "config.toml"
    token = sandbox.info.token_of("teacher")
    args = [sys.executable, "-m", "tui_inbox.cli", "--config", str(path), "init", "--url", sandbox.base_url]
    wrong = subprocess.run(args, input="2\n7~wrong\n", capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "refused that token" in wrong.stderr and not path.exists()
    done = subprocess.run(args, input="2\n" + token + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert token not in done.stdout + done.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config_module.load(str(path)).canvas.token == token
