"""How the relay reaches NATS: the servers of ``--nats``, their credentials, the CA to trust.

``--nats`` takes one URL or several (a cluster: comma- or space-separated). A URL may hold
a user and password (``nats://user:pass@host:4222``) or a token (``nats://token@host``);
those never appear in a message: ``redacted`` replaces them wherever a URL is shown.
nats-py sends a URL's own credentials only to that server, not to the servers the cluster
tells it about, so the relay passes them as connection options instead (one set for all).
"""

from __future__ import annotations

import re
import ssl
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "***"


class NatsOptionsError(ValueError):
    """A ``--nats*`` value is wrong; the message is one line (with no password in it)."""


def redacted(url: str) -> str:
    """The URL with its user info's secret replaced: ``nats://relay:***@host:4222``, ``nats://***@host``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, has_password, _ = userinfo.partition(":")
    # A lone name is a token (NATS reads ``nats://s3cret@host`` so): hide it whole.
    shown = f"{user}:{HIDDEN}" if has_password else HIDDEN
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def split_urls(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def check_nats_url(text: str) -> str:
    """One server's URL, or ``NatsOptionsError`` naming it (redacted)."""
    try:
        parts = urlsplit(text)
        parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        raise NatsOptionsError(f"--nats has a URL with a bad port: {redacted(text)!r} "
                               "(e.g. nats://127.0.0.1:4222)") from None
    if parts.scheme not in ("nats", "tls") or not parts.hostname:
        raise NatsOptionsError(f"--nats must be nats:// or tls:// URLs, e.g. nats://127.0.0.1:4222, "
                               f"not {redacted(text)!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise NatsOptionsError(f"--nats URLs are a host and a port only, not {redacted(text)!r}")
    return text


def check_nats_urls(text: str) -> list[str]:
    urls = split_urls(text)
    if not urls:
        raise NatsOptionsError("--nats needs a URL, e.g. nats://127.0.0.1:4222 (several: comma-separated)")
    checked = [check_nats_url(url) for url in urls]
    if len({credentials_of(url) for url in checked if credentials_of(url) != (None, None)}) > 1:
        raise NatsOptionsError("--nats URLs carry different users or passwords: give the same to each, "
                               "or put them in one URL")
    return checked


def credentials_of(url: str) -> tuple[str | None, str | None]:
    """(user, password) of one URL; a token is (token, None); none is (None, None)."""
    parts = urlsplit(url)
    return parts.username, parts.password


def check_readable(path: str, flag: str, what: str) -> str:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise NatsOptionsError(f"{flag} {path!r} cannot be read ({exc.strerror or type(exc).__name__}); "
                               f"give {what}") from None
    return path


def check_creds_file(path: str) -> str:
    """A NATS credentials file (``nsc generate creds``): a user JWT and its nkey seed."""
    check_readable(path, "--nats-creds", "the .creds file your NATS operator made")
    with open(path, "rb") as handle:
        text = handle.read(64 * 1024)
    if b"BEGIN NATS USER JWT" not in text or b"BEGIN USER NKEY SEED" not in text:
        raise NatsOptionsError(f"--nats-creds {path!r} is not a NATS credentials file (it needs a user JWT "
                               "and its seed, as `nsc generate creds` writes)")
    return path


def tls_context(ca_file: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, ValueError) as exc:
        raise NatsOptionsError(f"--nats-ca {ca_file!r} holds no PEM certificate to trust "
                               f"({type(exc).__name__})") from None


def check_ca_file(path: str) -> str:
    check_readable(path, "--nats-ca", "the PEM file of the CA that signed your NATS servers' certificates")
    tls_context(path)
    return path


def connect_options(urls: list[str], creds_file: str | None = None, ca_file: str | None = None) -> dict:
    """Keyword arguments of ``nats.connect`` for these servers: credentials apply to every
    server of the cluster, the ones discovered too."""
    options: dict = {"servers": list(urls)}
    user, password = next((credentials_of(url) for url in urls if credentials_of(url) != (None, None)),
                          (None, None))
    if user is not None and password is not None:
        options.update(user=user, password=password)
    elif user is not None:
        options["token"] = user
    if creds_file:
        options["user_credentials"] = creds_file
    if ca_file:
        options["tls"] = tls_context(ca_file)
    return options


def shown(urls: list[str]) -> str:
    """The servers as a message shows them: redacted, comma-separated."""
    return ",".join(redacted(url) for url in urls)
