"""The TOML config: where it is, what it holds, and its errors as one line each.

Found at ``--config PATH``, else ``$TUI_INBOX_CONFIG``, else the user's config folder
(platformdirs). Read with tomllib, written with tomli-w at mode 0600 because it may
hold the token. The token itself comes from ``[canvas] token``, else
``token_command`` (a command that prints it, e.g. a password manager), else the
``CANVAS_TOKEN`` environment variable.

A browser sign-in (``[canvas] auth = "oauth"``) keeps only the Canvas URL and the school's
client id here: its tokens live in the OS keyring, or a private file (store/secrets.py).

Several Canvas accounts are ``[[accounts]]`` tables (config_accounts.py reads them); a file with
only ``[canvas]`` is one account, and is written back in that form.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

APP_NAME = "tui-inbox"
THREAD_ORDERS = ("oldest", "newest")
DATE_STYLES = ("relative", "absolute")
RAIL_MODES = ("shown", "hidden", "auto")  # auto: hidden below 100 columns, where the subject needs the room
NOTIFY = ("notice", "none", "bell", "desktop")
POLL_SECONDS = (1, 86400)  # at least a second between polls, at most a day
SEND_DELAY_SECONDS = (0, 60)  # the undo-send window: none at all, up to a minute
AUTH_WAYS = ("token", "oauth")  # a personal token (config, command, CANVAS_TOKEN), or a browser sign-in


class ConfigError(Exception):
    """A one-line message that names the problem and the fix."""


def default_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """Drafts and other local state live here."""
    return Path(os.environ.get("TUI_INBOX_DATA") or platformdirs.user_data_dir(APP_NAME))


def resolve_path(cli_path: str | None) -> Path:
    if cli_path:
        return Path(cli_path).expanduser()
    env = os.environ.get("TUI_INBOX_CONFIG")
    if env:
        return Path(env).expanduser()
    return default_path()


@dataclass
class CanvasSettings:
    base_url: str = ""
    token: str = field(default="", repr=False)
    token_command: str = ""
    auth: str = "token"
    client_id: str = ""  # the school's developer key, for a browser sign-in

    @property
    def signed_in(self) -> bool:
        return self.auth == "oauth"


@dataclass
class AccountSettings:
    """One Canvas account: an ``[[accounts]]`` table, or the ``[canvas]`` of a one-account file."""

    name: str  # short, the row's tag when there are several; unique case-insensitively
    canvas: CanvasSettings
    live_url: str = ""
    poll_seconds: float | None = None  # None: [live] poll_seconds


@dataclass
class LiveSettings:
    url: str = ""
    poll_seconds: float = 30.0
    notify: str = "notice"  # notice, none, bell or desktop: how a new message announces itself


@dataclass
class UISettings:
    theme: str = "textual-dark"
    thread_order: str = "oldest"
    date_style: str = "relative"
    rail: str = "shown"  # the mailbox rail at start; `b` hides or shows it in the app


@dataclass
class ComposeSettings:
    send_delay_seconds: float = 5.0  # a sent message waits this long in the Outbox; u brings it back


@dataclass
class Config:
    path: Path | None = None
    canvas: CanvasSettings = field(default_factory=CanvasSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    ui: UISettings = field(default_factory=UISettings)
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> key(s), e.g. "archive" = "e"
    # The file's [[accounts]] tables, in order; empty for a file of today's one-account form ([canvas]).
    account_tables: list[AccountSettings] = field(default_factory=list)

    @property
    def accounts(self) -> list[AccountSettings]:
        """Every account: the [[accounts]] in order, else the one of [canvas] and [live] url.

        The one of [canvas] shares its CanvasSettings with ``config.canvas``: a change to either is
        the other's, and the file keeps its [canvas] form.
        """
        if self.account_tables:
            return list(self.account_tables)
        return [AccountSettings(derived_name(self.canvas.base_url), self.canvas, self.live.url)]

    @accounts.setter
    def accounts(self, accounts: list[AccountSettings]) -> None:
        self.account_tables = list(accounts)
        if accounts:
            self.canvas, self.live.url = CanvasSettings(), ""  # written as [[accounts]] from now on

    def token(self) -> str:
        """The first account's token: from the config, its command, or CANVAS_TOKEN; a ConfigError if none."""
        return self.account_token(self.accounts[0])

    def account_token(self, account: AccountSettings) -> str:
        """An account's token (its token, else its token_command); CANVAS_TOKEN for the first account
        only, so a token meant for one school is never sent to another."""
        first = account == self.accounts[0]  # names are unique: equal to the first is the first
        if not self.account_tables:
            label = "[canvas]"
        elif account in self.account_tables:
            label = table_label(self.account_tables.index(account), account.name)
        else:  # an account made in code, not read from the file
            label = f'account "{account.name}"'
        return token_of(account.canvas, label, self.path or default_path(), environment=first)

    def poll_seconds_of(self, account: AccountSettings) -> float:
        return account.poll_seconds if account.poll_seconds is not None else self.live.poll_seconds


