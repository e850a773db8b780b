"""``tui-inbox relay --check``: try the relay's settings against what it depends on, then exit.

An admin runs it after editing the settings, and the systemd unit runs it before each start
(``ExecStartPre``), so that a wrong token or URL is one clear line in the journal rather than
a relay that starts and then fails on every event. The flags are read exactly as the relay
reads them (a mistake there exits 2, before any check). Then, in order:

1. Canvas answers ``GET /api/v1/users/self`` to the admin token;
2. that token may act as users: ``GET /api/v1/accounts/self/permissions`` says ``become_user``.
   The relay asks Canvas as each event's author who may see it (``as_user_id``); a masquerade
   as oneself is always allowed and so proves nothing, and no other user's id is known here;
3. NATS: ``--nats`` connects and JetStream answers (nothing is declared), or without it the
   nats-server binary the relay would start is there;
4. the JWKS is fetched and holds at least one RS256 signing key.

Each check that passes prints one line, ``ok ...``, on stdout; the first that fails prints one
line on stderr naming the problem and the fix, and the command exits 1. The admin token, and a
password in a NATS URL, never appear in what it prints.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx

from .jwks import JwksCache, JwksError
from .nats_child import NatsServerError, server_binary
from .settings import ADMIN_TOKEN_ENV, RelaySettings

CANVAS_TIMEOUT_SECONDS = 10.0
NATS_TIMEOUT_SECONDS = 5.0
TOKEN_HELP = f"give an account admin's token by --admin-token-command or {ADMIN_TOKEN_ENV}"


class CheckFailed(Exception):
    """A dependency is not as the relay needs it; the message is one line with the fix."""


def shown(url: str) -> str:
    """The URL without any user or password in it, as it may be printed."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _said(response: httpx.Response) -> str:
    """Canvas's own message for a refusal ("Invalid access token."), if it gave one."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return " ".join(str(errors[0].get("message", "")).split())[:120]
    return " ".join(str(errors).split())[:120] if isinstance(errors, str) else ""


async def _canvas_get(http: httpx.AsyncClient, base: str, path: str, **params) -> httpx.Response:
    url = shown(base)
    try:
        return await http.get(base + path, params=params)
    except httpx.TimeoutException:
        raise CheckFailed(f"Canvas at {url} did not answer {path} within {CANVAS_TIMEOUT_SECONDS:g} s: "
                          "check --canvas-url and that this machine reaches it") from None
    except httpx.HTTPError as error:
        raise CheckFailed(f"cannot reach Canvas at {url} ({type(error).__name__}): check --canvas-url and that "
                          "this machine reaches it") from None


def _unexpected(url: str, path: str, response: httpx.Response) -> CheckFailed:
    if response.is_redirect:
        target = shown(response.headers.get("location", "elsewhere"))
        return CheckFailed(f"Canvas at {url} redirected {path} to {target}: give --canvas-url as the address "
                           "Canvas is served at (https://...)")
    said = _said(response)
    return CheckFailed(f"Canvas at {url} answered {path} with HTTP {response.status_code}"
                       f"{' (' + said + ')' if said else ''}: check --canvas-url, or try again once Canvas is up")


async def check_canvas(settings: RelaySettings) -> AsyncIterator[str]:
    base = settings.canvas_url
    url = shown(base)
    token = settings.admin_token
    if not token.isascii() or not token.isprintable() or " " in token:
        # It could not go in a header: say so here, not as an error of the HTTP library.
        raise CheckFailed(f"the admin token has spaces or characters no Canvas token has: {TOKEN_HELP}")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    async with httpx.AsyncClient(headers=headers, timeout=CANVAS_TIMEOUT_SECONDS) as http:
        me = await _canvas_get(http, base, "/api/v1/users/self")
        if me.status_code == 401:
            said = _said(me) or "HTTP 401"
            raise CheckFailed(f"Canvas at {url} refused the admin token ({said}): {TOKEN_HELP}")
        user = me.json() if me.status_code == 200 and _is_json(me) else None
        if not isinstance(user, dict) or "id" not in user:
            raise _unexpected(url, "/api/v1/users/self", me)
        yield f"ok Canvas: {url} accepts the admin token (user {user['id']})"
        rights = await _canvas_get(http, base, "/api/v1/accounts/self/permissions", **{"permissions[]": "become_user"})
        granted = rights.json() if rights.status_code == 200 and _is_json(rights) else None
        # A refusal is Canvas's JSON; a 403 in plain text is its rate limit, answered below as "try again".
        refused = rights.status_code in (401, 403) and _is_json(rights)
        if refused or (isinstance(granted, dict) and str(granted.get("become_user")).lower() != "true"):
            raise CheckFailed(f"the admin token's user (user {user['id']}) may not act as users at {url}: the relay "
                              "asks Canvas as each event's author who may see it; use the token of an account admin "
                              "with \"Users - act as\" (become_user), by --admin-token-command or "
                              f"{ADMIN_TOKEN_ENV}")
        if not isinstance(granted, dict):
            raise _unexpected(url, "/api/v1/accounts/self/permissions", rights)
        yield "ok Canvas: the admin token may act as users (become_user)"


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


async def check_nats(settings: RelaySettings) -> AsyncIterator[str]:
    if not settings.nats_urls:
        try:
            binary = server_binary()
        except NatsServerError as error:
            raise CheckFailed(str(error)) from None
        where = "a temporary folder" if settings.nats_store is None else settings.nats_store
        if settings.nats_store is not None and not _may_create(Path(settings.nats_store)):
            raise CheckFailed(f"--nats-store {settings.nats_store} cannot be made or written by this user: "
                              "choose a folder it owns (the unit's StateDirectory)")
        yield f"ok NATS: no --nats, so the relay starts its own nats-server ({binary}), its stream in {where}"
    else:
        yield await _nats_answers(settings.nats_urls, settings.nats_creds, settings.nats_ca)


def _may_create(folder: Path) -> bool:
    """Whether the relay could make (or use) the folder: its nearest existing ancestor is writable."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


