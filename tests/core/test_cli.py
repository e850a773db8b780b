"""The command line for real: a bad config or flag is one line on stderr and exit status 2.

Each case runs ``python -m tui_inbox.cli`` in a subprocess with its config, home and data
folders in tmp_path. The account's base_url is a loopback port nobody listens on, so a check
that ran after connecting would say "Cannot reach" instead of naming the config's mistake.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tui_inbox import config as config_module
from tui_inbox.config import ConfigError
from tui_inbox.launch import check_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


@pytest.fixture
def closed_url() -> str:
    """An http URL on 127.0.0.1 whose port was free a moment ago and has nobody listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def cli(tmp_path):
    config_path = tmp_path / "config.toml"
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
               XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
               TUI_INBOX_DATA=str(tmp_path / "data"), TUI_INBOX_CONFIG=str(config_path))

    def run(*args: str, config: str | bytes | None = None) -> subprocess.CompletedProcess:
        if config is not None:
            config_path.write_bytes(config.encode() if isinstance(config, str) else config)
        return subprocess.run([sys.executable, "-m", "tui_inbox.cli", *args], capture_output=True, text=True,
                              env=env, stdin=subprocess.DEVNULL, timeout=30)

    run.config_path = config_path
    return run


def account(url: str) -> str:
    return f'[canvas]\nbase_url = "{url}"\ntoken = "7~test-token"\n'


def assert_one_line_exit_2(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert all(part in lines[0] for part in expected), lines[0]
    assert "Cannot reach" not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('[ui]\ntheme = "no-such-theme"\n', ["ui.theme 'no-such-theme' is not a theme", "textual-dark", "nord"]),
        ('[ui]\ntheme = "nordd"\n', ["did you mean 'nord'?"]),
        ('[ui]\ntheme = 5\n', ["ui.theme must be a string"]),
        ('[keys]\ndelete = "dd"\n', ['[keys] delete = "dd"', "'dd' is not a key name"]),
        ('[keys]\narchive = "shift+ctrl+e"\n', ["ctrl+shift+e"]),
        ('[keys]\narchive = ""\n', ["[keys] archive is empty"]),
        ('[keys]\narchive = "e,,a"\n', ["empty entry"]),
        ('[keys]\narchive = "j"\n', ['[keys] archive = "j"', "j already does down", "in the list"]),
        ('[keys]\nstar = "pagedown"\n', ["pagedown already does page_down"]),
        ('[keys]\nthread_down = "s"\n', ["s already does star", "in the thread"]),
        ('[keys]\nquit = "ctrl+s"\n', ["ctrl+s already does send (Send (in the composer)) in the composer"]),
        ('[keys]\narchive = "ctrl+q"\n', ["ctrl+q already does 'Quit'"]),
        ('[keys]\nhelp = "escape"\n', ["escape already does back (Back: "]),
        ('[keys]\narchive = "e"\nstar = "e"\n', ["e already does"]),
        ('[keys]\narchiv = "e"\n', ["[keys] has unknown action 'archiv' (did you mean 'archive'?)", "tui-inbox keys"]),
        ('[keys]\narchive = 5\n', ["[keys] maps action names to keys", "archive"]),
        ("[live]\npoll_seconds = nan\n", ["live.poll_seconds must be a finite number (it is nan)"]),
        ("[live]\npoll_seconds = inf\n", ["live.poll_seconds must be a finite number (it is inf)"]),
        ("[live]\npoll_seconds = -5\n", ["live.poll_seconds must be between 1 and 86400"]),
        ("[live]\npoll_seconds = 1e9\n", ["live.poll_seconds must be between 1 and 86400"]),
        ("[live]\npoll_seconds = 'often'\n", ["live.poll_seconds must be a number (it is a string)"]),
        ('[ui]\ndate_styl = "absolute"\n', ["unknown key ui.date_styl (did you mean 'date_style'?)"]),
    ],
)
def test_a_bad_config_is_one_line_and_exit_2_before_connecting(cli, closed_url, extra, expected):
    done = cli(config=account(closed_url) + extra)
    line = assert_one_line_exit_2(done, *expected)
    assert str(cli.config_path) in line and "7~test-token" not in line


def test_a_key_outside_any_section_says_which_section_it_belongs_in(cli, closed_url):
    done = cli(config='theme = "nord"\n' + account(closed_url))
    assert_one_line_exit_2(done, "theme is not inside a section; put it under [ui]")


def test_a_config_that_is_not_utf8_says_so(cli, closed_url):
    done = cli(config=account(closed_url).encode() + b'[ui]\ntheme = "caf\xe9"\n')
    assert_one_line_exit_2(done, str(cli.config_path), "not UTF-8", "0xe9", "save it as UTF-8")


