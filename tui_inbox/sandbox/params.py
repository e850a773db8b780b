"""Reading request parameters the way Rails does for Canvas.

Canvas takes the same parameter from the query string, a form body or a JSON body,
as ``name[]`` repeated, a single ``name``, or a comma-separated string, and nested
keys as ``conversation[starred]``. Clients (canvasapi among them) use all of these.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

TRUE = {"1", "true", "t", "yes", "y", "on"}
FALSE = {"0", "false", "f", "no", "n", "off", ""}
# Rails parses a JSON body with JSON.parse (Oj's mimic of it in Canvas), whose default
# max_nesting is 100: "nesting of 101 is too deep" is a ParseError, Canvas's 400.
MAX_NESTING = 100


class Params:
    def __init__(self, pairs: list[tuple[str, Any]], json_body: dict | None = None) -> None:
        self._pairs = pairs
        self._json = json_body or {}
        self.files: dict[str, UploadFile] = {}

    @classmethod
    async def read(cls, request: Request) -> "Params":
        pairs: list[tuple[str, Any]] = list(request.query_params.multi_items())
        json_body: dict | None = None
        ctype = request.headers.get("content-type", "")
        files: dict[str, UploadFile] = {}
        if request.method in ("POST", "PUT", "DELETE", "PATCH"):
            if ctype.startswith("application/json"):
                raw = await request.body()
                if raw.strip():
                    try:
                        loaded = json.loads(raw)
                    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
                        raise BadJSON() from None
                    if nesting(loaded) > MAX_NESTING:
                        raise BadJSON()
                    if isinstance(loaded, dict):
                        json_body = loaded
            elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form: FormData = await request.form()
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[key] = value
                    else:
                        pairs.append((key, value))
        params = cls(pairs, json_body)
        params.files = files
        return params

    def _json_value(self, name: str) -> Any:
        if name in self._json:
            return self._json[name]
        return None

    def has(self, name: str) -> bool:
        return self._json_value(name) is not None or any(
            k == name or k == name + "[]" or k.startswith(name + "[") for k, _ in self._pairs
        )

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._json_value(name)
        if value is not None and not isinstance(value, (list, dict)):
            return _to_str(value)
        for key, val in reversed(self._pairs):
            if key == name:
                return val
        return default

    def list(self, name: str, *, split_commas: bool = True) -> list[str] | None:
        """``name[]`` repeated, ``name`` repeated, ``name=a,b`` or a JSON array; None if absent."""
        value = self._json_value(name)
        if value is not None:
            if isinstance(value, list):
                return [_to_str(v) for v in value]
            if isinstance(value, dict):
                return [_to_str(v) for v in value.values()]
            return _split(_to_str(value), split_commas)
        found = [val for key, val in self._pairs if key == name + "[]"]
        # Rails also reads name[0], name[1] ... as an array.
        found += [val for key, val in self._pairs if key.startswith(name + "[") and key[len(name) + 1 : -1].isdigit()]
        if found:
            return found
        singles = [val for key, val in self._pairs if key == name]
        if not singles:
            return None
        out: list[str] = []
        for val in singles:
            out.extend(_split(val, split_commas))
        return out

    def nested(self, name: str) -> dict[str, str] | None:
        """``conversation[starred]=true`` or ``{"conversation": {"starred": true}}``."""
        value = self._json_value(name)
        if isinstance(value, dict):
            return {k: _to_str(v) for k, v in value.items()}
        prefix = name + "["
        found = {
            key[len(prefix) : -1]: val
            for key, val in self._pairs
            if key.startswith(prefix) and key.endswith("]") and not key.endswith("[]")
        }
        return found or None

    def bool(self, name: str, default: bool = False) -> bool:
        return parse_bool(self.get(name), default)

    def int(self, name: str, default: int | None = None) -> int | None:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            return int(str(raw).strip())
        except ValueError:
            return default


class BadJSON(Exception):
    """A JSON body that does not parse, or nests too deep: Canvas answers 400."""


def nesting(value: Any) -> int:
    """How deep arrays and objects nest (a scalar 0, ``[]`` 1), counted without recursing."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            break  # too deep already: no need to walk the rest
        stack.extend((child, depth + 1) for child in item)
    return deepest


def parse_bool(raw: str | None, default: bool = False) -> bool:
    if raw is None:
        return default
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return default


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split(value: str, split_commas: bool) -> list[str]:
    if not split_commas:
        return [value]
    return [part.strip() for part in value.split(",") if part.strip()]
