"""Putting the pieces together: config -> client, drafts and Activity's last look, session, live feed -> app.

Before the full-screen app starts, the token and the server are checked with
``/api/v1/users/self``, so a bad token or an unreachable server is a one-line message
on the terminal rather than a broken screen. Not when this token's account has a cache
(store/known_users.py remembers whose token it is): the app then opens from the cache at
once, offline too, and a refused token is said on the status bar by the first reconcile.

A browser sign-in (``[canvas] auth = "oauth"``) takes its tokens from the secrets store
(signin/stored.py) and renews them while the app runs; when Canvas refuses to renew, the
status bar says to sign in again with `tui-inbox login`, and the app goes on from its cache.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import gc_pause
from .canvas import CanvasClient, CanvasError
from .config import AccountSettings, Config, ConfigError, close_match, data_dir
from .inbox.session import InboxSession
from .store.activity_seen import ActivitySeen
from .store.database import StoreError
from .store.drafts import DraftStore
from .store.known_users import known_user, remember_user
from .store.instance_lock import AlreadyOpen, hold
from .store.paths import account_folder, account_key, cache_path  # noqa: F401  (account_key: imported from here by many)


if TYPE_CHECKING:
    from .canvas.token_source import TokenSource
    from .live.feed import LiveFeed

log = logging.getLogger("tui_inbox.launch")
KNOWN_USERS = "known_users.json"


@dataclass
class Account:
    base_url: str
    token: "str | TokenSource"  # a personal token, or a browser sign-in's renewing tokens
    live_url: str | None
    trusted_live_url: bool
    name: str = ""  # the config's name for it: the row's tag when there are several (else from its host)
    poll_seconds: float | None = None  # between unread_count polls when there is no stream (else [live]'s)

    @property
    def identity(self) -> str:
        """What says whose account this is without a request (store/known_users.py keeps a digest)."""
        return self.token if isinstance(self.token, str) else self.token.identity()

    def __repr__(self) -> str:
        return f"Account(name={self.name!r}, base_url={self.base_url!r}, token=***, live_url={self.live_url!r})"


def cached_user(account: Account) -> int | None:
    """The user id this token had, when this account has a cache: the app then opens from the
    cache with no request at all (and works offline); else None, and Canvas is asked."""
    user_id = known_user(data_dir() / KNOWN_USERS, account.base_url, account.identity)
    if user_id is None or not cache_path(data_dir(), account_key(account.base_url, user_id)).exists():
        return None
    return user_id


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
              drafts_account: str | None = None, clock=None, store_folder: Path | None = None):
    """The app for one account. ``store_folder``: where its cache and search index live (by default
    beside the drafts, else the data folder); the demo gives a folder of its own run."""
    check_settings(config)
    session, make_feed = build_session(config, account, user_id=user_id, drafts_path=drafts_path,
                                       drafts_account=drafts_account, clock=clock, store_folder=store_folder)
    return app_for(config, [(account_name(account), session, make_feed)], clock=clock,
                   account_label=session.client.http.host)


def build_accounts_app(config: Config, opened: "list[tuple[Account, int | None]]", *, drafts_path: Path | None = None,
                       clock=None, store_folder: Path | None = None, drafts_accounts: list[str] | None = None):
    """The app for several accounts: one session each, with its own client, store and feed.

    ``opened``: each account with its user id, or None when Canvas could not say who it is (offline
    with no cache, a token it refuses): that account then has a session without a store, whose
    start fails and says why in the rail, while the others work as usual."""
    check_settings(config)
    parts = []
    for number, (account, user_id) in enumerate(opened):
        if user_id is None:
            client = CanvasClient(account.base_url, account.token)
            session = InboxSession(client, thread_order=config.ui.thread_order, **({"clock": clock} if clock else {}))
            parts.append((account_name(account), session, feed_maker(config, account, client)))
            continue
        session, make_feed = build_session(config, account, user_id=user_id, drafts_path=drafts_path, clock=clock,
                                      store_folder=store_folder,
                                      drafts_account=drafts_accounts[number] if drafts_accounts else None)
        parts.append((account_name(account), session, make_feed))
    return app_for(config, parts, clock=clock, account_label="")


def account_name(account: Account) -> str:
    """The account's tag: its name in the config, else its Canvas host's first label."""
    from urllib.parse import urlsplit

    return account.name or (urlsplit(account.base_url).hostname or "canvas").split(".")[0]


def app_for(config: Config, parts: list, *, clock=None, account_label: str = ""):
    """The app over these (name, session, feed maker) parts."""
    from .inbox.accounts import Accounts
    from .ui.app import InboxApp

    kwargs = {"clock": clock} if clock is not None else {}
    accounts = Accounts([(name, session) for name, session, _ in parts])
    makers = {name: maker for name, _, maker in parts if maker is not None}
    return InboxApp(accounts, feed_makers=makers, keymap=config.keys, theme=config.ui.theme, date_style=config.ui.date_style,
                    rail=config.ui.rail, notify_mode=config.live.notify, account_label=account_label, **kwargs)


def build_session(config: Config, account: Account, *, user_id: int, drafts_path: Path | None = None,
                  drafts_account: str | None = None, clock=None, store_folder: Path | None = None):
    """One account's session (its client, drafts, Activity's last look, cache and search index), and
    what makes its feed (``feed_maker``)."""
    client = CanvasClient(account.base_url, account.token)
    key = drafts_account or account_key(account.base_url, user_id)
    drafts = DraftStore(drafts_path or data_dir() / "drafts.sqlite3", key)
    # Beside the drafts: a test that moves the drafts to its own folder moves this too.
    seen = ActivitySeen((drafts_path.parent if drafts_path else data_dir()) / "activity_seen.json", key)
    kwargs = {"clock": clock} if clock is not None else {}
    store = store_folder or (drafts_path.parent if drafts_path else data_dir())
    keeper = open_cache(store, key, clock)
    session = InboxSession(client, drafts=drafts, activity_seen=seen, thread_order=config.ui.thread_order,
                           keeper=keeper, send_delay=config.compose.send_delay_seconds, **kwargs)
    session.search_index = open_search_index(key, store)
    return session, feed_maker(config, account, client)


def feed_maker(config: Config, account: Account, client: CanvasClient):
    """What makes the account's live feed when the app starts following it, after its first frame:
    checking the live URL reads it with httpx, whose import (with ssl's and email's) is a tenth of
    a start from the cache, and nothing before that frame needs it (canvas/lazy_httpx.py)."""
    return lambda: feed_for(config, account, client)


def feed_for(config: Config, account: Account, client: CanvasClient) -> LiveFeed:
    """The account's live feed: its stream, else polls of its unread count."""
    from .live.feed import LiveFeed  # made after the first frame, as its modules are imported then

    poll_seconds = account.poll_seconds or config.live.poll_seconds
    try:
        return LiveFeed(client, account.live_url or None, poll_seconds=poll_seconds,
                        trusted_live_url=account.trusted_live_url)
    except CanvasError as error:
        # The token may not go to that stream: poll instead, and say why on the status bar.
        return LiveFeed(client, None, poll_seconds=poll_seconds, not_live_reason=str(error))


