"""One app per account at a time: a lock held by the app's process for its whole run.

Two apps on one account would each take the other's message still "sending" in the Outbox
for one left by a crash (inbox/outbox.recover) and say it may have gone, and both would write
the drafts and the cache. The second start says so in one line and stops. The lock is the
kernel's (``flock``), so it ends with the process however the process ends, ``kill -9`` too:
a stale lock file never keeps anyone out.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; a second app there is not stopped
    fcntl = None

from .drafts import private_folder

LOCK_NAME = "app.lock"


class AlreadyOpen(Exception):
    """Another process holds this account's lock."""


class InstanceLock:
    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def hold(folder: Path) -> InstanceLock:
    """Take the account's lock (``folder``: its store folder), or raise AlreadyOpen naming the holder."""
    if fcntl is None:
        return InstanceLock(None)
    private_folder(folder)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        who = f" (process {holder})" if holder.isdigit() else ""
        raise AlreadyOpen(f"already open for this account{who}; use that one, or quit it first.") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return InstanceLock(fd)


def is_held(folder: Path) -> bool:
    """Whether an app holds the account's lock now (the cache is then kept up to date by it).
    Asked without taking the lock for long and without creating anything."""
    if fcntl is None:
        return False
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY)
    except OSError:  # no lock file: no app has opened this account here yet
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # a shared lock taken is released with the descriptor
    return False
