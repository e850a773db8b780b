"""Completing a file path as typed in the composer's Attach field, as a shell's Tab does.

The common start of the names that match is filled in; a single match is completed whole
(a folder with its ``/``, ready for the next part). Hidden files are offered only when a
dot is typed. A folder with a great many entries is read only as far as ``MAX_NAMES``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from itertools import islice

from textual.suggester import Suggester

MAX_NAMES = 1000


@dataclass
class Completion:
    text: str  # what the field holds completed (the typed text when nothing more is known)
    names: list[str] = field(default_factory=list)  # the entries that match, sorted

    @property
    def offered(self) -> bool:
        return bool(self.names)


def complete(typed: str) -> Completion:
    if not typed.strip():
        return Completion(typed)
    head, slash, stem = typed.rpartition("/")
    head += slash
    folder = os.path.expanduser(head) if head else "."
    try:
        with os.scandir(folder) as entries:
            matching = islice((e for e in entries if e.name.startswith(stem)
                               and (stem.startswith(".") or not e.name.startswith("."))), MAX_NAMES)
            found = {}
            for entry in matching:
                try:
                    found[entry.name] = entry.is_dir()
                except OSError:
                    found[entry.name] = False
    except OSError:  # no such folder, or not allowed to read it: nothing to offer
        return Completion(typed)
    names = sorted(found)
    if not names:
        return Completion(typed)
    if len(names) == 1:
        return Completion(head + names[0] + ("/" if found[names[0]] else ""), names)
    return Completion(head + os.path.commonprefix(names), names)


class PathSuggester(Suggester):
    """Shows the completion greyed after the cursor (→ or Tab takes it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the folder may change between keys

    async def get_suggestion(self, value: str) -> str | None:
        completed = (await asyncio.to_thread(complete, value)).text  # a slow disk must not stall typing
        return completed if completed != value else None
