"""``GET /readyz``: may a load balancer send this instance events and users now?

``/healthz`` says the process is alive; ready means more: the broker is connected and the
stream is writable (JetStream answers for it within a second and it has a leader). A stream
whose leader was lost (its node killed) answers nothing, or answers without a leader, until
the others elect one: ingest then answers 503, and so does this.

The check runs in the background every ``interval`` seconds (0.5 by default) with a short
timeout, so a request to /readyz never waits on NATS, and a broker that stops is seen within
``interval + timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import logging

from .logs import log_event
from .subjects import STREAM


class Readiness:
    def __init__(self, broker, *, interval: float = 0.5, timeout: float = 1.0, gauge=None) -> None:
        self.broker = broker
        self.interval = interval
        self.timeout = timeout
        self.gauge = gauge
        self.reason: str | None = "not checked yet"  # None: ready

    @property
    def ready(self) -> bool:
        return self.reason is None

    async def check(self) -> str | None:
        """Why the broker cannot take events now, or None when it can."""
        broker = self.broker
        if not broker.connected:
            return "the broker is not connected"
        try:
            info = await asyncio.wait_for(broker.nc.jetstream(timeout=self.timeout).stream_info(STREAM),
                                          self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no answer in time, no responders, the stream gone: not writable
            return f"JetStream did not answer for the stream ({type(exc).__name__})"
        # A server alone names itself the leader; a cluster's stream names none while it elects one.
        if info.cluster is None or not info.cluster.leader:
            return "the stream has no leader (the cluster is electing one)"
        return None

    async def run(self) -> None:
        """Check until cancelled; log each change (ready, or not and why)."""
        while True:
            reason = await self.check()
            if reason != self.reason:
                if reason is None:
                    log_event("relay_ready")
                else:
                    log_event("relay_not_ready", logging.WARNING, reason=reason)
            self.reason = reason
            if self.gauge is not None:
                self.gauge.set(1 if reason is None else 0)
            await asyncio.sleep(self.interval)
