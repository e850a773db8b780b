"""Where an account's store lives: one 0700 folder per account in the user's data folder.

``<data>/accounts/<account key>/cache.sqlite3`` holds what Canvas said (the rows, threads,
people, and the search index: rebuildable); the user's own data (drafts, outbox) stays in
``<data>/drafts.sqlite3``, keyed by the same account key, as it always has. The key is a
digest of the Canvas origin and the user id (launch.account_key), so the folder name does
not write the school's URL in clear.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def account_key(base_url: str, user_id: int) -> str:
    """Drafts, the cache and Activity's last look are kept per account, without writing the URL in clear into the key."""
    return hashlib.sha256(f"{base_url.rstrip('/')}|{user_id}".encode()).hexdigest()[:16]


def account_folder(data_dir: Path, account_key: str) -> Path:
    return data_dir / "accounts" / account_key


def cache_path(data_dir: Path, account_key: str) -> Path:
    return account_folder(data_dir, account_key) / "cache.sqlite3"
