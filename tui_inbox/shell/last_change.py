"""The last change made from outside the app (the MCP server, the shell's verbs), kept for undo.

One small JSON file in the data folder: which account, which verb, and each conversation's
state before it (triage's ``Before``: workflow state, starred, subscribed). It is written
before the change is sent to Canvas, so that a change cut short (a crash, a lost answer that
Canvas applied all the same) can still be put back; an undo sends each conversation back to
exactly what it was, and then the file goes. Written atomically (a new file renamed over the
old), 0600 in the data folder, which is 0700: it names the user's conversations.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..inbox.triage import Before
from ..store.drafts import private_file, private_folder

FILE = "last_change.json"


@dataclass
class Change:
    account: str  # the config's name for it
    base_url: str
    verb: str  # archive, unarchive, star, unstar, read, unread, mute, unmute, delete (triage's verbs)
    before: dict[int, Before]  # every conversation sent to Canvas, as it was

    @property
    def ids(self) -> list[int]:
        return list(self.before)


def path_in(folder: Path) -> Path:
    return folder / FILE


def keep(folder: Path, change: Change) -> None:
    """Write ``change`` as the last one (replacing the one before: undo goes one step back)."""
    private_folder(folder)
    data = {"account": change.account, "base_url": change.base_url, "verb": change.verb,
            "before": {str(cid): [b.workflow_state, b.starred, b.subscribed] for cid, b in change.before.items()}}
    fresh = folder / (FILE + ".new")
    private_file(fresh)
    with open(fresh, "w", encoding="utf-8") as out:
        json.dump(data, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(fresh, path_in(folder))


def last(folder: Path) -> Change | None:
    """The change kept, or None (none, or a file this version cannot read)."""
    try:
        data = json.loads(path_in(folder).read_text(encoding="utf-8"))
        before = {int(cid): Before(str(state), bool(starred), bool(subscribed))
                  for cid, (state, starred, subscribed) in data["before"].items()}
        return Change(str(data["account"]), str(data["base_url"]), str(data["verb"]), before)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def forget(folder: Path) -> None:
    try:
        path_in(folder).unlink()
    except FileNotFoundError:
        pass
