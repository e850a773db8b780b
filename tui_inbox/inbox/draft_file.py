"""A draft written out as a text file: where its text goes when the data folder cannot keep it.

When the drafts file cannot be written (a full disk, a read-only folder), the composer will
not close on the text: it offers to write it here instead, to a folder the user chooses. The
file is private (0600: it holds a message) and never overwrites one that exists.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

from .compose import Draft
from .text import one_line


def as_text(draft: Draft) -> str:
    """The draft as a person reads it: who, about what, then the text."""
    lines = [f"{draft.title}"]
    if draft.to:
        lines.append("To: " + ", ".join(one_line(r.label) or r.id for r in draft.to))
    if draft.subject:
        lines.append(f"Subject: {one_line(draft.subject)}")
    if draft.context_code:
        lines.append(f"Course: {draft.context_code}")
    for path in draft.attachments:
        lines.append(f"Attachment: {path}")
    return "\n".join(lines) + "\n\n" + draft.body + ("" if draft.body.endswith("\n") else "\n")


def default_path(folder: Path, now: datetime) -> Path:
    return folder / f"tui-inbox-draft-{now:%Y%m%d-%H%M%S}.txt"


def write(draft: Draft, path: Path) -> Path:
    """Write ``draft`` to ``path`` (``~`` expanded), a new 0600 file, flushed to disk; returns where.
    Raises OSError (FileExistsError for a file already there: it is not overwritten)."""
    from .export import ExportError, write_new_file  # the composer needs it only on a full disk

    target = path.expanduser()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    try:
        write_new_file(target, lambda temporary: temporary.write_text(as_text(draft), encoding="utf-8"))
    except ExportError:  # the name was taken while writing
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
    return target
