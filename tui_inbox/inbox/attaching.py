"""The attachment checks: what a typed path attaches, and how an attached file is listed.

A path is attached as the absolute path of a file that exists, once; a folder or nothing at
the path attaches nothing, and says why. What is sent is checked again at send time
(``Draft.problems``): a file can go between attaching and sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .compose import Draft
from .formatting import human_size
from .text import one_line


@dataclass(frozen=True)
class Attached:
    """What a typed path did: the line to say, whether it is an error, and whether the draft changed."""

    said: str
    error: bool = False
    added: bool = False


def attach(draft: Draft, typed: str) -> Attached | None:
    """Attach the file at ``typed`` to ``draft`` (None: nothing was typed)."""
    typed = typed.strip()
    if not typed:
        return None
    path = Path(typed).expanduser()
    if not path.exists():
        return Attached(f"No file at {typed}: nothing attached.", error=True)
    if not path.is_file():
        return Attached(f"{typed} is not a file: nothing attached.", error=True)
    full = str(path.absolute())
    if full in draft.attachments:
        return Attached(f"{path.name} is already attached.")
    draft.attachments.append(full)
    return Attached(f"Attached {path.name}.", added=True)


def drop_last(draft: Draft) -> str | None:
    """Take off the last attachment; what to say, or None when there was none to take off."""
    if not draft.needs_body or not draft.attachments:
        return None
    return f"Removed {Path(draft.attachments.pop()).name}."


def listed(path: str) -> tuple[str, str | None]:
    """An attachment as listed: its file name, and its size (None: the file is gone)."""
    name = one_line(Path(path).name)
    try:
        return name, human_size(Path(path).stat().st_size)
    except OSError:
        return name, None
