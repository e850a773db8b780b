"""``tui-inbox init`` with a config that already has an account: one more ``[[accounts]]`` table.

Nothing in the file is lost: a ``[canvas]`` file becomes two ``[[accounts]]`` tables (the old
account first, named after its host, with its live URL), and every other table stays. The new
account is refused, before anything is asked of Canvas or written, when its name is taken, or
when it is an account the file already has (the same Canvas and the same person): a second
table would show every conversation twice, and a second browser sign-in with the same client id
would replace the first's tokens.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from .canvas import CanvasClient
from .canvas.errors import CanvasError
from .config import NAME_PATTERN, AccountSettings, Config, ConfigError, derived_name
from .config_accounts import NAME_RULE


def adds_an_account(existing: Config, url: str | None, name: str | None) -> bool:
    """Whether init adds an account rather than setting up the only one.

    A bare ``init`` on a ``[canvas]`` file sets that account up again, as it always has (a new
    token, the URL offered as the default); ``--url`` or ``--name`` there, or any init on a file of
    ``[[accounts]]``, adds one."""
    if existing.account_tables or name is not None:  # a first account with --name is an [[accounts]] table
        return True
    return bool(existing.canvas.base_url) and url is not None


def check_name(config: Config, name: str) -> str:
    """A ``--name`` that may be used: the rule of the config's names, and not taken."""
    if not NAME_PATTERN.match(name):
        raise ConfigError(f"--name {name!r}: a name is {NAME_RULE} (it is the row's tag); nothing was written.")
    refuse_taken_name(config, name, given=True)
    return name


def refuse_taken_name(config: Config, name: str, *, given: bool) -> None:
    for account in config.accounts:
        if account.name.casefold() == name.casefold():
            how = "give it another name with --name NAME" if given else \
                f"give the new one a name with --name NAME (from its host it would be {name!r} too)"
            raise ConfigError(f"{config.path} already has an account named {account.name!r}; {how}. "
                              "Nothing was written.")


def new_name(config: Config, base_url: str, name: str | None) -> str:
    """The new account's name: ``--name``, else its host's; a ConfigError if that one is taken."""
    if name is not None:
        return check_name(config, name)
    chosen = derived_name(base_url)
    refuse_taken_name(config, chosen, given=False)
    return chosen


def refuse_same_sign_in(config: Config, base_url: str, client_id: str) -> None:
    """A browser sign-in is kept under its Canvas and client id: a second one would replace the first's."""
    for account in config.accounts:
        canvas = account.canvas
        if canvas.signed_in and same_canvas(canvas.base_url, base_url) and canvas.client_id == client_id:
            raise ConfigError(f"{config.path} already signs in to {host_of(base_url)} with the browser as account "
                              f"{account.name!r}; to sign in there again, run `tui-inbox login --account "
                              f"{account.name}`. Nothing was written.")


def refuse_same_user(config: Config, base_url: str, user_id: int, user_name: str) -> None:
    """The same person at the same Canvas, already an account of the file (asked of Canvas with its token)."""
    for account in config.accounts:
        if not same_canvas(account.canvas.base_url, base_url) or account.canvas.signed_in:
            continue
        if user_of(account.canvas.base_url, token_or_none(config, account)) == user_id:
            raise ConfigError(f"{config.path} already has {user_name or 'this person'} at {host_of(base_url)} as "
                              f"account {account.name!r}; a second would show every conversation twice. To use "
                              f"another token for it, edit that table. Nothing was written.")


def token_or_none(config: Config, account: AccountSettings) -> str | None:
    try:
        return config.account_token(account)
    except ConfigError:
        return None


def user_of(base_url: str, token: str | None) -> int | None:
    """Whose token it is, or None when Canvas cannot say (no token, no answer): then nothing is refused."""
    if not token:
        return None

    async def ask() -> int:
        client = CanvasClient(base_url, token, timeout=15.0)
        try:
            return (await client.get_self()).id
        finally:
            await client.aclose()

    try:
        return asyncio.run(ask())
    except CanvasError:
        return None


def same_canvas(one: str, other: str) -> bool:
    return one.rstrip("/").casefold() == other.rstrip("/").casefold()


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or base_url


def append(config: Config, account: AccountSettings) -> None:
    """Add the account last; a [canvas] file's account becomes the first [[accounts]] table."""
    had_one = bool(config.account_tables) or bool(config.canvas.base_url)
    config.accounts = (config.accounts if had_one else []) + [account]
