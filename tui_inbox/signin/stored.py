"""A browser sign-in as the app uses it: the tokens from the secrets store, renewed and kept there."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..canvas.oauth import Grant, renewer
from ..canvas.token_source import RenewingToken
from ..config import ConfigError
from ..store.secrets import Secrets, SecretsError


def secrets_of(base_url: str, client_id: str, data_folder: Path) -> Secrets:
    return Secrets(base_url, client_id, data_folder)


def keep_grant(secrets: Secrets, grant: Grant, client_secret: str | None = None) -> None:
    """Store a new sign-in's tokens (and the client secret, if the school gave one)."""
    values = {"access_token": grant.access_token, "refresh_token": grant.refresh_token}
    if client_secret:
        values["client_secret"] = client_secret
    try:
        secrets.put(**values)
    except SecretsError as error:
        raise ConfigError(f"{error} Nothing else was changed.") from None


def stored_tokens(base_url: str, client_id: str, data_folder: Path, *, transport=None,
                  login: str = "tui-inbox login") -> RenewingToken:
    """The sign-in's tokens, renewed with Canvas when they expire; a ConfigError if there is none
    (saying to run ``login``, the command that signs this account in)."""
    secrets = secrets_of(base_url, client_id, data_folder)
    try:
        access, refresh, client_secret = (secrets.get(name) for name in ("access_token", "refresh_token",
                                                                          "client_secret"))
    except SecretsError as error:
        raise ConfigError(str(error)) from None
    if not refresh:
        host = urlsplit(base_url).hostname or base_url
        raise ConfigError(f"Not signed in to Canvas at {host} (no sign-in in {secrets.where()}): "
                          f"run `{login}`.")

    def keep(renewed: str) -> None:
        secrets.put(access_token=renewed)

    def reload() -> tuple[str, str] | None:
        pair = secrets.get("access_token"), secrets.get("refresh_token")
        return (pair[0] or "", pair[1]) if pair[1] else None

    return RenewingToken(access or "", refresh, renewer(base_url, client_id, client_secret, transport),
                         keep=keep, reload=reload)
