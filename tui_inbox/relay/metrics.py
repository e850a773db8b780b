"""What the relay counts, in the Prometheus text format (``GET /metrics``).

Each relay has its own ``CollectorRegistry``: the global one would mix the figures of
the several relays a test runs in one process (and refuse the second's names).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Canvas gives up on an answer after 15 s; the goal is well under 50 ms: fine buckets there.
INGEST_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25,
                  0.5, 1.0, 2.5, 5.0, 15.0)

# From "as it happened" to Canvas's retries 10 to 20 minutes later, and past them.
AGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)


class RelayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("relay_events_received", "POSTs to /canvas/live-events", registry=r)
        self.rejected = Counter("relay_events_rejected", "Events not stored, by reason", ["reason"], registry=r)
        self.duplicates = Counter("relay_events_duplicates", "Events already stored (a Canvas retry)", registry=r)
        self.routed = Counter("relay_events_routed", "Stored events whose audience was resolved and published",
                              registry=r)
        self.delivered = Counter("relay_events_delivered", "Events sent to a websocket connection", registry=r)
        self.dropped = Counter("relay_frames_dropped", "Frames a connection's full queue did not take (a client "
                               "not reading): delivery is at most once", registry=r)
        self.connections = Gauge("relay_connections", "Open /live connections on this instance", registry=r)
        self.ingest_seconds = Histogram("relay_ingest_seconds",
                                        "Time to answer a POST to /canvas/live-events, whatever the answer",
                                        buckets=INGEST_BUCKETS, registry=r)
        self.event_age_seconds = Histogram(
            "relay_event_age_seconds", "Time from an event's event_time in Canvas to its arrival here (Data "
            "Services' delay), for events that verified", buckets=AGE_BUCKETS, registry=r)
        self.broker_lag = Gauge("relay_broker_lag", "Stored events the router has not taken yet (num_pending)",
                                registry=r)
        # -- part "cluster"
        self.ready = Gauge("relay_ready", "1 when the broker is connected and the stream writable (GET /readyz "
                           "answers 200), else 0", registry=r)
        # part "resume": what reconnecting clients were sent from the history (replay.py)
        self.replayed = Counter("relay_events_replayed", "Events sent from the history to a connection that "
                                "resumed or whose instance's NATS connection came back", registry=r)
        self.resyncs = Counter("relay_resyncs", "Connections told to resynchronise over REST, by reason "
                               "(malformed, not_in_window, unavailable)", ["reason"], registry=r)
        self.newcomer_copies = Counter("relay_newcomer_copies", "Events of a conversation's last minute given to "
                                       "people just added to it who had not got them", registry=r)
        # -- part "connections" (issue 24) --
        self.handshakes_refused = Counter(
            "relay_handshakes_refused", "Websocket handshakes refused before Canvas was asked or for a limit, by "
            "reason (open_files, address, refused_token, pending, user)", ["reason"], registry=r)
        self.connections_timed_out = Counter(
            "relay_connections_timed_out", "Connections closed for not finishing their request in time, by stage",
            ["stage"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
