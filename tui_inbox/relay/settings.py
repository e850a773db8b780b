"""What one relay instance is told: where Canvas and the broker are, whom to trust, its limits.

``settings_from_args`` turns the command's flags and environment into ``RelaySettings``
or raises ``SettingsError`` with one line naming the mistake and the way out. The admin
token is never part of a repr, a log line or an error message.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .nats_options import NatsOptionsError, check_ca_file, check_creds_file, check_nats_urls

DEFAULT_JWKS_URL = "https://8axpcl50e4.execute-api.us-east-1.amazonaws.com/main/jwks"
DEFAULT_ISSUER = "https://live-events.canvas.instructure.com"
ADMIN_TOKEN_ENV = "TUI_INBOX_RELAY_ADMIN_TOKEN"
NATS_ENV = "TUI_INBOX_RELAY_NATS"  # as --nats, out of the process list (a URL may hold a password)


class SettingsError(ValueError):
    """A setting is wrong; the message is one line that says how to fix it."""


@dataclass
class RelaySettings:
    canvas_url: str
    admin_token: str = field(default="", repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    # The NATS servers (one, or several of a cluster); empty: start a nats-server child of our own.
    # Out of the repr: a URL may hold a password.
    nats_urls: list[str] = field(default_factory=list, repr=False)
    nats_store: str | None = None  # the child's JetStream folder (None: a temporary one)
    jwks_url: str = DEFAULT_JWKS_URL
    issuer: str = DEFAULT_ISSUER
    allow_unsigned: bool = False
    # The school's developer key for the app (Canvas's client id), published at /.well-known/tui-inbox.json.
    client_id: str | None = None
    # Canvas events are a few kB (a discussion entry's text is cut at 8192 characters).
    max_body_bytes: int = 1_000_000
    # Seconds allowed for a clock difference with Canvas on exp/iat/nbf.
    leeway_seconds: float = 30.0
    # An unknown kid fetches the JWKS again at most this often: forged kids cannot flood it.
    jwks_refetch_seconds: float = 30.0
    jwks_timeout_seconds: float = 5.0
    jwks_max_bytes: int = 256_000
    # Canvas waits 15 s for an answer: a broker that is slow this long is treated as down.
    publish_timeout_seconds: float = 2.0
    # The router: an event whose route does not come back within ack_wait is redelivered.
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    route_retry_seconds: float = 2.0
    # How long the router's fetch of a batch (when a backlog is known) waits for it to fill; an
    # event that arrives alone is fetched on its own at once and never waits this out.
    fetch_wait_seconds: float = 1.0
    lag_sample_seconds: float = 5.0
    # -- part "cluster": NATS as a cluster, the streams' replicas, readiness
    nats_creds: str | None = None  # a NATS credentials file (a user JWT and its seed)
    nats_ca: str | None = None  # the CA that signed the NATS servers' certificates (TLS)
    replicas: int | None = None  # None: 3 when the cluster has at least three servers, else 1
    # /readyz: how often the broker is checked, and how long a JetStream request may take.
    ready_check_seconds: float = 0.5
    ready_timeout_seconds: float = 1.0
    # part "resume": how long routed copies are kept for clients that reconnect with Last-Event-ID
    # (replay.py), and how far back people added to a conversation are given what they missed
    # (newcomers.py), looked at again a few seconds later for messages routed at the same moment.
    resume_window_seconds: float = 900.0
    newcomer_lookback_seconds: float = 60.0
    newcomer_recheck_seconds: float = 5.0
    # -- part "connections" (issue 24): what keeps ten thousand connections and a flood from hurting --
    # A connection must have sent its request's headers within this, else it is closed (slow clients hold files).
    header_timeout_seconds: float = 10.0
    # From the headers to the upgrade (Canvas asked who the user is, NATS subscribed); past it: 503.
    handshake_timeout_seconds: float = 10.0
    # Handshakes waiting for Canvas at once; beyond: 503 with Retry-After.
    max_pending_handshakes: int = 256
    # Handshakes from one address that did not (yet) authenticate, per address_window_seconds; beyond: 429.
    max_handshakes_per_address: int = 60
    address_window_seconds: float = 10.0
    # A token Canvas refused is answered 401 from memory (by keyed digest) this long, without asking again.
    refused_token_seconds: float = 60.0
    max_connections_per_user: int = 8
    # Who may say, in X-Forwarded-For, which address a connection comes from (uvicorn's forwarded_allow_ips;
    # None: its default, the FORWARDED_ALLOW_IPS variable or else 127.0.0.1 and ::1).
    forwarded_allow_ips: str | None = None


def check_http_url(text: str, what: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{what} must be an http(s) URL with a host, not {text!r}")
    return text.rstrip("/")


def nats_settings(args, environ: dict[str, str]) -> dict:
    """The ``--nats*`` flags, checked: each bad value is one line, with no password in it."""
    given = args.nats or environ.get(NATS_ENV, "")
    creds, ca = getattr(args, "nats_creds", None), getattr(args, "nats_ca", None)
    try:
        urls = check_nats_urls(given) if given.strip() else []
        if not urls and (creds or ca):
            raise NatsOptionsError("--nats-creds and --nats-ca are for the NATS of --nats: give its URLs too")
        creds = check_creds_file(creds) if creds else None
        ca = check_ca_file(ca) if ca else None
    except NatsOptionsError as error:
        raise SettingsError(str(error)) from None
    if urls and args.nats_store:
        raise SettingsError("--nats-store is the folder of the relay's own broker: drop it when --nats is given")
    replicas = getattr(args, "replicas", None)
    if replicas is not None and not 1 <= replicas <= 5:
        raise SettingsError(f"--replicas must be from 1 to 5 (JetStream's limit), not {replicas}")
    if replicas is not None and replicas > 1 and not urls:
        raise SettingsError("--replicas above 1 needs a NATS cluster: give its URLs with --nats")
    return dict(nats_urls=urls, nats_creds=creds, nats_ca=ca, replicas=replicas)


def admin_token_from(command: str | None, environ: dict[str, str]) -> str:
    """The admin token: the command's stdout (run once), else the environment variable."""
    if command:
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, ValueError) as exc:
            # The error names the program, never what it might have printed.
            raise SettingsError(f"--admin-token-command could not run ({type(exc).__name__}); check the command") from None
        except subprocess.TimeoutExpired:
            raise SettingsError("--admin-token-command took over 30 s; check the command") from None
        token = done.stdout.strip()
        if done.returncode != 0 or not token:
            raise SettingsError(f"--admin-token-command exited {done.returncode} without printing a token; "
                                "check the command")
        return token.splitlines()[0].strip()
    token = environ.get(ADMIN_TOKEN_ENV, "").strip()
    if not token:
        raise SettingsError(f"no admin token: pass --admin-token-command CMD or set {ADMIN_TOKEN_ENV} "
                            "(a Canvas admin token that may act as users)")
    return token


