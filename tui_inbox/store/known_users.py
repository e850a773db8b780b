"""Who the token belongs to, remembered, so a cached start needs no request to find out.

The cache of an account lives under a key made of the Canvas origin and the user id
(launch.account_key); without a request, the app must know that id. This small file maps
a digest of the origin and the token to the last user id it answered with::

    {"version": 1, "users": {"<sha256 of origin|token>": 42}}

The digest cannot be turned back into the token (a Canvas token is 64 random characters),
and the token itself is never written. A different token (a new one, another person's)
has no entry and is checked with Canvas as before. The file is private (0600 in a 0700
folder) like the rest of the data folder; one that cannot be read counts as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .drafts import private_folder

VERSION = 1
MAX_USERS = 50
MAX_BYTES = 64 * 1024


def token_digest(base_url: str, token: str) -> str:
    return hashlib.sha256(f"{base_url.rstrip('/')}|{token}".encode()).hexdigest()


def _read(path: Path) -> dict[str, int]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return {}  # not a file this module wrote
        data = json.loads(raw or b"{}")
    except (OSError, ValueError):
        return {}
    users = data.get("users") if isinstance(data, dict) and data.get("version") == VERSION else None
    if not isinstance(users, dict):
        return {}
    return {k: v for k, v in users.items() if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}


def known_user(path: Path, base_url: str, token: str) -> int | None:
    return _read(path).get(token_digest(base_url, token))


def remember_user(path: Path, base_url: str, token: str, user_id: int) -> None:
    """Write the entry (a new 0600 file renamed over the old one: never half a file)."""
    users = _read(path)
    key = token_digest(base_url, token)
    if users.get(key) == user_id:
        return
    users.pop(key, None)
    users[key] = user_id
    users = dict(list(users.items())[-MAX_USERS:])  # the most recent last: the oldest go first
    private_folder(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".known_users.")  # 0600 from its creation
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump({"version": VERSION, "users": users}, handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
