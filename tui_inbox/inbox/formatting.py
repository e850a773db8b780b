"""How dates, people and sizes read in the inbox."""

from __future__ import annotations

from datetime import datetime, timezone

from ..canvas.models import Conversation
from .text import one_line


def relative_date(when: datetime | None, now: datetime, style: str = "relative") -> str:
    """``now``, ``5m``, ``3h``, ``Tue``, ``Nov 3``, ``Nov 2024``: short enough for a list column.

    A date of another year keeps its month and its whole year ("Nov 2024", never "Nov '24",
    which reads as the 24th): eight cells, where "2024-11-03" took ten and was cut to "2024-…"
    in the column. The thread shows the day.
    """
    if when is None:
        return ""
    local_now = now.astimezone()
    local = when.astimezone()
    if style == "absolute":
        return local.strftime("%Y-%m-%d %H:%M")
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 6 * 86400:
        return local.strftime("%a")
    if local.year == local_now.year:
        return f"{local.strftime('%b')} {local.day}"
    return f"{local.strftime('%b')} {local.year}"


def full_date(when: datetime | None) -> str:
    if when is None:
        return ""
    local = when.astimezone()
    return f"{local.strftime('%a %b')} {local.day}, {local.strftime('%Y %H:%M')}"


def participants_label(conversation: Conversation, me: int, *, limit: int = 2) -> str:
    """``Jane Doe`` for one other person; ``me, Jane, Bob +3`` for a group."""
    others = [p for p in conversation.participants if p.id != me]
    if not others:
        return "me"
    if len(others) == 1:
        return one_line(others[0].full_name or others[0].name)
    names = [one_line(p.name or p.full_name) for p in others[:limit]]
    extra = len(others) - limit
    label = "me, " + ", ".join(names)
    return f"{label} +{extra}" if extra > 0 else label


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
