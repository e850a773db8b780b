"""Starting relays against the test's nats-server and key server, and reading what they expose."""

from __future__ import annotations

import asyncio
import json

import httpx
import nats
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tui_inbox.relay.nats_flush import flush_written
from tui_inbox.relay.server import RunningRelay
from tui_inbox.relay.settings import RelaySettings
from tui_inbox.relay.subjects import DIGEST_HEADER, STREAM

# Nobody listens there: the ingest tests never ask Canvas anything.
UNUSED_CANVAS = "http://127.0.0.1:9"


def conversation_event(conversation_id: str = "11", name: str = "conversation_created") -> dict:
    return {
        "metadata": {"event_name": name, "event_time": "2026-11-24T12:00:00.000Z", "user_id": "10000000000001",
                     "root_account_id": "10000000000001", "producer": "canvas", "request_id": "r-1"},
        "body": {"conversation_id": conversation_id, "updated_at": "2026-11-24T12:00:00Z"},
    }


def relay_settings(nats_url: str | list[str] | None, jwks_url: str, **overrides) -> RelaySettings:
    """Settings for a test's relay: one NATS URL, a cluster's list, or None (the relay's own broker)."""
    urls = [] if nats_url is None else [nats_url] if isinstance(nats_url, str) else list(nats_url)
    values = dict(canvas_url=UNUSED_CANVAS, admin_token="admin-secret-token", nats_urls=urls, jwks_url=jwks_url,
                  lag_sample_seconds=0.05, route_retry_seconds=0.05)
    values.update(overrides)
    return RelaySettings(**values)


def metric(base_url: str, name: str, **labels) -> float:
    """One sample of /metrics (0 if absent), read over HTTP as Prometheus would."""
    text = httpx.get(base_url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def stored_count(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return (await nc.jetstream().stream_info(STREAM)).state.messages
    finally:
        await nc.close()


class Subscriber:
    """A core NATS subscriber of delivery subjects: what an instance's fanout would receive."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, str]] = []
        self.nc = None

    async def start(self, nats_url: str, *subjects: str) -> "Subscriber":
        self.nc = await nats.connect(nats_url)

        async def got(message) -> None:
            self.received.append((json.loads(message.data), (message.headers or {}).get(DIGEST_HEADER)))

        for subject in subjects:
            await self.nc.subscribe(subject, cb=got)
        await flush_written(self.nc, 10)  # NATS has the subscriptions: nothing published from now on is missed
        return self

    def names(self) -> list[str]:
        return [event["body"].get("conversation_id") for event, _ in self.received]

    async def close(self) -> None:
        await self.nc.close()


class StaticRoute:
    """A test double for routing: every event goes to the given subjects; calls are counted."""

    def __init__(self, *subjects: str, fail_for: set[str] = frozenset(), fail_times: int | None = None) -> None:
        self.subjects = list(subjects)
        self.fail_for = set(fail_for)
        self.fail_times = fail_times
        self.calls: list[str] = []

    async def subjects_for(self, event: dict) -> list[str]:
        conversation = event["body"].get("conversation_id")
        self.calls.append(conversation)
        if conversation in self.fail_for:
            if self.fail_times is None or self.calls.count(conversation) <= self.fail_times:
                raise RuntimeError("Canvas did not answer")
        return self.subjects


def start_relay(settings: RelaySettings, route: StaticRoute | None = None) -> RunningRelay:
    return RunningRelay(settings, router_factory=(lambda s: route) if route is not None else None).start()


@pytest.fixture
def relays():
    """Start relays (``relays(settings, route)``); all are stopped after the test."""
    started = []

    def make(settings, route=None):
        relay = start_relay(settings, route)
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.stop()


async def post(url: str, content, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=content, **kwargs)


async def wait_for(check, timeout: float = 10.0):
    from tests.waiting import async_wait_until

    return await async_wait_until(check, timeout=timeout)


class Listener:
    """A user's own websocket on the relay's /live, keeping every frame it receives."""

    def __init__(self, live_url: str, user_token: str) -> None:
        self.live_url, self.token = live_url, user_token
        self.frames: list[dict] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Listener":
        self.ws = await websockets.connect(self.live_url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                           open_timeout=10)
        self._task = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self.ws:
            self.frames.append(json.loads(frame))

    def names(self) -> list[tuple[str, str | None]]:
        return [(f["metadata"]["event_name"], f["body"].get("conversation_id") or f["body"].get("discussion_entry_id"))
                for f in self.frames]

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.ws.close()
