"""``Accept: application/json+canvas-string-ids``: every id in a JSON answer as a string.

Canvas's ApplicationController#render passes every JSON answer through
``Api.recursively_stringify_json_ids`` when the Accept header asks for it: in every
object at any depth, a key ``id`` or ending in ``_id`` with an integer value becomes a
string, and a key ``ids`` or ending in ``_ids`` holding a list has its integers turned
into strings. ``audience`` (a list of user ids under a name the rule misses) is
stringified by the conversation JSON itself (lib/api/v1/conversation.rb).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MEDIA_TYPE = "application/json+canvas-string-ids"
ID_KEY = re.compile(r"(^|_)id$")
IDS_KEY = re.compile(r"(^|_)ids$")
ALSO_ID_LISTS = frozenset({"audience"})


def wanted(request: Request) -> bool:
    # Canvas matches the media type anywhere in the header, as a regular expression does.
    return MEDIA_TYPE in request.headers.get("accept", "")


def _one(value: Any) -> Any:
    # bool is an int in Python, but never an id (Canvas's Integer check refuses true/false).
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def stringify(value: Any) -> Any:
    """A copy of ``value`` with its ids as strings, by Canvas's key-name rule."""
    if isinstance(value, list):
        return [stringify(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if isinstance(key, str) and ID_KEY.search(key):
            out[key] = _one(item) if not isinstance(item, (dict, list)) else stringify(item)
        elif isinstance(key, str) and (IDS_KEY.search(key) or key in ALSO_ID_LISTS) and isinstance(item, list):
            out[key] = [_one(v) if not isinstance(v, (dict, list)) else stringify(v) for v in item]
        else:
            out[key] = stringify(item)
    return out


def restyle(response: Response) -> Response:
    """The same answer (status, headers) with string ids; anything but a JSON body as it was."""
    if not isinstance(response, JSONResponse):
        return response
    body = json.loads(response.body)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse(stringify(body), status_code=response.status_code, headers=headers)