def token_of(canvas: CanvasSettings, label: str, where: Path, *, environment: bool) -> str:
    """The token of one account's settings, ``label`` naming its table in a message."""
    if canvas.token:
        return canvas.token.strip()
    if canvas.token_command:
        return run_token_command(canvas.token_command, label)
    env = os.environ.get("CANVAS_TOKEN", "").strip() if environment else ""
    if env:
        return env
    if label == "[canvas]":
        raise ConfigError(
            f"No Canvas token: set [canvas] token or token_command in {where}, or CANVAS_TOKEN; "
            "`tui-inbox init` sets it up."
        )
    env_too = ", or CANVAS_TOKEN" if environment else " (CANVAS_TOKEN is for the first account only)"
    raise ConfigError(f"No Canvas token for {label}: set its token or token_command in {where}{env_too}.")


def run_token_command(command: str, label: str = "[canvas]") -> str:
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{label} token_command could not run ({exc}); check the command.") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{label} token_command took over 30 s; check the command.") from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        raise ConfigError(f"{label} token_command exited {done.returncode} without printing a token; check the command.")
    return token.splitlines()[0].strip()


def table_label(index: int, name: str) -> str:
    """How a message names an [[accounts]] table: ``accounts[2] (name "city")``, counted from 1."""
    return f'accounts[{index + 1}] (name "{name}")' if name else f"accounts[{index + 1}]"


# Labels that say "a Canvas" rather than whose: canvas.state.edu is State's, not "canvas"'s.
GENERIC_LABELS = {"canvas", "www", "lms", "learn", "online", "elearning"}
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,16}\Z")


def derived_name(base_url: str) -> str:
    """An account's name from its Canvas host: canvas.state.edu -> state; an address -> canvas."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(base_url).hostname or "").lower()
    except ValueError:
        host = ""
    labels = host.split(".")
    if not host or all(label.isdigit() for label in labels) or ":" in host or host == "localhost":
        return "canvas"
    useful = [label for label in labels[:-1] if label not in GENERIC_LABELS] or labels[:1]
    name = re.sub(r"[^a-z0-9_-]", "", useful[0])[:16]
    return name or "canvas"


KNOWN = {
    "canvas": {"base_url": str, "token": str, "token_command": str, "auth": str, "client_id": str},
    "live": {"url": str, "poll_seconds": (int, float), "notify": str},
    "ui": {"theme": str, "thread_order": str, "date_style": str, "rail": str},
    "compose": {"send_delay_seconds": (int, float)},
}


def close_match(word: str, options) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def parse(data: dict[str, Any], path: Path | None = None) -> Config:
    from .config_accounts import parse_accounts

    where = str(path) if path else "the config"
    config = Config(path=path)
    for section, value in data.items():
        if section == "accounts":
            continue  # read below, once [canvas] and [live] are known
        if section == "keys":
            if not isinstance(value, dict):
                raise ConfigError(f'{where}: [keys] maps action names to keys, e.g. archive = "e"')
            for name, keys in value.items():
                if not isinstance(keys, str):
                    raise ConfigError(f'{where}: [keys] maps action names to keys in quotes, e.g. {name} = "e" '
                                      f"(it is {_toml_kind(keys)})")
            config.keys = dict(value)
            continue
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            raise ConfigError(f"{where}: unknown section [[{section}]]{close_match(section, ['accounts'])}")
        if not isinstance(value, dict) and section not in KNOWN:
            home = next((name for name, keys in KNOWN.items() if section in keys), None)
            hint = f"; put it under [{home}]" if home else close_match(section, list(KNOWN) + ["keys", "accounts"])
            raise ConfigError(f"{where}: {section} is not inside a section{hint}")
        if section not in KNOWN:
            raise ConfigError(f"{where}: unknown section [{section}]{close_match(section, list(KNOWN) + ['keys', 'accounts'])}")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        target = getattr(config, section)
        for key, item in value.items():
            expected = KNOWN[section].get(key)
            if expected is None:
                raise ConfigError(f"{where}: unknown key {section}.{key}{close_match(key, KNOWN[section])}")
            if not isinstance(item, expected) or isinstance(item, bool):
                kind = "a number" if expected == (int, float) else "a string, in quotes"
                raise ConfigError(f"{where}: {section}.{key} must be {kind} (it is {_toml_kind(item)})")
            if expected == (int, float):
                item = _finite(item, f"{where}: {section}.{key}")
            setattr(target, key, item)
    _check_choices(config, where)
    if "accounts" in data:
        parse_accounts(config, data, where)
    return config


def _check_choices(config: Config, where: str) -> None:
    for name, value, choices in [
        ("canvas.auth", config.canvas.auth, AUTH_WAYS),
        ("ui.thread_order", config.ui.thread_order, THREAD_ORDERS),
        ("ui.date_style", config.ui.date_style, DATE_STYLES),
        ("ui.rail", config.ui.rail, RAIL_MODES),
        ("live.notify", config.live.notify, NOTIFY),
    ]:
        if value not in choices:
            raise ConfigError(f"{where}: {name} must be one of {', '.join(choices)} (it is {value!r})")
    if config.canvas.signed_in and not config.canvas.client_id.strip():
        raise ConfigError(f'{where}: canvas.auth = "oauth" needs canvas.client_id, your school\'s developer key; '
                          "`tui-inbox login --client-id ID` sets it")
    low, high = POLL_SECONDS
    if not low <= config.live.poll_seconds <= high:
        raise ConfigError(f"{where}: live.poll_seconds must be between {low} and {high} seconds "
                          f"(it is {config.live.poll_seconds:g})")
    low, high = SEND_DELAY_SECONDS
    if not low <= config.compose.send_delay_seconds <= high:
        raise ConfigError(f"{where}: compose.send_delay_seconds must be between {low} and {high} seconds, "
                          f"0 to send at once (it is {config.compose.send_delay_seconds:g})")


def _finite(number: int | float, name: str) -> float:
    """TOML allows nan, inf and integers past a float's range: none is a count or an interval."""
    try:
        value = float(number)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        shown = number if isinstance(number, float) else "beyond a float's range"
        raise ConfigError(f"{name} must be a finite number (it is {shown})")
    return value


