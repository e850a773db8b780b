"""The ``[[accounts]]`` tables of the config: one Canvas account each, checked one line per problem.

Each table has the keys ``[canvas]`` has (with the same meanings and checks), a ``name`` (the
row's tag, so short), and its own ``live_url`` and ``poll_seconds``. A message names the table
as ``accounts[2] (name "city")``, counted from 1 as a person counts them in the file.
"""

from __future__ import annotations

from typing import Any

from .config import (
    AUTH_WAYS,
    KNOWN,
    NAME_PATTERN,
    POLL_SECONDS,
    AccountSettings,
    CanvasSettings,
    Config,
    ConfigError,
    _finite,
    _toml_kind,
    close_match,
    table_label,
)

ACCOUNT_KEYS: dict[str, Any] = {"name": str, **KNOWN["canvas"], "live_url": str, "poll_seconds": (int, float)}
NAME_RULE = "1 to 16 letters, digits, '-', '_' or '.'"


def parse_accounts(config: Config, data: dict[str, Any], where: str) -> None:
    """Read ``data["accounts"]`` into ``config.account_tables``; a ConfigError naming the table if not."""
    tables = data["accounts"]
    if "canvas" in data:
        raise ConfigError(f"{where}: has both [canvas] and [[accounts]]; move [canvas] into an [[accounts]] table "
                          "(with a name) and remove [canvas]")
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise ConfigError(f"{where}: accounts is a list of tables: write each one as [[accounts]] "
                          f"(it is {_toml_kind(tables)})")
    if config.live.url:
        raise ConfigError(f"{where}: [live] url is for a [canvas] config; with [[accounts]], set live_url in the "
                          "table of the account it belongs to")
    seen: dict[str, str] = {}
    for index, table in enumerate(tables):
        account = _account(index, table, where)
        folded = account.name.casefold()
        if folded in seen:
            raise ConfigError(f"{where}: {table_label(index, account.name)}: the name is already used by account "
                              f'"{seen[folded]}" (names differ in more than upper or lower case); rename one')
        seen[folded] = account.name
        config.account_tables.append(account)


def _account(index: int, table: dict[str, Any], where: str) -> AccountSettings:
    raw_name = table.get("name")
    label = table_label(index, raw_name if isinstance(raw_name, str) else "")
    for key, item in table.items():
        expected = ACCOUNT_KEYS.get(key)
        if expected is None:
            raise ConfigError(f"{where}: {label}: unknown key {key}{close_match(key, ACCOUNT_KEYS)}")
        if not isinstance(item, expected) or isinstance(item, bool):
            kind = "a number" if expected == (int, float) else "a string, in quotes"
            raise ConfigError(f"{where}: {label}: {key} must be {kind} (it is {_toml_kind(item)})")
    if raw_name is None:
        raise ConfigError(f'{where}: {label} has no name; add one ({NAME_RULE}), e.g. name = "state"')
    if not NAME_PATTERN.match(raw_name):
        raise ConfigError(f"{where}: {label}: the name must be {NAME_RULE} (it is the row's tag)")
    canvas = CanvasSettings(**{key: table[key] for key in KNOWN["canvas"] if key in table})
    if not canvas.base_url.strip():
        raise ConfigError(f'{where}: {label} has no base_url; add your Canvas address, e.g. '
                          'base_url = "https://canvas.school.edu"')
    if canvas.auth not in AUTH_WAYS:
        raise ConfigError(f"{where}: {label}: auth must be one of {', '.join(AUTH_WAYS)} (it is {canvas.auth!r})")
    if canvas.signed_in and not canvas.client_id.strip():
        raise ConfigError(f'{where}: {label}: auth = "oauth" needs client_id, your school\'s developer key; '
                          f"`tui-inbox login --account {raw_name} --client-id ID` sets it")
    poll_seconds = None
    if "poll_seconds" in table:
        poll_seconds = _finite(table["poll_seconds"], f"{where}: {label}: poll_seconds")
        low, high = POLL_SECONDS
        if not low <= poll_seconds <= high:
            raise ConfigError(f"{where}: {label}: poll_seconds must be between {low} and {high} seconds "
                              f"(it is {poll_seconds:g})")
    return AccountSettings(raw_name, canvas, table.get("live_url", ""), poll_seconds)


def accounts_named(config: Config, name: str | None, command: str) -> list[AccountSettings]:
    """The accounts a command acts on: the one ``--account NAME`` names (case-insensitively), else every one."""
    accounts = config.accounts
    if name is None:
        return accounts
    for account in accounts:
        if account.name.casefold() == name.casefold():
            return [account]
    names = [account.name for account in accounts]
    raise ConfigError(f"{command}: no account {name!r}{close_match(name, names)}; the accounts are "
                      f"{', '.join(names)} (`tui-inbox accounts` lists them)")


def one_account(config: Config, name: str | None, command: str) -> AccountSettings:
    """The one account a command must act on alone: the only one, or the one ``--account`` names."""
    chosen = accounts_named(config, name, command)
    if len(chosen) > 1:
        names = ", ".join(account.name for account in chosen)
        raise ConfigError(f"{command}: there are {len(chosen)} accounts ({names}); say which with --account NAME")
    return chosen[0]
