"""Origins: which server a URL points to, and how a message names it.

A message that refuses a URL names both origins so that they read differently: the host
alone when hosts differ, ``host:port`` when only the port does, the scheme too when it differs
(never "points to 127.0.0.1, not 127.0.0.1").
"""

from __future__ import annotations

import ipaddress

from .lazy_httpx import httpx

WEB_SCHEMES = frozenset({"http", "https"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: httpx.URL) -> tuple[str, str, int]:
    default = 443 if url.scheme in ("https", "wss") else 80
    return (url.scheme, url.host.lower(), url.port or default)


def where(url: httpx.URL) -> str:
    """``host`` with ``:port`` when it is not the scheme's default: how a message names a server."""
    scheme, host, port = origin_of(url)
    default = 443 if scheme in ("https", "wss") else 80
    return host if port == default else f"{host}:{port}"


def origins_apart(url: httpx.URL, home: httpx.URL) -> tuple[str, str]:
    """Two origins written so that they read differently: the host alone, unless only port or scheme differ."""
    (scheme, host, port), (home_scheme, home_host, home_port) = origin_of(url), origin_of(home)
    if scheme != home_scheme:
        return f"{scheme}://{where(url)}", f"{home_scheme}://{where(home)}"
    if host != home_host:
        return host or "(no host)", home_host
    return f"{host}:{port}", f"{home_host}:{home_port}"