def _toml_kind(item: Any) -> str:
    if isinstance(item, bool):
        return "true/false"
    if isinstance(item, (int, float)):
        return "a number"
    if isinstance(item, str):
        return "a string"
    return "a table" if isinstance(item, dict) else "a list" if isinstance(item, list) else "a date or time"


def load(cli_path: str | None = None, *, required: bool = True) -> Config:
    path = resolve_path(cli_path)
    if not path.exists():
        if required:
            raise ConfigError(f"No config at {path}: run `tui-inbox init`, or try `tui-inbox demo`.")
        return Config(path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                          "save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix that line.") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix that value.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return parse(data, path)


def canvas_table(canvas: CanvasSettings) -> dict[str, Any]:
    table: dict[str, Any] = {"base_url": canvas.base_url}
    if canvas.token:
        table["token"] = canvas.token
    if canvas.token_command:
        table["token_command"] = canvas.token_command
    if canvas.signed_in:
        table["auth"] = canvas.auth
    if canvas.client_id:
        table["client_id"] = canvas.client_id
    return table


def account_table(account: AccountSettings) -> dict[str, Any]:
    table: dict[str, Any] = {"name": account.name, **canvas_table(account.canvas)}
    if account.live_url:
        table["live_url"] = account.live_url
    if account.poll_seconds is not None:
        table["poll_seconds"] = account.poll_seconds
    return table


def to_toml(config: Config) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if config.account_tables:
        data["accounts"] = [account_table(account) for account in config.account_tables]
        data["live"] = {"poll_seconds": config.live.poll_seconds, "notify": config.live.notify}
    else:  # today's form, as it has always been written
        data["canvas"] = canvas_table(config.canvas)
        data["live"] = {"url": config.live.url, "poll_seconds": config.live.poll_seconds, "notify": config.live.notify}
    data.update({
        "ui": {"theme": config.ui.theme, "thread_order": config.ui.thread_order, "date_style": config.ui.date_style,
               "rail": config.ui.rail},
    })
    if config.compose != ComposeSettings():
        data["compose"] = {"send_delay_seconds": config.compose.send_delay_seconds}
    if config.keys:
        data["keys"] = dict(config.keys)
    return data


def save(config: Config, path: Path) -> Path:
    """Write the config with tomli-w, readable only by its owner (it may hold the token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = tomli_w.dumps(to_toml(config)).encode("utf-8")
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode is filtered by the umask, and an old file keeps its mode
        os.write(fd, payload)
    finally:
        os.close(fd)
    os.replace(temp, path)
    config.path = path
    return path
