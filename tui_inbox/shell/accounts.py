"""Which accounts a verb acts on, and what this machine already knows of each.

A verb acts on the account ``--account NAME`` names, else on every account of the config. Each
is found in the store the way the app finds it (store/known_users.py remembers whose token is
whose; the store's folder is keyed by the Canvas origin and the user id), so a verb reads the
same cache the app keeps, read-only, and never takes the app's instance lock.

Kept light on purpose: ``unread`` answers a status bar from here without importing the HTTP
client or the session (launch.py is imported only for a browser sign-in's stored tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import AccountSettings, Config, data_dir
from ..config_accounts import accounts_named
from ..store.database import StoreError
from ..store.instance_lock import is_held
from ..store.known_users import known_user
from ..store.paths import account_folder, account_key, cache_path

KNOWN_USERS = "known_users.json"  # as launch.KNOWN_USERS


@dataclass
class Known:
    """One account as the store knows it: its user id and folder when it has been opened here."""

    settings: AccountSettings
    identity: str  # the token (or a sign-in's refresh token): what known_users.json keys by
    user_id: int | None

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def base_url(self) -> str:
        return self.settings.canvas.base_url.rstrip("/")

    @property
    def folder(self) -> Path | None:
        return None if self.user_id is None else account_folder(data_dir(), account_key(self.base_url, self.user_id))

    @property
    def app_open(self) -> bool:
        """The app has this account open (its cache is then current: the app follows Canvas)."""
        folder = self.folder
        return folder is not None and is_held(folder)

    @property
    def cache_file(self) -> Path | None:
        """The file of its cache and search index, when this machine has one."""
        if self.user_id is None:
            return None
        path = cache_path(data_dir(), account_key(self.base_url, self.user_id))
        return path if path.exists() else None

    def cache(self):
        """The account's cache, read-only, or None when there is none this version can read."""
        from ..store.cache import Cache

        path = self.cache_file
        if path is None:
            return None
        try:
            return Cache.read_only(path)
        except StoreError:
            return None


def chosen(config: Config, name: str | None, verb: str) -> list[AccountSettings]:
    return accounts_named(config, name, verb)


def one_known(config: Config, name: str | None, verb: str) -> Known:
    """The one account a verb must act on alone (the only one, or the one ``--account`` names)."""
    from ..config_accounts import one_account

    return known(config, one_account(config, name, verb))


def known(config: Config, settings: AccountSettings) -> Known:
    """What the store knows of the account; raises ConfigError when it has no token to be found by."""
    identity = identity_of(config, settings)
    user_id = known_user(data_dir() / KNOWN_USERS, settings.canvas.base_url, identity)
    return Known(settings, identity, user_id)


def asked(config: Config, account: Known) -> Known:
    """The account with its user id asked of Canvas when this machine did not know it (the app
    was never opened with this token): nothing is written, the store stays the app's."""
    if account.user_id is not None:
        return account
    import asyncio

    from ..launch import account_of, check_account

    return Known(account.settings, account.identity, asyncio.run(check_account(account_of(config, account.settings))))


def identity_of(config: Config, settings: AccountSettings) -> str:
    if settings.canvas.signed_in:
        from ..launch import account_of

        return account_of(config, settings).identity
    return config.account_token(settings)
