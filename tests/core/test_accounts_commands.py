"""Several accounts on the command line: ``init`` adds one, ``accounts`` lists them with their state,
``login``/``logout`` take ``--account``. Real processes against two sandboxes (the university and
the community college, tui_inbox/sandbox/second_school.py), each asked through its own API.
"""

from __future__ import annotations

import asyncio
import os
import stat
import tomllib

import pytest

from tests.accounts_cli import NOW, browser_of, cli, env_of, teacher_token, two_accounts
from tests.oauth_helpers import client_id
from tui_inbox import config as config_module


@pytest.fixture
def schools(make_sandbox):
    return make_sandbox(now=NOW), make_sandbox(now=NOW, institution=2)


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_init_adds_a_second_account_and_keeps_everything_else(schools, tmp_path):
    university, college = schools
    path = write(tmp_path, f'[canvas]\nbase_url = "{university.base_url}"\ntoken = "{teacher_token(university)}"\n'
                           f'[live]\nurl = "{university.live_url}"\npoll_seconds = 20\nnotify = "bell"\n'
                           '[ui]\ntheme = "nord"\n[compose]\nsend_delay_seconds = 10\n[keys]\narchive = "e"\n')
    done = cli(tmp_path, "init", "--url", college.base_url, "--name", "city", answers="2\n" + teacher_token(college) + "\n\n")
    assert done.returncode == 0, done.stderr
    assert "Added account 'city'" in done.stdout and "Traceback" not in done.stderr
    assert teacher_token(college) not in done.stdout + done.stderr
    config = config_module.load(str(path))
    first, second = config.accounts
    # The [canvas] account is the first table, named after its host, with its live URL.
    assert (first.name, first.canvas.base_url, first.canvas.token) == ("canvas", university.base_url,
                                                                        teacher_token(university))
    assert first.live_url == university.live_url
    assert (second.name, second.canvas.base_url, second.canvas.token) == ("city", college.base_url,
                                                                          teacher_token(college))
    assert (config.live.poll_seconds, config.live.notify, config.ui.theme) == (20, "bell", "nord")
    assert (config.compose.send_delay_seconds, config.keys) == (10, {"archive": "e"})
    assert "[canvas]" not in path.read_text() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listed = cli(tmp_path, "accounts")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["canvas", "city"]
    assert all(line.endswith("ready (Margaret Okafor)") for line in listed.stdout.splitlines())


def test_init_refuses_a_taken_name_or_an_account_the_file_has_and_changes_nothing(schools, tmp_path):
    university, college = schools
    path = write(tmp_path, f'[canvas]\nbase_url = "{university.base_url}"\ntoken = "{teacher_token(university)}"\n')
    before = path.read_bytes()
    # Both schools are at 127.0.0.1: from its host the new one would be "canvas" too.
    taken = cli(tmp_path, "init", "--url", college.base_url, answers="2\n" + teacher_token(college) + "\n\n")
    assert taken.returncode == 2
    line, = taken.stderr.strip().splitlines()[-1:]
    assert "already has an account named 'canvas'" in line and "--name NAME" in line
    # The same teacher at the same Canvas is already the first account.
    again = cli(tmp_path, "init", "--url", university.base_url, "--name", "again",
                answers="2\n" + teacher_token(university) + "\n\n")
    assert again.returncode == 2
    assert "already has Margaret Okafor at 127.0.0.1 as account 'canvas'" in again.stderr
    bad = cli(tmp_path, "init", "--url", college.base_url, "--name", "Canvas")
    assert bad.returncode == 2 and "already has an account named 'canvas'" in bad.stderr
    assert "Access token" not in bad.stdout  # refused before any question
    assert path.read_bytes() == before


def test_init_with_a_name_on_a_new_config_writes_one_accounts_table(schools, tmp_path):
    university, _ = schools
    done = cli(tmp_path, "init", "--url", university.base_url, "--name", "state",
               answers="2\n" + teacher_token(university) + "\n\n")
    assert done.returncode == 0, done.stderr
    (account,) = config_module.load(str(tmp_path / "config.toml")).accounts
    assert (account.name, account.canvas.base_url) == ("state", university.base_url)