def run(app) -> None:
    """Run the app; then say on the terminal what it left to say there (a draft written to a file)."""
    import sys

    app.run()
    for line in app.farewell:
        print(f"tui-inbox: {line}", file=sys.stderr)


def open_cache(folder: Path, key: str, clock=None):
    """The account's cache and what keeps it (None if the data folder cannot hold one: the app
    then works as without a cache, from Canvas alone)."""
    from .inbox.formatting import utcnow
    from .inbox.offline import CacheKeeper
    from .store.cache import Cache

    notices: list[str] = []
    try:
        cache = Cache(cache_path(folder, key), notice=notices.append)
    except StoreError as error:
        log.warning("no local cache: %s", error)
        return None
    keeper = CacheKeeper(cache, clock or utcnow)
    keeper.notices = notices
    return keeper


def open_search_index(key: str, folder: Path | None = None):
    """The account's search index (in its cache file, under ``folder``, else the data folder), or
    None when the store cannot be used: the app then runs without search, saying why on the terminal."""
    import sys

    from .store.database import StoreError
    from .store.paths import cache_path
    from .store.search_index import SearchIndex

    def notice(line: str) -> None:
        print(f"tui-inbox: {line}", file=sys.stderr)

    try:
        return SearchIndex.open(cache_path(folder or data_dir(), key), notice=notice)
    except StoreError as error:
        notice(f"search is off: {error}")
        return None


