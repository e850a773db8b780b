"""``tui-inbox login`` and ``tui-inbox logout``, and the sign-in step `init` shares with them."""

from __future__ import annotations

import asyncio
import sys
from urllib.parse import urlsplit

from .. import config as config_module
from ..canvas.errors import CanvasError, SignInNeeded
from ..canvas.http import CanvasHTTP
from ..config import CanvasSettings, ConfigError, data_dir
from .flow import browser_sign_in, pasted_sign_in
from .stored import keep_grant, secrets_of, stored_tokens


def say(line: str) -> None:
    print(line, flush=True)


def ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        print(file=sys.stderr)
        raise ConfigError("sign-in stopped: no code on standard input; nothing was stored.") from None


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or base_url


def sign_in_and_keep(base_url: str, client_id: str, *, no_browser: bool = False) -> None:
    """Sign in (browser, or a pasted code) and keep the tokens; a SignInFailed line if not."""
    if no_browser:
        grant = asyncio.run(pasted_sign_in(base_url, client_id, say=say, ask=ask))
    else:
        grant = asyncio.run(browser_sign_in(base_url, client_id, say=say))
    secrets = secrets_of(base_url, client_id, data_dir())
    keep_grant(secrets, grant)
    who = f" as {grant.user_name}" if grant.user_name else ""
    if secrets.in_keyring:
        say(f"Signed in to {host_of(base_url)}{who}. The sign-in is kept in {secrets.where()}.")
    else:
        say(f"Signed in to {host_of(base_url)}{who}. No system keyring here: the sign-in is kept in "
            f"{secrets.file} (mode 0600, in a 0700 folder).")


def run_login(cli_path: str | None, client_id: str | None, no_browser: bool, account: str | None = None) -> int:
    from ..config_accounts import one_account
    from ..setup import ask_client_id

    config = config_module.load(cli_path)
    settings = one_account(config, account, "login")
    base = settings.canvas.base_url
    if not base:
        raise ConfigError(f"{config.path}: [canvas] base_url is empty; `tui-inbox init` sets it.")
    if client_id is not None and not client_id.isdigit():
        raise ConfigError(f"--client-id: {client_id!r} is not a client id (the digits of a developer key).")
    client_id = client_id or settings.canvas.client_id or ask_client_id("")
    sign_in_and_keep(base, client_id, no_browser=no_browser)
    # The config keeps the URL and the client id only: a personal token it held is no longer used.
    signed_in = CanvasSettings(base_url=base, auth="oauth", client_id=client_id)
    if config.account_tables:
        settings.canvas = signed_in
    else:
        config.canvas = signed_in
    written = config_module.save(config, config.path)
    which = f"Account {settings.name} in config" if config.account_tables else "Config"
    say(f"{which} {written} now signs in with the browser. Start with: tui-inbox")
    return 0


def run_logout(cli_path: str | None, account: str | None = None) -> int:
    from ..config_accounts import one_account

    config = config_module.load(cli_path)
    settings = one_account(config, account, "logout")
    canvas = settings.canvas
    if not canvas.signed_in:
        table = f"account {settings.name}'s table" if config.account_tables else "[canvas]"
        raise ConfigError(f"{config.path} uses a personal token, not a browser sign-in: remove the token "
                          f"(or token_command) from {table}, and delete the token in Canvas under Account > Settings "
                          "> Approved Integrations.")
    login = "tui-inbox login" + (f" --account {settings.name}" if len(config.accounts) > 1 else "")
    secrets = secrets_of(canvas.base_url, canvas.client_id, data_dir())
    try:
        tokens = stored_tokens(canvas.base_url, canvas.client_id, data_dir())
    except ConfigError:
        secrets.delete_all()
        say(f"Not signed in to {host_of(canvas.base_url)}: nothing to sign out of.")
        return 0
    problem = asyncio.run(revoke(canvas.base_url, tokens))
    secrets.delete_all()  # whatever Canvas said: this machine keeps nothing of the sign-in
    if problem:
        say(f"Signed out here: the sign-in's secrets are deleted from {secrets.where()}. {problem}")
    else:
        say(f"Signed out of {host_of(canvas.base_url)}: Canvas revoked the sign-in, and its secrets are deleted "
            f"from {secrets.where()}. `{login}` signs in again.")
    return 0


async def revoke(base_url: str, tokens) -> str | None:
    """Ask Canvas to end the sign-in (``DELETE /login/oauth2/token``); None when it did, else one line."""
    http = CanvasHTTP(base_url, tokens, timeout=15.0)
    try:
        await http.request("DELETE", "/login/oauth2/token")
    except SignInNeeded:
        return "Canvas had already ended it."
    except CanvasError as error:
        return (f"Canvas could not be told ({error}); to end it there too, remove tui-inbox under Account > "
                "Settings > Approved Integrations.")
    finally:
        await http.aclose()
    return None
