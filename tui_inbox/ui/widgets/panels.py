"""The panes the main screen mounts just after the first frame (screens/main.py ``mount_panels``):
Activity (with the keys it listens for, as panes.py binds the others), the Outbox, Drafts and the
progress bars. Nothing needs them before then, so neither their modules: importing them with the
rest was about 8 ms of a start from the cache (benchmarks/accounts.py)."""

from __future__ import annotations

from ..keys import MOVE_KEYS, bindings
from .activity_list import ActivityList
from .bulk_progress import BulkProgress
from .drafts_list import DraftsList
from .outbox_list import OutboxList

__all__ = ["ActivityList", "BulkProgress", "DraftsList", "InboxActivity", "OutboxList"]


class InboxActivity(ActivityList):
    BINDINGS = bindings(MOVE_KEYS)
