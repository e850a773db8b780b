"""``tui-inbox --config PATH demo``: the demo wears the config's [ui] and [keys], never its account."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ready, row_index, move_to
from tests.waiting import async_wait_until
from tui_inbox.demo import demo_settings
from tui_inbox.launch import Account, build_app

SETTINGS = ('[canvas]\nbase_url = "https://canvas.example.edu"\ntoken = "7~not-for-the-demo"\n'
            '[ui]\ntheme = "nord"\ndate_style = "absolute"\n[keys]\narchive = "e"\n')


async def test_the_demo_uses_the_configs_theme_and_keys(fixed_sandbox, tmp_path, utc):
    path = tmp_path / "config.toml"
    path.write_text(SETTINGS)
    config = demo_settings(str(path))
    assert (config.canvas.base_url, config.canvas.token) == ("", "")  # the account stays out of the demo
    account = Account(fixed_sandbox.base_url, fixed_sandbox.info.token_of("teacher"), None, False)
    app = build_app(config, account, user_id=1, drafts_path=tmp_path / "drafts.sqlite3", drafts_account="demo")
    app.feed = None  # a polling feed's worker never ends, and ready() waits for every worker
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert app.theme == "nord"
        index = row_index(app, "Lab report extension")
        cid = app.list.rows[index].id
        await move_to(pilot, index)
        await pilot.press("e")
        await async_wait_until(lambda: all(row.id != cid for row in app.list.rows))


def test_a_bad_setting_for_the_demo_is_one_line_before_the_sandbox_starts(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[ui]\ntheme = "nordd"\n')
    env = dict(os.environ, TUI_INBOX_DATA=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "--config", str(path), "demo"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"tui-inbox: {path}: ui.theme 'nordd' is not a theme (did you mean "
                                        f"'nord'?); use one of " + done.stderr.split("use one of ")[1].strip()]


def test_a_missing_config_for_the_demo_is_named(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "nope.toml"), "demo"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 2 and str(tmp_path / "nope.toml") in done.stderr and "Traceback" not in done.stderr


def test_the_demo_with_two_schools_shows_both_in_one_inbox(tmp_path, monkeypatch, utc):
    """``tui-inbox demo --schools 2``: two sandboxes (the second another institution, with other people
    and courses), one account each, their rows merged with their tags; the first school's account
    follows its live stream, the second polls."""
    import argparse
    import asyncio

    from tests.two_schools import accounts_shown
    from tui_inbox import demo

    monkeypatch.setenv("TUI_INBOX_DATA", str(tmp_path / "data"))
    seen: dict = {}

    async def drive(app) -> None:
        async with app.run_test(size=(120, 36)):
            # Not settle(): the feeds' workers follow Canvas until the app ends.
            await async_wait_until(lambda: accounts_shown(app) == {"state", "river"}, timeout=20)
            seen["accounts"] = accounts_shown(app)
            await async_wait_until(lambda: len(app.feeds) == 2)  # each made when followed, after the first frame
            seen["hosts"] = {m.session.client.base_url for m in app.accounts}
            seen["live"] = {name: feed._stream is not None for name, feed in app.feeds.items()}

    monkeypatch.setattr(demo, "run", lambda app: asyncio.run(drive(app)))
    args = argparse.Namespace(config=None, seed=1, activity=0.0, conversations=0, course_students=0, schools=2)
    assert demo.run_demo(args) == 0
    assert seen["accounts"] == {"state", "river"}
    assert len(seen["hosts"]) == 2
    assert seen["live"] == {"state": True, "river": False}
