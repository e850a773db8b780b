"""The app with a browser sign-in, against the sandbox's OAuth2 provider.

The sandbox imitates app/models/access_token.rb (an access token past its hour gets Canvas's 401
on the API and on /live; a deleted token's refresh token is refused) and
lib/canvas/oauth/grant_types/refresh_token.rb. Tokens are expired with the sandbox's hook, never
by waiting for them.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import user_client
from tests.oauth_helpers import browser_env, client_id, command, renewing, sign_in, user_of
from tests.ui.test_compose import SIZE, started
from tests.waiting import async_wait_until
from tui_inbox import config as config_module
from tui_inbox.config import Config
from tui_inbox.launch import Account, account_from, build_app
from tui_inbox.ui.screens.compose import ComposeScreen


def subjects(app) -> set[str]:
    return {row.subject for row in app.list.rows}


async def test_after_init_the_app_opens_on_the_teachers_inbox(sandbox, tmp_path, monkeypatch, no_keyring):
    done = subprocess.run(command(tmp_path, "init", "--url", sandbox.base_url, "--client-id", client_id(sandbox)),
                          input="\n", capture_output=True, text=True, env=browser_env(sandbox, tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("TUI_INBOX_DATA", str(tmp_path / "data"))
    config = config_module.load(str(tmp_path / "config.toml"))
    account = account_from(config)  # as `tui-inbox` builds it: the tokens from the secrets file
    teacher = user_of(sandbox)
    app = build_app(config, account, user_id=teacher["id"], drafts_path=tmp_path / "drafts.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.session.me.id == teacher["id"]
        with user_client(sandbox, "teacher") as api:
            inbox = {c["subject"] for c in api.get("/api/v1/conversations", params={"per_page": 100}).json()}
        assert subjects(app) and subjects(app) <= inbox


def signed_in_app(sandbox, tmp_path, tokens, *, live: bool = False, send_delay: float = 0.0):
    config = Config()
    config.compose.send_delay_seconds = send_delay
    account = Account(sandbox.base_url, tokens, sandbox.live_url if live else None, trusted_live_url=True)
    return build_app(config, account, user_id=user_of(sandbox)["id"], drafts_path=tmp_path / "drafts.sqlite3",
                     drafts_account="a")


async def reply(pilot, text: str) -> ComposeScreen:
    await pilot.press("r")
    composer = await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, ComposeScreen) else None)
    await pilot.pause()
    await pilot.press(*text)
    await pilot.press("ctrl+s")
    return composer


async def test_with_expired_tokens_archive_reply_and_the_live_stream_keep_working(sandbox, tmp_path):
    grant = await sign_in(sandbox)
    tokens = renewing(sandbox, grant)
    app = signed_in_app(sandbox, tmp_path, tokens, live=True)
    async with app.run_test(size=SIZE) as pilot:
        # Not ``started``: the feed's worker runs as long as the app, so workers never all finish.
        await async_wait_until(lambda: app.session.me is not None and app.session.view.loaded and app.list.rows)
        await async_wait_until(lambda: app.status.feed == "live")
        sandbox.expire_tokens()  # the hour is up
        archived = app.list.rows[0]
        await pilot.press("a")
        await async_wait_until(lambda: "Archived" in (app.status.message or ""))
        sandbox.expire_tokens()
        composer = await reply(pilot, "Renewed and sent")
        await async_wait_until(lambda: app.screen is not composer)
        await async_wait_until(lambda: (app.status.message or "").startswith("Reply sent"))
        # The stream still brings what others write.
        with user_client(sandbox, "student") as student:
            student_id = student.get("/api/v1/users/self").json()["id"]
            created = student.post("/api/v1/conversations", data={"recipients[]": [str(grant.user_id)],
                                                                   "subject": "Live after renewal",
                                                                   "body": "hello"}).json()
        assert student_id and created
        await async_wait_until(lambda: "Live after renewal" in subjects(app))
        assert app.status.feed == "live"
    with user_client(sandbox, "teacher") as api:
        state = api.get(f"/api/v1/conversations/{archived.id}").json()["workflow_state"]
        sent = [c.get("last_message") for c in api.get("/api/v1/conversations", params={"scope": "sent"}).json()]
    assert state == "archived" and "Renewed and sent" in sent
    assert sandbox.grant_types() == ["authorization_code", "refresh_token", "refresh_token"]


async def test_a_revoked_sign_in_says_sign_in_again_keeps_the_text_and_a_new_sign_in_brings_it_back(sandbox, tmp_path):
    grant = await sign_in(sandbox)
    stored = {"pair": (grant.access_token, grant.refresh_token)}
    tokens = renewing(sandbox, grant, reload=lambda: stored["pair"])
    app = signed_in_app(sandbox, tmp_path, tokens)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        sandbox.revoke_tokens(grant.user_id)  # as from Settings > Approved Integrations
        composer = await reply(pilot, "Kept through the sign-in")
        await async_wait_until(lambda: "tui-inbox login" in composer.status_text)
        line = composer.status_text
        assert line.startswith("Canvas no longer accepts this sign-in (invalid_grant") and "\n" not in line
        assert app.status.error == line  # and on the status bar
        assert grant.refresh_token not in line
        assert app.screen is composer and composer.draft.body == "Kept through the sign-in"
        # `tui-inbox login` in another terminal: a new sign-in lands in the secrets store.
        again = await sign_in(sandbox)
        stored["pair"] = (again.access_token, again.refresh_token)
        await pilot.press("ctrl+s")
        await async_wait_until(lambda: app.screen is not composer)
        await async_wait_until(lambda: (app.status.message or "").startswith("Reply sent"))
    with user_client(sandbox, "teacher") as api:
        sent = [c.get("last_message") for c in api.get("/api/v1/conversations", params={"scope": "sent"}).json()]
    assert sent.count("Kept through the sign-in") == 1
