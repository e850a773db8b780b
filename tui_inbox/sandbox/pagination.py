"""Canvas's page-number pagination and its ``Link`` header (canvas-api.md section 1)."""

from __future__ import annotations

import math
from typing import Sequence, TypeVar
from urllib.parse import urlencode

from .endpoint import Call

T = TypeVar("T")
PER_PAGE = 10
MAX_PER_PAGE = 100
DROPPED = {"page", "per_page", "access_token", "api_key"}


def page_numbers(call: Call) -> tuple[int, int]:
    """(page, per_page) as Canvas reads them: per_page clamped to 1..100, bad values default."""
    per_page = call.params.int("per_page", PER_PAGE) or PER_PAGE
    per_page = max(1, min(MAX_PER_PAGE, per_page))
    page = call.params.int("page", 1) or 1
    return max(1, page), per_page


def link_header(call: Call, page: int, per_page: int, last: int) -> str:
    req = call.request
    kept = [(k, v) for k, v in req.query_params.multi_items() if k not in DROPPED]
    base = f"{str(req.base_url).rstrip('/')}{req.url.path}"

    def url(n: int) -> str:
        query = urlencode(kept + [("page", str(n)), ("per_page", str(per_page))])
        return f"<{base}?{query}>"

    links = [f'{url(page)}; rel="current"']
    if page < last:
        links.append(f'{url(page + 1)}; rel="next"')
    if page > 1:
        links.append(f'{url(page - 1)}; rel="prev"')
    links.append(f'{url(1)}; rel="first"')
    links.append(f'{url(last)}; rel="last"')
    return ",".join(links)


def paginate(call: Call, items: Sequence[T]) -> tuple[Sequence[T], dict[str, str]]:
    """One page of ``items`` and the headers that go with it; pages past the end are empty."""
    page, per_page = page_numbers(call)
    last = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    return items[start : start + per_page], {"Link": link_header(call, page, per_page, last)}
