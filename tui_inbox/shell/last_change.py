"""The last change made from outside the app (the MCP server, the shell's verbs), kept for undo.

The shell's journal, as ``tui-inbox undo`` reads it (branch p25-triage, ``shell/journal.py``):
one file, ``shell/last_change.json`` in the data folder, with the verb and, for each account
(name, Canvas origin, user id), every conversation's state before the change (triage's
``Before``: workflow state, starred, subscribed). So ``undo`` through the server puts back a
change made by ``tui-inbox archive``, and ``tui-inbox undo`` one made through the server. It is
written before the change is sent (a change cut short can still be put back), atomically (a new
0600 file renamed over the old, in a 0700 folder: it names the user's conversations).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..inbox.triage import Before
from ..store.drafts import private_folder

VERSION = 1  # journal.py's
SENDING, DONE, UNDONE = "sending", "done", "undone"


@dataclass
class Part:
    account: str  # the config's name for it
    base_url: str
    user_id: int
    before: dict[int, Before]  # every conversation sent to Canvas, as it was


@dataclass
class Change:
    verb: str  # archive, unarchive, star, unstar, read, unread, mute, unmute, delete (triage's verbs)
    parts: list[Part]
    state: str = SENDING


def path_in(data: Path) -> Path:
    return data / "shell" / "last_change.json"


def keep(data: Path, change: Change) -> None:
    """Write ``change`` as the last one (replacing the one before: undo goes one step back)."""
    made_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    body = {"version": VERSION, "verb": change.verb, "state": change.state, "made_at": made_at,
            "accounts": [{"account": part.account, "base_url": part.base_url, "user_id": part.user_id,
                          "before": {str(cid): [was.workflow_state, was.starred, was.subscribed]
                                     for cid, was in part.before.items()}} for part in change.parts]}
    folder = path_in(data).parent
    private_folder(folder)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".last_change.")  # 0600 from its creation
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(body, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path_in(data))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def last(data: Path) -> Change | None:
    """The change kept and not yet undone, or None (none, undone, or a file this version cannot read)."""
    try:
        body = json.loads(path_in(data).read_text(encoding="utf-8"))
        if body.get("version") != VERSION or body.get("state") == UNDONE:
            return None
        parts = [Part(str(part["account"]), str(part["base_url"]), int(part["user_id"]),
                      {int(cid): Before(str(state), bool(starred), bool(subscribed))
                       for cid, (state, starred, subscribed) in part["before"].items()})
                 for part in body["accounts"]]
        return Change(str(body["verb"]), [part for part in parts if part.before], str(body["state"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
