"""What Canvas keeps for a user's Inbox: their signature and their out-of-office reply.

canvas-lms keeps one row per user and root account (app/services/inbox/repositories/
inbox_settings_repository.rb); a user who never saved gets the defaults, nothing on
(app/services/inbox/inbox_service.rb ``default_inbox_settings``). Saving replaces every
field, so a field the client leaves out becomes empty, as the repository's
``save_inbox_settings`` assigns each one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable


@dataclass(frozen=True, slots=True)
class InboxSettings:
    id: int | None  # None until the user first saves: the defaults have no row
    user_id: int
    use_signature: bool = False
    signature: str | None = None
    use_out_of_office: bool = False
    out_of_office_first_date: str | None = None
    out_of_office_last_date: str | None = None
    out_of_office_subject: str | None = None
    out_of_office_message: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class InboxSettingsStore:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._rows: dict[int, InboxSettings] = {}
        self._ids = itertools.count(1)

    def of(self, user_id: int) -> InboxSettings:
        return self._rows.get(user_id) or InboxSettings(id=None, user_id=user_id)

    def save(self, user_id: int, **fields) -> InboxSettings:
        old = self._rows.get(user_id)
        now = self._now()
        if old is None:
            old = InboxSettings(id=next(self._ids), user_id=user_id, created_at=now)
        row = replace(old, **fields, updated_at=now)
        self._rows[user_id] = row
        return row
