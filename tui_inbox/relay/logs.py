"""Structured logs: one JSON object a line, on stderr.

Only what the call names goes in: an event's name and digest, a reason, a status. Never
a token, never an event's body or any text a user wrote (a discussion event carries it).
"""

from __future__ import annotations

import json
import logging
import sys
import time

LOGGER_NAME = "tui_inbox.relay"
logger = logging.getLogger(LOGGER_NAME)


def log_event(event: str, level: int = logging.INFO, **fields) -> None:
    """Log ``event`` with ``fields`` (plain JSON values) as one structured line."""
    logger.log(level, event, extra={"relay_fields": fields})


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(), "event": record.getMessage()}
        line.update(getattr(record, "relay_fields", {}))
        if record.exc_info:
            # The kind of failure only: a message could quote a URL or a server's text.
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(stream=None, level: int = logging.INFO) -> logging.Handler:
    """Send the relay's log (and nothing else's) to ``stream`` (default stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler
