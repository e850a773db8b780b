"""What ``tui-inbox undo`` puts back: a journal of the last change made from the shell.

One file in the data folder (``shell/last_change.json``, 0600 in a 0700 folder) holds the last
change: its verb and, for each account it touched (name, Canvas origin, user id), every
conversation's state before it. It is written before anything is sent, a new file renamed over
the old (never half a file), so that a change cut short (the process killed, the network gone)
can still be undone as far as it went; it is marked done after, and undone by ``undo``. The
app's own undo (``u``) is the app's: this file is the shell's, its verbs' and ``tui-inbox mcp``'s
(``mcp_triage.py``), so either undoes the other's last change.

Changes and undos hold a lock on the folder while they run, so two at once cannot leave the
journal describing the one whose changes it does not hold.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..config import data_dir
from ..inbox.triage_requests import Before
from ..store.drafts import private_folder

VERSION = 1
SENDING, DONE, UNDONE = "sending", "done", "undone"


class JournalError(Exception):
    """The journal is there but cannot be read (damaged, or from another version): one line."""


@dataclass
class Part:
    """One account's share of a change: whose conversations, and each one's state before it."""

    account: str  # the config's name for it
    base_url: str
    user_id: int
    before: dict[int, Before] = field(default_factory=dict)


@dataclass
class LastChange:
    verb: str  # the core's verb: archive, unarchive, star, unstar, read, unread, mute, unmute, delete
    parts: list[Part]
    state: str = SENDING
    made_at: str = ""

    @property
    def reversible(self) -> bool:
        return self.verb != "delete"


def folder() -> Path:
    return data_dir() / "shell"


def path() -> Path:
    return folder() / "last_change.json"


@contextmanager
def held() -> Iterator[None]:
    """The shell's change lock: a second change or undo waits for the first to finish."""
    private_folder(folder())
    fd = os.open(folder() / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing lets the lock go


def save(change: LastChange) -> None:
    """Write the journal whole: a new 0600 file renamed over the old one."""
    if not change.made_at:
        change.made_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    data = {"version": VERSION, "verb": change.verb, "state": change.state, "made_at": change.made_at,
            "accounts": [{"account": part.account, "base_url": part.base_url, "user_id": part.user_id,
                          "before": {str(cid): [was.workflow_state, was.starred, was.subscribed]
                                     for cid, was in part.before.items()}}
                         for part in change.parts]}
    private_folder(folder())
    fd, temporary = tempfile.mkstemp(dir=folder(), prefix=".last_change.")  # 0600 from its creation
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before a request is sent: a crash cannot lose the undo
        os.replace(temporary, path())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load() -> LastChange | None:
    """The last change, or None when the shell has made none here; JournalError when it cannot be read."""
    try:
        raw = path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise JournalError(f"cannot read {path()}: {error.strerror or error}") from None
    try:
        data = json.loads(raw)
        if data.get("version") != VERSION:
            raise ValueError("another version")
        parts = [Part(str(part["account"]), str(part["base_url"]), int(part["user_id"]),
                      {int(cid): Before(str(state), bool(starred), bool(subscribed))
                       for cid, (state, starred, subscribed) in part["before"].items()})
                 for part in data["accounts"]]
        return LastChange(str(data["verb"]), parts, str(data["state"]), str(data.get("made_at", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise JournalError(f"{path()} cannot be read (damaged, or written by another version); "
                           "nothing was undone") from None
