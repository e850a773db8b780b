"""One conversation as one line of the list: the columns, cut to fit, in the row's styles.

Unread mark, star, participants (with a muted mark at the end of their column), subject and a
preview of the last message, course, date, message count, attachment mark; ``row_columns.py``
says how wide each is. Server text becomes plain segments: nothing in it is parsed as markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style

from ...canvas.models import Conversation
from ...inbox.formatting import participants_label, relative_date
from ...inbox.text import one_line
from .row_columns import COUNT, date_width, share


PREVIEW_MIN = 4  # cells: a preview cut shorter shows little more than its ellipsis
MUTED_MARK = "🔕"  # two cells, taken from the names column of muted rows only: the columns stay put


class RowStyles(NamedTuple):
    base: Style
    dim: Style
    unread: Style
    mark: Style
    star: Style


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis (wide CJK and emoji counted right)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def fit_right(text: str, width: int) -> str:
    gap = width - cell_len(text)
    return " " * gap + text if gap >= 0 else fit(text, width)


def foreground(style: Style) -> Style:
    """``style`` without its background: colour and attributes only."""
    return style.without_color + Style(color=style.color)


def row_segments(row: Conversation, width: int, styles: RowStyles, *, selected: bool, me_id: int,
                 course: str | None, now: datetime, date_style: str = "relative",
                 sent_dates: bool = False) -> list[Segment]:
    """Segments exactly ``width`` cells wide (``sent_dates``: the date of my last message)."""
    base, dim, bold, mark_style, star_style = styles
    unread = row.workflow_state == "unread"
    strong = bold if unread else base

    course = one_line(course or "")
    # Sent is ordered by what I wrote last, so its date column shows that.
    stamp = (row.last_authored_message_at if sent_dates else None) or row.last_message_at or row.last_authored_message_at
    date = relative_date(stamp, now, date_style)
    count = f"{row.message_count}" if row.message_count > 1 else ""
    names_width, middle, course_width, date_cells = share(width, date_width(date_style))
    segments = [
        Segment(("✓" if selected else " ") + ("●" if unread else " "), mark_style),
        Segment("★ " if row.starred else "  ", star_style),
    ]
    if row.subscribed:
        segments.append(Segment(fit(participants_label(row, me_id), names_width) + " ", strong))
    else:
        segments += [Segment(fit(participants_label(row, me_id), names_width - cell_len(MUTED_MARK)), strong),
                     Segment(MUTED_MARK + " ", dim)]
    subject = one_line(row.subject) or "(no subject)"
    preview = one_line(row.last_message or row.last_authored_message or "")
    if middle > 0:
        head = fit(subject, middle) if cell_len(subject) >= middle - 3 or not preview else subject
        segments.append(Segment(head, strong))
        rest = middle - cell_len(head)
        if rest >= 3 + PREVIEW_MIN and preview:
            # The dash apart: " — " is not ASCII, and a preview joined to it is measured and cut
            # character by character (rich's slow path) instead of with len() and slicing.
            segments += [Segment(" — ", dim), Segment(fit(preview, rest - 3), dim)]
        elif rest > 0:
            segments.append(Segment(" " * rest, dim))
    segments += [
        Segment(" " + fit(course, course_width), dim),
        Segment(" " + fit_right(date, date_cells), strong if unread else dim),
        Segment(" " + fit_right(count, COUNT - 1), dim),
        Segment(" " + ("📎" if "attachments" in row.properties else "  "), dim),
    ]
    return list(Segment.adjust_line_length(segments, width, style=base))
