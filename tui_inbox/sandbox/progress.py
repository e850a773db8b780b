"""Canvas Progress objects: background jobs that clients poll (``/api/v1/progress/:id``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from .clock import iso


@dataclass(slots=True)
class Progress:
    id: int
    user_id: int
    tag: str
    created_at: datetime
    updated_at: datetime
    workflow_state: str = "queued"  # queued, running, completed, failed
    completion: float = 0.0  # 0 to 100, unlike a batch's 0 to 1
    message: str | None = None
    results: dict | None = None

    def as_json(self, base_url: str) -> dict:
        return {
            "id": self.id,
            "context_id": self.user_id,
            "context_type": "User",
            "user_id": self.user_id,
            "tag": self.tag,
            "completion": self.completion,
            "workflow_state": self.workflow_state,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "message": self.message,
            "results": self.results,
            "url": f"{base_url}/api/v1/progress/{self.id}",
        }


@dataclass
class ProgressStore:
    now: Callable[[], datetime]
    items: dict[int, Progress] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def create(self, user_id: int, tag: str) -> Progress:
        now = self.now()
        progress = Progress(id=next(self._ids), user_id=user_id, tag=tag, created_at=now, updated_at=now)
        self.items[progress.id] = progress
        return progress

    def update(self, progress: Progress, **changes) -> None:
        for key, value in changes.items():
            setattr(progress, key, value)
        progress.updated_at = self.now()
