"""When the user last looked at Activity, per account, kept across restarts.

Activity marks with ● what is new since the last look; "the last look" is a time on
Canvas's clock (the newest item's time when the user left Activity), so the machine's clock
never matters. Canvas's times are whole seconds, so a reply posted in the second of the
newest item seen has that same time: the look also keeps the items seen at that second,
and an item of that second not among them is new. One small JSON file in the user's data
folder, beside the drafts, holds one look per account (the same account key as the drafts:
Canvas origin and user id, hashed)::

    {"version": 1, "accounts": {"3f9c...": {"until": "2026-11-24T12:00:00+00:00",
                                            "keys": ["course_1:4:17"]}}}

It says which discussions a user read and when, so it is private as the drafts are: the
folder 0700, the file 0600. Each save writes a new file (0600 from its creation) and renames
it over the old one, so a crash leaves the old file or the new one, never half of one.

A file that cannot be read as this (hand-edited, cut short by a full disk, too big) counts as
no file: Activity starts as on a first run, the problem is said in one line, and the next
save replaces it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .drafts import private_folder

VERSION = 1
MAX_KEYS = 50  # items of one second kept per look; beyond that a few old ones may show as new
MAX_ACCOUNTS = 100  # the most recently looked at are kept
MAX_BYTES = 256 * 1024  # above what MAX_ACCOUNTS looks take; a bigger file is not ours, and is never read whole


@dataclass(frozen=True)
class LastLook:
    until: datetime  # the newest item's time (Canvas's clock) when the user looked
    keys: frozenset[str] = frozenset()  # the items seen whose time is exactly ``until``


class SeenFileError(ValueError):
    """The file is there but is not a file this module wrote."""


class ActivitySeen:
    def __init__(self, path: Path, account: str) -> None:
        self.path = path
        self.account = account
        self.problem: str | None = None  # why the file was ignored, in one line, once load() has run

    def load(self) -> LastLook | None:
        """The last look of this account, or None (never looked, or the file was ignored)."""
        try:
            return self._read().get(self.account)
        except FileNotFoundError:
            return None
        except (OSError, SeenFileError) as error:
            self.problem = (f"{self.path}: {_reason(error)}; Activity starts afresh (nothing marked new from "
                            "before) and the file is rewritten when you leave Activity")
            return None

    def save(self, look: LastLook) -> None:
        """Keep ``look`` as this account's last look; other accounts' are kept. Raises OSError."""
        try:
            accounts = self._read()
        except (OSError, SeenFileError):
            accounts = {}  # missing or ignored on load: this save replaces it
        accounts[self.account] = look
        newest = sorted(accounts.items(), key=lambda item: item[1].until, reverse=True)[:MAX_ACCOUNTS]
        self._write({"version": VERSION, "accounts": {
            account: {"until": kept.until.isoformat(), "keys": sorted(kept.keys)[:MAX_KEYS]} for account, kept in newest}})

    def _read(self) -> dict[str, LastLook]:
        with open(self.path, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise SeenFileError(f"bigger than {MAX_BYTES // 1024} KB")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise SeenFileError("not JSON") from None
        accounts = data.get("accounts") if isinstance(data, dict) and data.get("version") == VERSION else None
        looks = {k: _look(v) for k, v in accounts.items()} if isinstance(accounts, dict) else None
        if looks is None or None in looks.values():
            raise SeenFileError(f'not {{"version": {VERSION}, "accounts": {{account: {{"until": time, "keys": [...]}}}}}}')
        return looks

    def _write(self, data: dict) -> None:
        private_folder(self.path.parent)
        # mkstemp creates the file 0600 with O_EXCL in the same folder, so the rename is atomic.
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise


def _look(value) -> LastLook | None:
    if not isinstance(value, dict):
        return None
    until, keys = _parse(value.get("until")), value.get("keys", [])
    if until is None or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return None
    return LastLook(until, frozenset(keys[:MAX_KEYS]))


def _parse(text) -> datetime | None:
    """An ISO time with its offset; a time without one could be any zone, so it is refused."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else None


def _reason(error: Exception) -> str:
    if isinstance(error, SeenFileError):
        return str(error)
    return error.strerror or type(error).__name__
