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


def display_name(name: str | None, full_name: str | None = None) -> str:
    """The one name a person goes by in the app, as in Canvas's Inbox: their display name.

    Canvas sends it as a participant's ``name`` (and a recipient's), and as ``short_name`` in a
    profile, whose ``name`` is the full name (lib/api/v1/conversation.rb, ``conversation_user_json``).
    Generated lines, discussions and search name people by it too. The full name stands in only
    when there is no display name."""
    return one_line(name) or one_line(full_name)


def formal_name(name: str | None, full_name: str | None) -> str:
    """Someone named formally (the thread's With line, a recipient to choose): the full name, which
    holds the display name most of the time ("Jane Doe" for Jane), else both: "Maggie Okafor
    (Margaret Okafor)", so the name used everywhere else can still be recognised."""
    shown, full = display_name(name, full_name), one_line(full_name)
    if not full or shown.casefold() in full.casefold():
        return full or shown
    return f"{shown} ({full})"


def with_pronouns(name: str, pronouns: str | None) -> str:
    """A name with the pronouns the person chose after it, as Canvas's web Inbox shows an author or
    a recipient: "Quinn Harper (they/them)"; the name alone when they chose none."""
    chosen = one_line(pronouns)
    return f"{name} ({chosen})" if chosen else name


def participants_label(conversation: Conversation, me: int, *, limit: int = 2) -> str:
    """``Jane`` for one other person; ``me, Jane, Bob +3`` for a group (display names)."""
    others = [p for p in conversation.participants if p.id != me]
    if not others:
        return "me"
    if len(others) == 1:
        return display_name(others[0].name, others[0].full_name)
    names = [display_name(p.name, p.full_name) for p in others[:limit]]
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
