"""``tui-inbox accounts``: every configured account, how it signs in, and whether Canvas takes it now.

Each account is asked ``/api/v1/users/self`` at the same time, with a short timeout and no
retries: a school that is down is ``offline`` within seconds, and does not hold up the others'
lines. A token is never printed: a problem is said in words.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from .canvas import CanvasClient
from .canvas.errors import AuthError, CanvasError, NetworkError, SignInNeeded
from .canvas.http import RetryPolicy
from .config import AccountSettings, Config, ConfigError

TIMEOUT = 5.0  # seconds for each Canvas to answer: long enough for a slow one, short for a list


@dataclass(frozen=True)
class AccountLine:
    name: str
    host: str
    way: str  # token, command or browser
    state: str
    ready: bool


def way_of(account: AccountSettings) -> str:
    if account.canvas.signed_in:
        return "browser"
    return "command" if account.canvas.token_command and not account.canvas.token else "token"


async def line_of(config: Config, account: AccountSettings, *, several: bool, timeout: float) -> AccountLine:
    from .launch import account_of

    host = urlsplit(account.canvas.base_url).hostname or account.canvas.base_url or "(no base_url)"
    login = "tui-inbox login" + (f" --account {account.name}" if several else "")

    def said(state: str, ready: bool = False) -> AccountLine:
        return AccountLine(account.name, host, way_of(account), state, ready)

    try:
        # A token command may take a while (a password manager asking): in a thread, beside the others.
        ready_account = await asyncio.to_thread(account_of, config, account)
    except ConfigError as error:
        if account.canvas.signed_in:
            return said(f"sign in again: {login}")
        return said(f"no token: {' '.join(str(error).split())}")
    try:
        client = CanvasClient(ready_account.base_url, ready_account.token, timeout=timeout,
                              retry=RetryPolicy(attempts=1), deadline=timeout)
    except CanvasError as error:
        return said(f"offline ({error})")
    try:
        me = await client.get_self()
    except SignInNeeded:
        return said(f"sign in again: {login}")
    except AuthError:
        if account.canvas.signed_in:
            return said(f"sign in again: {login}")
        return said("no token: Canvas refused it; make a new one in Canvas (Account > Settings) and set it in the config")
    except NetworkError as error:
        return said(f"offline ({error.reason or error})")
    except CanvasError as error:
        return said(f"offline ({' '.join(str(error).split())})")
    finally:
        await client.aclose()
    return said(f"ready ({me.name})", ready=True)


async def lines_of(config: Config, timeout: float = TIMEOUT) -> list[AccountLine]:
    accounts = config.accounts
    several = len(accounts) > 1
    return list(await asyncio.gather(*(line_of(config, a, several=several, timeout=timeout) for a in accounts)))


def run_accounts(config: Config) -> int:
    """Print one aligned line per account; 0 if every one is ready, else 1."""
    lines = asyncio.run(lines_of(config))
    widths = [max(len(getattr(line, field)) for line in lines) for field in ("name", "host", "way")]
    for line in lines:
        print(f"{line.name:<{widths[0]}}  {line.host:<{widths[1]}}  {line.way:<{widths[2]}}  {line.state}")
    sys.stdout.flush()
    return 0 if all(line.ready for line in lines) else 1