def check_settings(config: Config) -> None:
    """The checks config.py cannot make without Textual: the theme and the [keys] table.

    Run before the token or the network are touched, so a typo is named first.
    """
    from textual.theme import BUILTIN_THEMES

    from .ui.keys import KEY_IDS, keymap_clash, keys_problem, unknown_ids

    where = str(config.path) if config.path else "the config"
    if config.ui.theme not in BUILTIN_THEMES:
        raise ConfigError(f"{where}: ui.theme {config.ui.theme!r} is not a theme{close_match(config.ui.theme, BUILTIN_THEMES)}; "
                          f"use one of {', '.join(BUILTIN_THEMES)}")
    bad = unknown_ids(config.keys)
    if bad:
        raise ConfigError(f"{where}: [keys] has unknown action {bad[0]!r}{close_match(bad[0], sorted(KEY_IDS))}; "
                          "`tui-inbox keys` lists the action ids")
    for binding_id, keys in config.keys.items():
        problem = keys_problem(binding_id, keys)
        if problem:
            raise ConfigError(f"{where}: {problem}")
    # Only a remapped key can clash (keymap_clash), and reading every scope's bindings imports the
    # composer's screen: without [keys], that is a fifth of a second before the first frame for nothing.
    clash = keymap_clash(config.keys, key_scopes()) if config.keys else None
    if clash:
        raise ConfigError(f"{where}: {clash}")


def key_scopes() -> dict:
    """Every binding that listens in each place a key is pressed, read from the classes themselves.

    Focus in the list or the thread: that widget, the screen and the app; in the composer: its
    screen and the app (its fields take the printable keys first anyway). Modal screens (help,
    confirm, attachments) stop the app's keys, so nothing there can clash with a remapped one.
    """
    from textual.screen import Screen

    from .ui.app import InboxApp, InboxList, InboxRail, InboxThread
    from .ui.widgets.panels import InboxActivity
    from .ui.screens.compose import ComposeScreen

    app = class_bindings(InboxApp)  # ctrl+p included: the app binds it itself, with an id (ui/keys.py)
    main = class_bindings(Screen) + app
    return {"the list": class_bindings(InboxList) + main, "the thread": class_bindings(InboxThread) + main,
            "the composer": class_bindings(ComposeScreen) + app,
            "Activity": class_bindings(InboxActivity) + main, "the rail": class_bindings(InboxRail) + main}


def class_bindings(cls) -> list:
    """The bindings a widget class listens with: its own and its bases', as Textual merged them
    when the class was made (a class's key replaces its base's binding for that key)."""
    return [binding for bindings in cls._merged_bindings.key_to_bindings.values() for binding in bindings]


def unwritable(why: str) -> str:
    """One line for a data folder the app cannot write to (full, read-only), and the way forward."""
    return (f"the data folder {data_dir()} cannot be written ({why}); make room there (or make it "
            "writable), or set TUI_INBOX_DATA to another folder")


def accounts_from(config: Config) -> list[Account]:
    """One Account per account of the config, in its order; a ConfigError for the first that cannot be used."""
    return [account_of(config, settings) for settings in config.accounts]


def usable_accounts(config: Config, say=None) -> list[Account]:
    """The accounts the app opens. With one, its problem is the app's (a ConfigError, one line).
    With several, an account that cannot be used (no token, a sign-in to renew) does not keep the
    others closed: ``say`` hears its line, and the app opens the rest; only none at all is an error."""
    settings = config.accounts
    if len(settings) == 1:
        return [account_of(config, settings[0])]
    usable, problems = [], []
    for one in settings:
        try:
            usable.append(account_of(config, one))
        except ConfigError as error:
            problems.append(f"{one.name}: {error}")
    if not usable:
        raise ConfigError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    for line in problems:
        (say or log.warning)(f"{line}; the other accounts open without it")
    return usable