def test_a_good_config_gets_as_far_as_the_network(cli, closed_url):
    """The control for the cases above: the same account with valid settings fails only on reaching it."""
    done = cli(config=account(closed_url) + '[ui]\ntheme = "nord"\n[keys]\narchive = "e"\nstar = "a"\n')
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()] and "Cannot reach" in done.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (["sandbox", "--port", "99999"], ["--port", "between 0 and 65535", "tui-inbox sandbox --help"]),
        (["sandbox", "--port", "-1"], ["--port", "between 0 and 65535"]),
        (["sandbox", "--port", "http"], ["--port", "'http' is not a port number"]),
        (["sandbox", "--latency-ms", "nan"], ["--latency-ms", "finite"]),
        (["sandbox", "--latency-ms", "inf"], ["--latency-ms", "finite"]),
        (["sandbox", "--latency-ms", "-3"], ["--latency-ms", "must not be negative"]),
        (["sandbox", "--activity", "-1"], ["--activity", "must not be negative"]),
        (["sandbox", "--activity", "nan"], ["--activity", "finite"]),
        (["sandbox", "--conversations", "-5"], ["--conversations", "between 0 and 1,000,000"]),
        (["sandbox", "--conversations", "1e9"], ["--conversations", "not a whole number"]),
        (["sandbox", "--school", "501"], ["--school", "between 0 and 500"]),
        (["sandbox", "--school", "many"], ["--school", "'many' is not a whole number"]),
        (["sandbox", "--fail-rate", "nan"], ["--fail-rate", "finite"]),
        (["sandbox", "--fail-rate", "2"], ["--fail-rate", "between 0 and 1"]),
        (["demo", "--activity", "inf"], ["tui-inbox demo", "--activity", "finite"]),
        (["demo", "--activity", "-2"], ["--activity", "must not be negative"]),
        (["demo", "--conversations", "-1"], ["--conversations", "between 0 and 1,000,000"]),
        (["demo", "--conversations", "99999999"], ["--conversations", "between 0 and 1,000,000"]),
        (["nosuch"], ["invalid choice: 'nosuch'", "tui-inbox --help"]),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(cli, args, expected):
    assert_one_line_exit_2(cli(*args), *expected)


@pytest.mark.parametrize(
    "keys",
    [
        {"archive": "e"},
        {"delete": "d,delete"},
        {"archive": "s", "star": "a"},  # a swap: each takes the key the other gives up
        {"help": "?"},  # the default key under its character's name
        {"compose": "ctrl+n", "refresh": "f5", "quit": "Q", "search": "ctrl+shift+f"},
        {"thread_down": "e", "thread_up": "y"},  # n and p open the next and previous conversation
        {"next_pane": "tab"},  # the composer's own Tab already shares it by design
    ],
)
def test_keys_a_user_would_write_are_accepted(keys):
    config = config_module.Config()
    config.keys = keys
    check_settings(config)


def test_the_example_configs_keys_are_accepted_once_uncommented():
    text = EXAMPLE.read_text()
    keys_part = text[text.index("[keys]"):]
    uncommented = "\n".join(line.removeprefix("# ") for line in keys_part.splitlines()
                             if re.fullmatch(r'# \w+ = "[^"]*"', line))
    data = tomllib.loads(text[:text.index("[keys]")] + "[keys]\n" + uncommented + "\n")
    config = config_module.parse(data, EXAMPLE)
    assert config.keys == {"archive": "e", "delete": "d,delete", "down": "j,down"}
    check_settings(config)


def test_a_theme_check_names_the_file():
    config = config_module.Config(path=Path("/somewhere/config.toml"))
    config.ui.theme = "nope"
    with pytest.raises(ConfigError, match=r"^/somewhere/config.toml: ui.theme 'nope' is not a theme"):
        check_settings(config)


def test_keys_lists_id_key_and_action_in_aligned_columns(cli):
    """Each column starts where the one above it does, two spaces at least after the longest entry
    before it: a fixed width ran the longest ids into their keys ("search_everywhereS")."""
    done = cli("keys")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [re.split(r"\s{2,}", line, maxsplit=2) for line in lines]
    assert ["search_everywhere", "S"] == rows[[r[0] for r in rows].index("search_everywhere")][:2]
    assert all(len(row) == 3 for row in rows), [line for line, row in zip(lines, rows) if len(row) != 3]
    for column in (1, 2):
        starts = {line.index(row[column], len("  ".join(row[:column]))) for line, row in zip(lines, rows)}
        assert len(starts) == 1, (column, starts)


def test_every_commands_help_says_what_it_does(capsys):
    """``tui-inbox COMMAND --help`` has a description between the usage and the options, for every command."""
    from tui_inbox.cli import build_parser, main

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"demo", "init", "keys", "index", "sandbox", "relay", "export"} <= set(commands)
    for command in commands:
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        text = capsys.readouterr().out
        between = text.split("\n\n")[1]  # usage, blank line, description, blank line, the arguments
        assert between.strip() and not between.lstrip().startswith(("options:", "positional arguments:")), (
            command, text)


def test_keys_into_a_reader_that_stops_early_ends_quietly(cli, tmp_path):
    """``tui-inbox keys | head -1``: the reader leaves before the list ends; no traceback follows."""
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_CONFIG=str(cli.config_path))
    process = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "keys"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    process.stdout.close()  # before the interpreter has started: every line it prints finds no reader
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) == 1  # as Python's own documentation ends on EPIPE (signal module)
    assert stderr == ""
