"""Where a scrollbar's thumb goes: the same arithmetic as Textual's own bars, as lines."""

from __future__ import annotations


def thumb_lines(top: int, height: int, total: int) -> range:
    """The lines of a ``height``-line bar that the thumb covers, showing rows ``top`` onward of ``total``.

    At least one line, so that the place in 100,000 rows is still seen; at the very top or
    bottom exactly when the window is.
    """
    if total <= height or height <= 0:
        return range(0, max(0, height))
    size = max(1, round(height * height / total))
    first = round(top / (total - height) * (height - size))
    return range(first, first + size)