def account_from(config: Config) -> Account:
    """The first account (only its token is looked up: another's missing one is not this one's problem)."""
    return account_of(config, config.accounts[0])


def account_of(config: Config, settings: AccountSettings) -> Account:
    """One account, ready to connect: its token from the config, its command, CANVAS_TOKEN (the
    first account only), or a browser sign-in's store, keyed by its own base_url and client id."""
    canvas = settings.canvas
    if not canvas.base_url:
        raise ConfigError(f"{config.path}: [canvas] base_url is empty; `tui-inbox init` sets it.")
    if canvas.signed_in:
        from .signin.stored import stored_tokens

        login = "tui-inbox login" + (f" --account {settings.name}" if len(config.accounts) > 1 else "")
        token = stored_tokens(canvas.base_url, canvas.client_id, data_dir(), login=login)
    else:
        token = config.account_token(settings)
    return Account(canvas.base_url, token, settings.live_url or None, bool(settings.live_url), name=settings.name,
                   poll_seconds=config.poll_seconds_of(settings))


def run_app(config: Config, accounts: "Account | list[Account]") -> int:
    """Run the app on the config's accounts (one account exactly as ever; several in one inbox)."""
    accounts = accounts if isinstance(accounts, list) else [accounts]
    if len(accounts) > 1:
        return run_several(config, accounts)
    account = accounts[0]
    user_id = cached_user(account)
    if user_id is None:
        user_id = asyncio.run(check_account(account))
        remember(account, user_id)
    lock = hold_account(account, user_id)
    try:
        try:
            app = build_app(config, account, user_id=user_id)
        except StoreError as error:  # the drafts cannot be kept: no composer may lose text, so no start
            raise ConfigError(unwritable(str(error))) from None
        app.after_first_frame.append(gc_pause.resume)
        run(app)
    finally:
        lock.release()
    return 0


def run_several(config: Config, accounts: list[Account]) -> int:
    """Several accounts in one inbox. Each is asked who it is at once (from the cache when it has
    one); one that cannot say (offline with no cache, a refused token) is still in the inbox, and
    its line in the rail says why, while the others open as usual."""
    user_ids = asyncio.run(who_is_each(accounts))
    locks = []
    try:
        for account, user_id in zip(accounts, user_ids):
            if user_id is not None:
                locks.append(hold_account(account, user_id))
        try:
            app = build_accounts_app(config, list(zip(accounts, user_ids)))
        except StoreError as error:
            raise ConfigError(unwritable(str(error))) from None
        app.after_first_frame.append(gc_pause.resume)
        run(app)
    finally:
        for lock in locks:
            lock.release()
    return 0


async def who_is_each(accounts: list[Account]) -> list[int | None]:
    """Each account's user id, all asked at once: from the cache, else Canvas (None when it cannot say)."""
    async def one(account: Account) -> int | None:
        user_id = cached_user(account)
        if user_id is not None:
            return user_id
        try:
            user_id = await check_account(account, timeout=10.0)
        except ConfigError as error:
            log.info("account %s did not say who it is: %s", account_name(account), error)
            return None
        remember(account, user_id)
        return user_id

    return list(await asyncio.gather(*(one(account) for account in accounts)))


def remember(account: Account, user_id: int) -> None:
    try:
        remember_user(data_dir() / KNOWN_USERS, account.base_url, account.identity, user_id)
    except OSError as error:  # only a shortcut for the next start: it asks Canvas again instead
        log.info("could not remember whose token this is: %s", error)


def hold_account(account: Account, user_id: int):
    """The account's instance lock: two apps on one account would send a queued message twice."""
    try:
        return hold(account_folder(data_dir(), account_key(account.base_url, user_id)))
    except AlreadyOpen as error:
        raise ConfigError(str(error)) from None
    except OSError as error:
        raise ConfigError(unwritable(error.strerror or str(error))) from None
