"""Open files: every connection is one, and a relay that runs out of them fails every handshake.

At start the command raises the soft limit (``ulimit -n``, 1,024 on most systems) to the
hard one and says so; a hard limit too low for ten thousand connections is named with the
way to raise it (``LimitNOFILE`` in the unit).

While serving, ``FileBudget`` counts the connections open (the protocols of
connection_guard.py tell it of each) beside the files the process held when it started,
and keeps a reserve for what the relay itself opens (requests to Canvas, NATS, the JWKS).
Once the connections reach into the reserve, new handshakes are answered 503 (a load
balancer then tries another instance) until some close. This is what makes running out
visible: uvloop (libuv) quietly accepts and closes whatever it cannot give a file to, so
an ``accept()`` that fails is never seen; asyncio's loop reports it, and that report is
logged the same way (``accept_failed``). Either log is one line per 10 s with a count.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from typing import Callable

from .logs import log_event

# Below this hard limit, ten thousand connections cannot fit: the start says so.
ENOUGH_FILES = 16_384
# Files kept for the relay's own use once connections crowd in: Canvas's connection pool
# (identity.py, 64), the router's, NATS, the JWKS, logs, and a margin.
RESERVE = 128
LOG_EVERY_SECONDS = 10.0


def raise_open_files_limit() -> tuple[int, int, int]:
    """Soft limit before, soft limit now, hard limit; logs one line, and a warning if the hard limit is low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    raised = soft
    if hard == resource.RLIM_INFINITY or soft < hard:
        # An unlimited hard limit is not a number the kernel takes for a soft one: nr_open is.
        target = hard if hard != resource.RLIM_INFINITY else max(soft, _nr_open())
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            raised = target
        except (ValueError, OSError):
            pass
    log_event("open_files_limit", was=soft, now=raised, hard=_shown(hard),
              connections_possible=max(raised - RESERVE - 64, 0))
    if raised < ENOUGH_FILES:
        log_event("open_files_limit_low", logging.WARNING, limit=raised,
                  connections_possible=max(raised - RESERVE - 64, 0),
                  advice=f"raise the hard limit to at least {ENOUGH_FILES} (LimitNOFILE=65536 in the systemd unit, "
                         "or ulimit -Hn before starting)")
    return soft, raised, hard


def _nr_open() -> int:
    try:
        with open("/proc/sys/fs/nr_open") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1_048_576


def _shown(limit: int) -> int | str:
    return "unlimited" if limit == resource.RLIM_INFINITY else limit


def files_open_now() -> int:
    """Files this process holds (Linux); a guess elsewhere."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 64


class CountedLog:
    """One log line per ``every`` seconds at most, carrying how many times it happened since the last."""

    def __init__(self, event: str, level: int = logging.WARNING, every: float = LOG_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.event, self.level, self.every, self.clock = event, level, every, clock
        self.unlogged = 0
        self.total = 0
        self._last: float | None = None

    def note(self, **fields) -> None:
        self.unlogged += 1
        self.total += 1
        now = self.clock()
        if self._last is None or now - self._last >= self.every:
            log_event(self.event, self.level, count=self.unlogged, **fields)
            self.unlogged, self._last = 0, now

    def flush(self, **fields) -> None:
        """Log what is still unlogged now (the trouble is over), and start afresh."""
        if self.unlogged:
            log_event(self.event, self.level, count=self.unlogged, **fields)
        self.unlogged, self._last = 0, None


class FileBudget:
    """Whether a new handshake may have a connection: the files open, counted, against the limit."""

    def __init__(self, limit: int | None = None, baseline: int | None = None, reserve: int = RESERVE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit if limit is not None else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self.baseline = baseline if baseline is not None else files_open_now()
        self.reserve = reserve
        self.connections = 0
        self.short = False  # out of files for new handshakes, until some close
        self.refusals = CountedLog("open_files_exhausted", clock=clock)
        self.accept_failures = CountedLog("accept_failed", logging.ERROR, clock=clock)

    @property
    def usable(self) -> int:
        """Connections that fit before the reserve."""
        return max(self.limit - self.baseline - self.reserve, 0)

    def opened(self) -> None:
        self.connections += 1

    def closed(self) -> None:
        self.connections -= 1
        # A little room before saying so: a handshake refused at the edge would flap otherwise.
        if self.short and self.connections < self.usable - max(self.usable // 100, 1):
            self.short = False
            self.refusals.flush(connections=self.connections, limit=self.limit)
            self.accept_failures.flush(connections=self.connections, limit=self.limit)
            log_event("open_files_available", connections=self.connections, limit=self.limit)

    def exhausted(self) -> bool:
        """True when a new handshake must be refused (it is counted and logged, one line per 10 s)."""
        if self.connections < self.usable and not self.short:
            return False
        self.short = True
        self.refusals.note(connections=self.connections, limit=self.limit,
                           advice="new handshakes get 503 until connections close; raise LimitNOFILE or add an "
                                  "instance")
        return True

    def accept_failed(self, loop, context: dict) -> None:
        """A loop exception handler: asyncio reports an ``accept()`` out of files here."""
        error = context.get("exception")
        if isinstance(error, OSError) and "accept" in str(context.get("message", "")):
            self.short = True
            self.accept_failures.note(error=type(error).__name__, errno=error.errno, connections=self.connections,
                                      limit=self.limit)
            return
        loop.default_exception_handler(context)
