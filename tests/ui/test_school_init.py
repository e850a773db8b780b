"""One command for a whole school: `tui-inbox init --school RELAY` against a relay started with
the school's client id, then the app signed in and live.

The relay publishes /.well-known/tui-inbox.json; the sandbox behind it imitates
app/controllers/oauth2_provider_controller.rb and delivers events as Data Services would.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.oauth_helpers import browser_env, command, user_of
from tests.relay.test_relay_oauth import School
from tests.waiting import async_wait_until
from tui_inbox import config as config_module
from tui_inbox.launch import account_from, build_app


@pytest.fixture
def school(nats_server):
    place = School(nats_server.url)
    yield place
    place.stop()


async def test_init_with_the_school_relay_signs_in_sets_the_live_url_and_a_students_message_arrives_live(
        school, tmp_path, monkeypatch, no_keyring):
    sandbox = school.sandbox
    relay = "http://" + school.relay.info.live_url.split("://", 1)[1].split("/", 1)[0]
    done = subprocess.run(command(tmp_path, "init", "--school", relay), input="", capture_output=True, text=True,
                          env=browser_env(sandbox, tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr  # and nothing was asked: standard input was empty
    config = config_module.load(str(tmp_path / "config.toml"))
    assert config.canvas.base_url == sandbox.base_url and config.canvas.auth == "oauth"
    assert config.canvas.client_id == sandbox.info.developer_key["client_id"]
    assert config.live.url == school.relay.info.live_url
    monkeypatch.setenv("TUI_INBOX_DATA", str(tmp_path / "data"))
    app = build_app(config, account_from(config), user_id=user_of(sandbox)["id"],
                    drafts_path=tmp_path / "drafts.sqlite3")
    async with app.run_test(size=(100, 32)):
        await async_wait_until(lambda: app.session.view.loaded and app.status.feed == "live", timeout=20)
        school.jane_writes("Seen live through the school's relay")
        await async_wait_until(lambda: any(row.last_message == "Seen live through the school's relay"
                                           for row in app.list.rows), timeout=20)
