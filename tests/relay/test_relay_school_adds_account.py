"""`tui-inbox init --school RELAY` on a config that has an account already: the school's Canvas is
added as one more [[accounts]] table, with the relay's live URL as its own, and the first stays.

The relay publishes /.well-known/tui-inbox.json; the sandbox behind it imitates
app/controllers/oauth2_provider_controller.rb for the browser sign-in.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.accounts_cli import NOW, teacher_token
from tests.oauth_helpers import browser_env, command
from tests.relay.test_relay_oauth import School
from tui_inbox import config as config_module


@pytest.fixture
def school(nats_server):
    place = School(nats_server.url)
    yield place
    place.stop()


def test_init_with_a_school_relay_adds_the_school_as_an_account(school, make_sandbox, tmp_path):
    college = make_sandbox(now=NOW, institution=2)
    path = tmp_path / "config.toml"
    path.write_text(f'[[accounts]]\nname = "city"\nbase_url = "{college.base_url}"\n'
                    f'token = "{teacher_token(college)}"\n[ui]\ntheme = "nord"\n')
    relay = "http://" + school.relay.info.live_url.split("://", 1)[1].split("/", 1)[0]
    done = subprocess.run(command(tmp_path, "init", "--school", relay, "--name", "state"), input="",
                          capture_output=True, text=True, env=browser_env(school.sandbox, tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Added account 'state'" in done.stdout
    config = config_module.load(str(path))
    city, state = config.accounts
    assert (city.name, city.canvas.token, city.live_url) == ("city", teacher_token(college), "")
    assert (state.canvas.base_url, state.canvas.auth) == (school.sandbox.base_url, "oauth")
    assert state.live_url == school.relay.info.live_url and config.ui.theme == "nord"
    # Once more: the same school's sign-in is there already, and nothing is asked of the browser.
    again = subprocess.run(command(tmp_path, "init", "--school", relay, "--name", "state2"), input="",
                           capture_output=True, text=True, env=browser_env(school.sandbox, tmp_path), timeout=120)
    assert again.returncode == 2 and "tui-inbox login --account state" in again.stderr
    assert config_module.load(str(path)).accounts == config.accounts
