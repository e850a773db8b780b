"""``tui-inbox init --school RELAY_URL``: one command for a whole school.

The school's relay says, at ``/.well-known/tui-inbox.json``, its Canvas URL, the client id of the
developer key its admin made for tui-inbox, and its live-events URL. Init reads them, signs in
with the browser and writes the config: the person types nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .. import config as config_module
from ..canvas.errors import CanvasError
from ..canvas.origins import is_loopback
from ..config import CanvasSettings, Config, ConfigError
from .commands import say, sign_in_and_keep

WELL_KNOWN = "/.well-known/tui-inbox.json"
MAX_BYTES = 64 * 1024


def relay_root(text: str) -> str:
    text = text.strip().rstrip("/")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"--school: {text!r} is not the address of a relay; use e.g. https://relay.school.edu")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"--school: refusing plain http for {host}; use https://{host}")
    return f"{parts.scheme}://{parts.netloc}"


def school_settings(relay: str) -> tuple[str, str, str]:
    """(canvas_url, client_id, live_url) as the relay publishes them, each checked; a ConfigError if not."""
    from ..live.stream import checked_live_url
    from ..setup import canvas_origin

    url = relay_root(relay) + WELL_KNOWN
    host = urlsplit(url).hostname
    try:
        with httpx.Client(timeout=15.0, follow_redirects=False, trust_env=not is_loopback(host or "")) as client:
            with client.stream("GET", url) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        break
    except httpx.HTTPError as error:
        raise ConfigError(f"Cannot reach the relay at {host} ({type(error).__name__}); check the address.") from None
    if response.status_code != 200:
        raise ConfigError(f"The relay at {host} answered HTTP {response.status_code} for {WELL_KNOWN}: is it a "
                          "tui-inbox relay started with --client-id?")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("canvas_url", "client_id",
                                                                                     "live_url")):
        raise ConfigError(f"The relay at {host} did not say canvas_url, client_id and live_url: is it a tui-inbox "
                          "relay started with --client-id?")
    canvas_url = canvas_origin(data["canvas_url"])
    client_id = data["client_id"].strip()
    if not client_id.isdigit():
        raise ConfigError(f"The relay at {host} gave a client id that is not one (digits of a developer key); "
                          "tell the school's admin.")
    try:
        live_url = checked_live_url(data["live_url"], None, trusted=True)
    except CanvasError as error:
        raise ConfigError(f"The relay at {host} gave a live URL the app cannot use: {error}") from None
    return canvas_url, client_id, live_url


def run_school_init(existing: Config, path: Path, relay: str, *, no_browser: bool, adding: bool = False,
                    name: str | None = None) -> int:
    from .. import add_account
    from ..config import AccountSettings

    canvas_url, client_id, live_url = school_settings(relay)
    say(f"Your school's relay says: Canvas at {canvas_url}, live events from {urlsplit(live_url).hostname}.")
    config = existing
    if adding:  # one more account: refused before the browser opens if it cannot be added
        chosen = add_account.new_name(config, canvas_url, name)
        add_account.refuse_same_sign_in(config, canvas_url, client_id)
        sign_in_and_keep(canvas_url, client_id, no_browser=no_browser)
        account = AccountSettings(chosen, CanvasSettings(base_url=canvas_url, auth="oauth", client_id=client_id),
                                  live_url)
        add_account.append(config, account)
        written = config_module.save(config, path)
        say(f"Added account {chosen!r}. Config written to {written} (mode 0600). Start with: tui-inbox")
        return 0
    sign_in_and_keep(canvas_url, client_id, no_browser=no_browser)
    config.canvas = CanvasSettings(base_url=canvas_url, auth="oauth", client_id=client_id)
    config.live.url = live_url
    written = config_module.save(config, path)
    say(f"Connected. Config written to {written} (mode 0600). Start with: tui-inbox")
    return 0