def check_client_id(text: str) -> str:
    """Canvas's client ids are integers (lib/canvas/oauth/provider.rb ``client_id_is_valid?``)."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise SettingsError(f"--client-id must be the developer key's ID, all digits (e.g. 170000000000123), "
                            f"not {text!r}")
    return cleaned


def check_resume_window(value) -> float:
    if value is None:
        return 900.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 1 <= seconds <= 7 * 24 * 3600:
        raise SettingsError(f"--resume-window must be a number of seconds from 1 to 604800 (default 900), "
                            f"not {value!r}")
    return seconds


def settings_from_args(args, environ: dict[str, str] | None = None) -> RelaySettings:
    environ = dict(os.environ if environ is None else environ)
    if not args.canvas_url:
        raise SettingsError("--canvas-url is required: the school's Canvas, e.g. https://school.instructure.com")
    canvas_url = check_http_url(args.canvas_url, "--canvas-url")
    jwks_url = check_http_url(args.jwks_url, "--jwks-url")
    nats = nats_settings(args, environ)
    return RelaySettings(
        canvas_url=canvas_url, admin_token=admin_token_from(args.admin_token_command, environ),
        host=args.host, port=args.port, nats_store=args.nats_store, jwks_url=jwks_url, **nats,
        issuer=args.issuer, allow_unsigned=args.allow_unsigned,
        client_id=check_client_id(args.client_id) if getattr(args, "client_id", None) is not None else None,
        resume_window_seconds=check_resume_window(getattr(args, "resume_window", None)),
        **connection_limits_from(args),
    )


def connection_limits_from(args) -> dict:
    """Part "connections": the flags of the limits, as RelaySettings fields (absent flags keep the defaults)."""
    names = {"header_timeout": "header_timeout_seconds", "handshake_timeout": "handshake_timeout_seconds",
             "max_pending_handshakes": "max_pending_handshakes",
             "max_handshakes_per_address": "max_handshakes_per_address",
             "max_connections_per_user": "max_connections_per_user", "forwarded_allow_ips": "forwarded_allow_ips"}
    return {field_name: getattr(args, flag) for flag, field_name in names.items()
            if getattr(args, flag, None) is not None}
