"""``[[accounts]]`` in the config: several Canvas accounts, each checked as [canvas] is, written back whole."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from tui_inbox import config as config_module
from tui_inbox.config import AccountSettings, CanvasSettings, Config, ConfigError

TWO = """\
[[accounts]]
name = "state"
base_url = "https://canvas.state.edu"
token = "7~state"

[[accounts]]
name = "city"
base_url = "https://city.instructure.com"
auth = "oauth"
client_id = "170000000000042"
live_url = "wss://relay.city.edu/live"
poll_seconds = 10

[live]
poll_seconds = 45
notify = "bell"

[ui]
theme = "nord"

[keys]
archive = "e"
"""


def load(tmp_path, text: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config_module.load(str(path))


def test_accounts_are_read_in_order_each_with_its_own_keys(tmp_path):
    config = load(tmp_path, TWO)
    state, city = config.accounts
    assert state == AccountSettings("state", CanvasSettings("https://canvas.state.edu", token="7~state"))
    assert (city.name, city.canvas.auth, city.canvas.client_id) == ("city", "oauth", "170000000000042")
    assert (city.live_url, city.poll_seconds) == ("wss://relay.city.edu/live", 10)
    # An account without poll_seconds polls as [live] says; the rest of the file is read as ever.
    assert [config.poll_seconds_of(a) for a in config.accounts] == [45, 10]
    assert (config.live.notify, config.ui.theme, config.keys) == ("bell", "nord", {"archive": "e"})


@pytest.mark.parametrize("base_url, name", [
    ("https://canvas.state.edu", "state"),
    ("https://state.instructure.com", "state"),
    ("https://canvas.instructure.com", "instructure"),
    ("http://127.0.0.1:8123", "canvas"),
    ("http://localhost:3000", "canvas"),
    ("https://lms.a-very-long-university-name.edu", "a-very-long-univ"),
])
def test_todays_canvas_file_is_one_account_named_after_its_host(tmp_path, base_url, name):
    config = load(tmp_path, f'[canvas]\nbase_url = "{base_url}"\ntoken = "t"\n[live]\nurl = "wss://relay.edu/x"\n')
    (account,) = config.accounts
    assert account.name == name and account.canvas is config.canvas
    assert account.live_url == "wss://relay.edu/x" and account.poll_seconds is None


@pytest.mark.parametrize("text, expected", [
    ('[canvas]\nbase_url = "https://a.edu"\n[[accounts]]\nname = "b"\nbase_url = "https://b.edu"\n',
     "has both [canvas] and [[accounts]]; move [canvas] into an [[accounts]] table"),
    ('[accounts]\nname = "b"\n', "accounts is a list of tables: write each one as [[accounts]]"),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\n[[accounts]]\nname = "city"\nbase_ulr = "x"\n',
     'accounts[2] (name "city"): unknown key base_ulr (did you mean \'base_url\'?)'),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\n[[accounts]]\nname = "State"\nbase_url = "https://b.edu"\n',
     'accounts[2] (name "State"): the name is already used by account "state"'),
    ('[[accounts]]\nbase_url = "https://a.edu"\n', "accounts[1] has no name"),
    ('[[accounts]]\nname = "my university"\nbase_url = "https://a.edu"\n',
     'accounts[1] (name "my university"): the name must be 1 to 16 letters, digits'),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\npoll_seconds = 0.5\n',
     'accounts[1] (name "state"): poll_seconds must be between 1 and 86400 seconds (it is 0.5)'),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\npoll_seconds = "often"\n',
     'accounts[1] (name "state"): poll_seconds must be a number'),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\nauth = "oauth"\n',
     'accounts[1] (name "state"): auth = "oauth" needs client_id'),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\nauth = "password"\n',
     "auth must be one of token, oauth"),
    ('[[accounts]]\nname = "state"\n', 'accounts[1] (name "state") has no base_url'),
    ('[[accounts]]\nname = 7\nbase_url = "https://a.edu"\n', "accounts[1]: name must be a string"),
    ('[[acounts]]\nname = "a"\n', "unknown section [[acounts]] (did you mean 'accounts'?)"),
    ('[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\n[live]\nurl = "wss://r.edu/x"\n',
     "[live] url is for a [canvas] config; with [[accounts]], set live_url"),
])
def test_a_mistake_in_an_account_is_one_line_naming_the_table(tmp_path, text, expected):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert expected in message and str(tmp_path / "config.toml") in message and "\n" not in message


def test_the_environment_token_is_only_ever_the_first_accounts(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVAS_TOKEN", "7~from-env")
    config = load(tmp_path, '[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\n'
                            '[[accounts]]\nname = "city"\nbase_url = "https://b.edu"\n'
                            f'[[accounts]]\nname = "town"\nbase_url = "https://c.edu"\n'
                            f'token_command = "{sys.executable} -c \\"print(42)\\""\n')
    state, city, town = config.accounts
    assert config.account_token(state) == config.token() == "7~from-env"
    with pytest.raises(ConfigError) as caught:
        config.account_token(city)
    message = str(caught.value)
    assert 'accounts[2] (name "city")' in message and "CANVAS_TOKEN is for the first account only" in message
    assert "7~from-env" not in message
    assert config.account_token(town) == "42"


def test_a_failing_token_command_names_its_account(tmp_path):
    config = load(tmp_path, '[[accounts]]\nname = "state"\nbase_url = "https://a.edu"\ntoken = "t"\n'
                            '[[accounts]]\nname = "city"\nbase_url = "https://b.edu"\n'
                            f'token_command = "{sys.executable} -c \\"import sys; sys.exit(3)\\""\n')
    with pytest.raises(ConfigError, match=r'accounts\[2\] \(name "city"\) token_command exited 3'):
        config.account_token(config.accounts[1])


def test_accounts_are_written_back_faithfully_and_privately(tmp_path):
    config = load(tmp_path, TWO)
    written = tmp_path / "again.toml"
    config_module.save(config, written)
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    again = config_module.load(str(written))
    assert again.accounts == config.accounts
    assert (again.live, again.ui, again.keys) == (config.live, config.ui, config.keys)
    assert written.read_text().count("[[accounts]]") == 2 and "[canvas]" not in written.read_text()


def test_todays_canvas_form_is_written_as_it_always_was(tmp_path):
    """One account from [canvas] stays [canvas]: the same bytes as before [[accounts]] existed."""
    path = tmp_path / "config.toml"
    config = Config()
    config.canvas = CanvasSettings("https://canvas.state.edu", token="7~x")
    config.live.url = "wss://relay.state.edu/live"
    config_module.save(config, path)
    assert path.read_text() == (
        '[canvas]\nbase_url = "https://canvas.state.edu"\ntoken = "7~x"\n\n'
        '[live]\nurl = "wss://relay.state.edu/live"\npoll_seconds = 30.0\nnotify = "notice"\n\n'
        '[ui]\ntheme = "textual-dark"\nthread_order = "oldest"\ndate_style = "relative"\nrail = "shown"\n')
    again = config_module.load(str(path))
    config_module.save(again, tmp_path / "twice.toml")
    assert (tmp_path / "twice.toml").read_bytes() == path.read_bytes()


def test_setting_accounts_turns_a_canvas_file_into_accounts_tables(tmp_path):
    config = load(tmp_path, '[canvas]\nbase_url = "https://canvas.state.edu"\ntoken = "7~x"\n'
                            '[live]\nurl = "wss://relay.state.edu/live"\n')
    (first,) = config.accounts
    config.accounts = [first, AccountSettings("city", CanvasSettings("https://city.edu", token="7~y"))]
    config_module.save(config, tmp_path / "config.toml")
    again = config_module.load(str(tmp_path / "config.toml"))
    assert [a.name for a in again.accounts] == ["state", "city"]
    assert again.accounts[0].live_url == "wss://relay.state.edu/live" and again.live.url == ""
