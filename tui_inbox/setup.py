"""``tui-inbox init``: ask for the Canvas URL and a token, check them, write the config (mode 0600)."""

from __future__ import annotations

import asyncio
import getpass
import sys

from . import config as config_module
from .canvas.http import checked_base_url
from .canvas.errors import CanvasError
from .config import CanvasSettings, Config, ConfigError
from .launch import Account, check_account

TOKEN_HELP = (
    "Make a token in Canvas: Account > Settings > Approved Integrations > + New Access Token.\n"
    "It is stored in the config file, readable only by you (mode 0600)."
)


def ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        raise ConfigError("init needs answers on standard input (or pass --url and set CANVAS_TOKEN).") from None


def ask_secret(prompt: str) -> str:
    if not sys.stdin.isatty():
        return ask(prompt)
    return getpass.getpass(prompt).strip()


def run_init(cli_path: str | None, url: str | None) -> int:
    path = config_module.resolve_path(cli_path)
    existing = config_module.load(cli_path, required=False) if path.exists() else Config(path=path)
    base_url = url or ask(f"Canvas URL [{existing.canvas.base_url or 'https://canvas.example.edu'}]: ") or existing.canvas.base_url
    try:
        base = str(checked_base_url(base_url))
    except CanvasError as error:
        raise ConfigError(str(error)) from None
    print(TOKEN_HELP)
    token = ask_secret("Access token (input hidden): ")
    if not token:
        raise ConfigError("No token given; nothing was written.")
    print("Checking the token with Canvas…")
    asyncio.run(check_account(Account(base, token, None, False)))
    config = existing
    config.canvas = CanvasSettings(base_url=base, token=token)
    written = config_module.save(config, path)
    print(f"Connected. Config written to {written} (mode 0600). Start with: tui-inbox")
    return 0
