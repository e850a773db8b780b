"""How old an event is when it reaches the relay: how far behind Canvas Data Services runs.

Canvas stamps each event with ``metadata.event_time`` (UTC, to the millisecond) when it
happens; Data Services may hold it for a while (its own queue, then retries over 10 to 20
minutes after a failure). An admin reading ``relay_event_age_seconds`` sees a delivery
backlog upstream of the relay, which neither the ingest answer time nor the broker lag show.
"""

from __future__ import annotations

from datetime import datetime


def event_age_seconds(event: dict, now: float) -> float | None:
    """Seconds from the event's ``event_time`` to ``now`` (epoch seconds); None without a readable one.
    Never below 0: the two clocks differ by a little, and a negative age says nothing."""
    stamp = event.get("metadata", {}).get("event_time")
    if not isinstance(stamp, str):
        return None
    try:
        happened = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if happened.tzinfo is None:
        return None  # Canvas's times are UTC and say so; a bare one could be any zone
    return max(0.0, now - happened.timestamp())
