"""Canvas pagination: follow ``Link`` headers, or fetch the remaining pages at once.

Canvas says to treat its links as opaque, so the plain path follows ``next`` one page at
a time. When the first page names a numbered ``last`` page on the same origin, the
remaining pages are known in advance, and the fast path fetches them concurrently
(bounded by the client's pacer, which also slows down as the rate limit nears),
then returns them in Canvas's order.

A listing ends, with one line, when its pages go round (a ``next`` link to a page already
read) or past ``CanvasHTTP.max_pages``: a broken or hostile server cannot keep the client
asking for ever.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, AsyncIterator, Callable

from .lazy_httpx import httpx

from .errors import ForeignOriginError, ServerError
from .http import CanvasHTTP, expect_list, parse_json
from .origins import WEB_SCHEMES, origins_apart, where

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


def _page_key(url: httpx.URL) -> tuple:
    """A page's address, its query in any order (``?a=1&b=2`` is ``?b=2&a=1``)."""
    return url.scheme, url.host, url.port, url.path, tuple(sorted(url.params.multi_items()))


class PagesRead:
    """The pages of one listing read so far: a next link back to one of them, or one past the
    limit, ends the listing with an error rather than have the client ask for ever."""

    def __init__(self, http: CanvasHTTP, first: httpx.Response) -> None:
        self.limit = http.max_pages
        self.where = f"{where(first.request.url)}{first.request.url.path}"
        self.seen = {_page_key(first.request.url)}

    def check(self, url: httpx.URL) -> httpx.URL:
        if _page_key(url) in self.seen:
            raise ServerError(f"Canvas's next-page link leads back to a page already read ({self.where}, after "
                              f"{len(self.seen):,} pages): the listing stopped there; the server's paging is broken.")
        self.past_limit(len(self.seen) + 1)
        self.seen.add(_page_key(url))
        return url

    def past_limit(self, pages: int) -> None:
        if pages > self.limit:
            raise ServerError(f"Canvas's listing at {self.where} runs to more than {self.limit:,} pages: "
                              "stopped there; the server's paging is likely broken.")


async def iterate(http: CanvasHTTP, path: str, params: Any = None, *, key: str | None = None) -> AsyncIterator[Any]:
    """Every item of every page, one page at a time, following ``rel="next"``."""
    response = await http.request("GET", path, params=params)
    pages = PagesRead(http, response)
    while True:
        for item in _items(response, key):
            yield item
        link = parse_link_header(response.headers.get("link")).get("next")
        if not link:
            return
        response = await http.request("GET", pages.check(_checked(http, link)))


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
    read = PagesRead(http, first)
    if last is None or page_number(next_link) != current + 1:
        # Opaque (bookmark) links or no last page: only the sequential path is safe.
        async for item in _follow(http, next_link, key, read):
            items.append(item if convert is None else convert(item))
        return items
    template = str(_checked(http, last_link))
    read.past_limit(last - current + 1)  # before asking for them all at once
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


async def _follow(http: CanvasHTTP, link: str, key: str | None, read: PagesRead) -> AsyncIterator[Any]:
    while link:
        response = await http.request("GET", read.check(_checked(http, link)))
        for item in _items(response, key):
            yield item
        link = parse_link_header(response.headers.get("link")).get("next")