async def _nats_answers(urls: list[str], creds_file: str | None, ca_file: str | None) -> str:
    import nats
    from nats.errors import Error as NatsError

    async def quiet(*_) -> None:
        pass  # nats-py's default callbacks log each error with its traceback: the check says it in one line

    # One try at each server (max_reconnect_attempts=0 would wait out the whole timeout on a refusal).

    from .nats_options import connect_options, shown as shown_servers

    where = shown_servers(urls)
    try:
        nc = await asyncio.wait_for(nats.connect(**connect_options(urls, creds_file, ca_file),
                                                 connect_timeout=min(2.0, NATS_TIMEOUT_SECONDS),
                                                 allow_reconnect=False, max_reconnect_attempts=1,
                                                 reconnect_time_wait=0.1, error_cb=quiet,
                                                 disconnected_cb=quiet, closed_cb=quiet,
                                                 name="tui-inbox-relay-check"),
                                    NATS_TIMEOUT_SECONDS)
    except (NatsError, OSError, asyncio.TimeoutError) as error:
        raise CheckFailed(f"cannot reach NATS at {where} ({type(error).__name__}): check --nats and that "
                          "nats-server runs there") from None
    try:
        info = await nc.jetstream(timeout=NATS_TIMEOUT_SECONDS).account_info()
    except (NatsError, asyncio.TimeoutError) as error:
        raise CheckFailed(f"NATS at {where} has no JetStream ({type(error).__name__}): run nats-server with -js "
                          "(or jetstream {} in its config)") from None
    finally:
        try:
            await nc.close()
        except Exception:  # closing a connection that is already gone
            pass
    return f"ok NATS: {where} answers with JetStream ({info.streams} stream{'' if info.streams == 1 else 's'})"


async def check_jwks(settings: RelaySettings) -> AsyncIterator[str]:
    cache = JwksCache(settings.jwks_url, timeout_seconds=settings.jwks_timeout_seconds,
                      max_bytes=settings.jwks_max_bytes)
    try:
        keys = await cache.fetch_keys()
    except JwksError as error:
        raise CheckFailed(f"cannot use the JWKS at {shown(settings.jwks_url)}: {error}; check --jwks-url (the "
                          "default is where Instructure publishes Data Services' keys) and that this machine "
                          "reaches it") from None
    finally:
        await cache.aclose()
    if not keys:
        raise CheckFailed(f"the JWKS at {shown(settings.jwks_url)} has no RS256 signing key: check --jwks-url")
    yield f"ok JWKS: {shown(settings.jwks_url)} has {len(keys)} signing keys ({', '.join(sorted(keys))})"


CHECKS = (check_canvas, check_nats, check_jwks)


async def run_checks(settings: RelaySettings, say: Callable[[str], None]) -> None:
    """Run each check in order, saying each passed one; raises ``CheckFailed`` at the first problem."""
    for check in CHECKS:
        async for line in check(settings):
            say(line)


def check_command(settings: RelaySettings) -> int:
    """``tui-inbox relay --check`` once the flags are read: 0 if every check passes, else 1."""
    from ..event_loops import new_event_loop

    loop = new_event_loop()
    try:
        loop.run_until_complete(run_checks(settings, lambda line: print(line, flush=True)))
    except CheckFailed as problem:
        print(f"tui-inbox relay --check: {' '.join(str(problem).split())}", file=sys.stderr)
        return 1
    finally:
        loop.close()
    return 0
