"""The identity of an event, which Canvas does not give: a digest of what it says.

Canvas retries a delivery up to three times and a signed retry is a new JWT (new
``iat``/``exp``/``jti``), so only ``metadata`` and ``body`` are hashed: a retry of an
event has the same digest, which JetStream uses as ``Nats-Msg-Id`` to store it once.
"""

from __future__ import annotations

import hashlib
import json


def canonical_json(value) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, text kept as text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_digest(event: dict) -> str:
    """sha256 hex of the canonical JSON of ``{"metadata": ..., "body": ...}``."""
    core = {"metadata": event["metadata"], "body": event["body"]}
    return hashlib.sha256(canonical_json(core).encode("utf-8")).hexdigest()
