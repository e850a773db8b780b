"""Putting the pieces together: config -> client, drafts, session, live feed -> app.

Before the full-screen app starts, the token and the server are checked with
``/api/v1/users/self``, so a bad token or an unreachable server is a one-line message
on the terminal rather than a broken screen.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .canvas import CanvasClient, CanvasError
from .config import Config, ConfigError, data_dir
from .inbox.session import InboxSession
from .live.feed import LiveFeed
from .store.drafts import DraftStore


@dataclass
class Account:
    base_url: str
    token: str
    live_url: str | None
    trusted_live_url: bool


def account_key(base_url: str, user_id: int) -> str:
    """Drafts are kept per account, without writing the URL in clear into the key."""
    return hashlib.sha256(f"{base_url.rstrip('/')}|{user_id}".encode()).hexdigest()[:16]


async def check_account(account: Account, timeout: float = 15.0) -> int:
    """The user's id, or a ConfigError naming the problem and the fix."""
    try:
        client = CanvasClient(account.base_url, account.token, timeout=timeout)
    except CanvasError as error:
        raise ConfigError(str(error)) from None
    try:
        me = await client.get_self()
    except CanvasError as error:
        raise ConfigError(f"{error}") from None
    finally:
        await client.aclose()
    return me.id


def build_app(config: Config, account: Account, *, user_id: int, drafts_path: Path | None = None,
              drafts_account: str | None = None, clock=None):
    from .ui.app import InboxApp
    from .ui.keys import unknown_ids

    bad = unknown_ids(config.keys)
    if bad:
        raise ConfigError(f"[keys] has unknown action {bad[0]!r}; `tui-inbox keys` lists the action ids.")
    client = CanvasClient(account.base_url, account.token)
    drafts = DraftStore(drafts_path or data_dir() / "drafts.sqlite3",
                        drafts_account or account_key(account.base_url, user_id))
    kwargs = {"clock": clock} if clock is not None else {}
    session = InboxSession(client, drafts=drafts, thread_order=config.ui.thread_order, **kwargs)
    try:
        feed = LiveFeed(client, account.live_url or None, poll_seconds=config.live.poll_seconds,
                        trusted_live_url=account.trusted_live_url)
    except CanvasError as error:
        # The token may not go to that stream: poll instead, and say why on the status bar.
        feed = LiveFeed(client, None, poll_seconds=config.live.poll_seconds)
        feed.state.set(feed.state.state, error=str(error))
    host = client.http.base_url.host
    return InboxApp(session, feed=feed, keymap=config.keys, theme=config.ui.theme, date_style=config.ui.date_style,
                    notify_mode=config.live.notify, account_label=host, **kwargs)


def account_from(config: Config) -> Account:
    if not config.canvas.base_url:
        raise ConfigError(f"{config.path}: [canvas] base_url is empty; `tui-inbox init` sets it.")
    return Account(config.canvas.base_url, config.token(), config.live.url or None, bool(config.live.url))


def run_app(config: Config, account: Account) -> int:
    user_id = asyncio.run(check_account(account))
    app = build_app(config, account, user_id=user_id)
    app.run()
    return 0
