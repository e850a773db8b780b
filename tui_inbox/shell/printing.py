"""Printing for scripts: times as ``2026-12-07T16:18:52Z`` and one JSON document a call.

Apart from shapes.py, so a verb that prints no conversation (``unread``) imports no model.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO


def iso(when: datetime | None) -> str | None:
    """UTC, to the second."""
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z") if when else None


def print_json(value: Any, out: TextIO | None = None) -> None:
    """One JSON document, UTF-8 as it is (names are not \\u-escaped), a newline after it."""
    print(json.dumps(value, ensure_ascii=False), file=out or sys.stdout)
