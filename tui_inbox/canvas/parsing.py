"""Tolerant readers for Canvas JSON values.

Canvas sends ids as numbers or strings (``application/json+canvas-string-ids``, live
events), timestamps with any offset, ``null`` where a value is absent, and fields
that come and go between versions. These turn such values into plain Python ones
and never raise on a surprise: an unreadable value becomes the default.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def as_int(value: Any, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        # Only ASCII digits, and not absurdly long: "²".isdigit() is true but int() refuses it.
        if digits.isascii() and digits.isdigit() and len(digits) <= 30:
            return int(text)
    return default


# Ids end below this: SQLite's integers (the cache, the search index) are 64-bit, and so are Canvas's.
ID_LIMIT = 2**63


def as_id(value: Any) -> int | None:
    """A Canvas id: a whole number from 1 to 2**63 - 1, given as a number or as ASCII digits
    (string ids). None for anything else (``"abc"``, ``null``, ``true``, ``0``, ``-4``, ``2**70``):
    unlike ``as_int`` there is no default, since an id read as 0 would be some other row's."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            return None
        value = int(text)
    if isinstance(value, int) and 0 < value < ID_LIMIT:
        return value
    return None


def as_str(value: Any, default: str | None = None) -> str | None:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return default


def as_text(value: Any) -> str:
    """A string field that should always be shown as something (``""`` when absent)."""
    return as_str(value, "") or ""


def as_bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    if isinstance(value, (int, float)):
        return bool(value)
    return default


def as_float(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


def as_datetime(value: Any) -> datetime | None:
    """ISO-8601 with ``Z`` or any offset (or none, taken as UTC) to an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def int_list(value: Any) -> list[int]:
    return [i for i in (as_int(v) for v in as_list(value)) if i is not None]