def test_accounts_says_each_accounts_state_in_aligned_lines_and_never_a_token(schools, tmp_path):
    university, college = schools
    write(tmp_path, two_accounts(university, college, browser=(
        f'[[accounts]]\nname = "browser-u"\nbase_url = "{university.base_url}"\nauth = "oauth"\n'
        f'client_id = "{client_id(university)}"'), none=f'[[accounts]]\nname = "x"\nbase_url = "{college.base_url}"'))
    college.stop()
    # CANVAS_TOKEN would be the first account's: it is never tried on another.
    done = cli(tmp_path, "accounts", env=env_of(tmp_path, CANVAS_TOKEN=teacher_token(college),
                                                PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"))
    assert done.returncode == 1 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["state", "city", "browser-u", "x"]
    assert lines[0].split()[1:3] == ["127.0.0.1", "token"] and lines[0].endswith("ready (Margaret Okafor)")
    assert "  offline (" in lines[1]
    assert lines[2].split()[2] == "browser" and lines[2].endswith("sign in again: tui-inbox login --account browser-u")
    assert "  no token: " in lines[3] and "CANVAS_TOKEN is for the first account only" in lines[3]
    # Aligned: each column starts at the same place on every line.
    assert len({line.index("127.0.0.1") for line in lines}) == 1
    assert len({line.index(line.split()[3], line.index("127.0.0.1") + 9) for line in lines}) == 1
    for token in (teacher_token(university), teacher_token(college)):
        assert token not in done.stdout


def test_login_and_logout_take_the_account_by_name(schools, tmp_path):
    university, college = schools
    path = write(tmp_path, two_accounts(university, college) + (
        f'[[accounts]]\nname = "city-web"\nbase_url = "{college.base_url}"\nauth = "oauth"\n'
        f'client_id = "{client_id(college)}"\n'))
    env = browser_of(college, tmp_path)
    which = cli(tmp_path, "login", env=env)
    assert which.returncode == 2
    assert which.stderr.strip() == ("tui-inbox: login: there are 3 accounts (state, city, city-web); say which "
                                    "with --account NAME")
    typo = cli(tmp_path, "login", "--account", "city-wb", env=env)
    assert typo.returncode == 2 and "no account 'city-wb' (did you mean 'city-web'?)" in typo.stderr
    done = cli(tmp_path, "login", "--account", "city-web", env=env)
    assert done.returncode == 0, done.stderr
    assert "Account city-web in config" in done.stdout
    config = config_module.load(str(path))
    assert [a.name for a in config.accounts] == ["state", "city", "city-web"]
    assert config.accounts[0].canvas.token == teacher_token(university)  # the others stay as they were
    listed = cli(tmp_path, "accounts", env=env)
    assert listed.returncode == 0, listed.stdout
    out = cli(tmp_path, "logout", "--account", "city-web", env=env)
    assert out.returncode == 0, out.stderr
    assert "Canvas revoked the sign-in" in out.stdout and "tui-inbox login --account city-web" in out.stdout
    listed = cli(tmp_path, "accounts", env=env)
    assert listed.returncode == 1 and listed.stdout.splitlines()[2].endswith(
        "sign in again: tui-inbox login --account city-web")


def test_init_adds_a_browser_sign_in_to_a_second_school(schools, tmp_path):
    university, college = schools
    path = write(tmp_path, f'[canvas]\nbase_url = "{university.base_url}"\ntoken = "{teacher_token(university)}"\n')
    env = browser_of(college, tmp_path)
    args = ("init", "--url", college.base_url, "--client-id", client_id(college), "--name", "city")
    done = cli(tmp_path, *args, env=env, answers="\n")
    assert done.returncode == 0, done.stderr
    config = config_module.load(str(path))
    assert [(a.name, a.canvas.auth) for a in config.accounts] == [("canvas", "token"), ("city", "oauth")]
    assert cli(tmp_path, "accounts", env=env).returncode == 0
    # A second browser sign-in with that client id would replace this one's tokens: refused.
    twice = cli(tmp_path, *args[:-1], "city2", env=env, answers="\n")
    assert twice.returncode == 2
    assert "already signs in to 127.0.0.1 with the browser as account 'city'" in twice.stderr
    assert "tui-inbox login --account city" in twice.stderr


async def test_every_canvas_is_asked_at_once_and_one_that_never_answers_is_offline(schools):
    """Three accounts at a server that takes the request and never answers: all three are waiting
    on it at the same time (asked in parallel), each says offline after the short timeout, and the
    account whose Canvas answers is ready."""
    from tui_inbox.accounts_command import lines_of

    university, _ = schools
    open_now, most = 0, 0

    async def silent(reader, writer):
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        try:
            await reader.read()  # until the client gives up and closes
        finally:
            open_now -= 1
            writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent_ones = "".join(f'[[accounts]]\nname = "quiet{n}"\nbase_url = "http://127.0.0.1:{port}"\ntoken = "t{n}"\n'
                          for n in range(3))
    config = config_module.parse(tomllib.loads(
        silent_ones + f'[[accounts]]\nname = "state"\nbase_url = "{university.base_url}"\n'
                      f'token = "{teacher_token(university)}"\n'))
    try:
        lines = await lines_of(config, timeout=1.0)
    finally:
        server.close()
    assert most == 3
    assert [line.state.split(" ")[0] for line in lines] == ["offline", "offline", "offline", "ready"]
