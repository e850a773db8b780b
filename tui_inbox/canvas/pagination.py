"""Canvas pagination: follow ``Link`` headers, or fetch the remaining pages at once.

Canvas says to treat its links as opaque, so the plain path follows ``next`` one page at
a time. When the first page names a numbered ``last`` page on the same origin, the
remaining pages are known in advance, and the fast path fetches them concurrently
(bounded by the client's pacer, which also slows down as the rate limit nears),
then returns them in Canvas's order.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, AsyncIterator, Callable

from .lazy_httpx import httpx

from .errors import ForeignOriginError
from .http import CanvasHTTP, expect_list, parse_json
from .origins import WEB_SCHEMES, origins_apart

LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="last"`` -> {"next": url, "last": url}."""
    if not value:
        return {}
    return {rel.strip(): url.strip() for url, rel in LINK_RE.findall(value)}


def page_number(url: str) -> int | None:
    try:
        value = httpx.URL(url).params.get("page")
    except Exception:
        return None
    return int(value) if value and value.isdigit() else None


def with_page(url: str, page: int) -> httpx.URL:
    return httpx.URL(url).copy_set_param("page", str(page))


def _items(response: httpx.Response, key: str | None) -> list:
    """The page's rows. A page that is not a list (a string, an object) is an error: iterating it
    would make rows out of its characters or keys."""
    body = parse_json(response)
    if key is not None and isinstance(body, dict):
        body = body.get(key)
    return expect_list(body, response)


def _checked(http: CanvasHTTP, link: str) -> httpx.URL:
    try:
        url = http.url(link)
    except Exception:  # httpx refuses some strings outright (bad port, bad characters)
        raise ForeignOriginError(f"Canvas's next-page link {link[:80]!r} is not a URL: refused.") from None
    if url.scheme not in WEB_SCHEMES or not http.same_origin(url):
        there, home = origins_apart(url, http.base_url)
        raise ForeignOriginError(
            f"Canvas's next-page link points to {there}, not {home}: refused, the token stays here."
        )
    return url


async def iterate(http: CanvasHTTP, path: str, params: Any = None, *, key: str | None = None) -> AsyncIterator[Any]:
    """Every item of every page, one page at a time, following ``rel="next"``."""
    response = await http.request("GET", path, params=params)
    while True:
        for item in _items(response, key):
            yield item
        link = parse_link_header(response.headers.get("link")).get("next")
        if not link:
            return
        response = await http.request("GET", _checked(http, link))


async def fetch_all(
    http: CanvasHTTP,
    path: str,
    params: Any = None,
    *,
    key: str | None = None,
    on_page: Callable[[int, int | None], None] | None = None,
    convert: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """All items in Canvas's order, the remaining pages fetched concurrently when possible.
    ``convert`` turns each item into what is kept, page by page as the pages arrive, so a page's
    text and parsed JSON are freed before the next ones come rather than all held to the end."""

    def page_items(response: httpx.Response) -> list:
        items = _items(response, key)
        return items if convert is None else [convert(item) for item in items]

    first = await http.request("GET", path, params=params)
    items = page_items(first)
    links = parse_link_header(first.headers.get("link"))
    last_link, next_link = links.get("last"), links.get("next")
    if not next_link:
        return items
    last = page_number(last_link) if last_link else None
    current = page_number(links.get("current", "")) or 1
    if last is None or page_number(next_link) != current + 1:
        # Opaque (bookmark) links or no last page: only the sequential path is safe.
        async for item in _follow(http, next_link, key):
            items.append(item if convert is None else convert(item))
        return items
    template = str(_checked(http, last_link))
    pages = list(range(current + 1, last + 1))
    done = 0

    async def one(page: int) -> list:
        nonlocal done
        response = await http.request("GET", with_page(template, page))
        done += 1
        if on_page:
            on_page(done + 1, last)
        return page_items(response)

    results = await asyncio.gather(*(one(p) for p in pages))
    for chunk in results:
        items.extend(chunk)
    return items


async def _follow(http: CanvasHTTP, link: str, key: str | None) -> AsyncIterator[Any]:
    while link:
        response = await http.request("GET", _checked(http, link))
        for item in _items(response, key):
            yield item
        link = parse_link_header(response.headers.get("link")).get("next")
