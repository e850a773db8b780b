"""NATS JetStream between the relay's instances: events stored once, each routed once.

``publish_event`` stores a verified event in the stream ``STREAM`` with its digest as
``Nats-Msg-Id``: a Canvas retry inside the duplicate window is stored once. Every
instance runs ``run_router``: they pull from one durable consumer, ``ROUTER``, so each
stored event is resolved by one instance, which publishes it on the delivery subjects
and only then acknowledges it. A crash before the ack means a redelivery, which the
instances' per-digest memory drops (DIGEST_HEADER).

Each copy is a frame: the event with its id (its sequence in ``STREAM``, the same for
every copy) as ``{"id", "metadata", "body"}``. It is published with JetStream into
``DELIVERED_STREAM`` (acknowledged, ``Nats-Msg-Id`` = digest + subject, so a redelivery
is stored once), which keeps it for the resume window; the instances' core subscriptions
on the subject hear it live all the same.

NATS may be one server or a cluster (nats_options.py): the connection follows the cluster
as its nodes come and go, and every stream declared here is kept on ``replicas`` of them
(replicas.py), so that losing the node that leads it loses nothing once another is elected.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Awaitable, Callable

import nats
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from .logs import log_event
from .nats_options import connect_options, shown
from .replicas import ReplicasRefused, choose_replicas, cluster_size, raise_if_replicas_refused
from .subjects import (DELIVERED_STREAM, DELIVERED_SUBJECTS, DIGEST_HEADER, DUPLICATE_WINDOW_SECONDS,
                       EVENT_ID_HEADER, INGEST_SUBJECT, ROUTER, STREAM)

Route = Callable[[dict], Awaitable[list[str]]]


class BrokerUnavailable(Exception):
    """The event could not be stored now (NATS unreachable or too slow): answer 503, Canvas retries."""


def event_bytes(event: dict) -> bytes:
    """The event as its subscribers receive it: exactly ``{"metadata", "body"}``, UTF-8."""
    return json.dumps({"metadata": event["metadata"], "body": event["body"]}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def frame_bytes(event: dict, event_id: str) -> bytes:
    """A routed copy, as a connection receives it: the event with its id first, UTF-8."""
    return json.dumps({"id": event_id, "metadata": event["metadata"], "body": event["body"]}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _backlog(message) -> int:
    """Stored events after this one that no instance has taken yet (JetStream says, per message)."""
    try:
        return int(message.metadata.num_pending or 0)
    except Exception:  # not a JetStream message (no reply subject to read it from)
        return 0


class Broker:
    """The relay's connection to NATS (one server or a cluster's) and the streams it declares.

    ``replicas`` is how many copies JetStream keeps of every stream declared here; ``None``
    chooses at ``connect`` from the size of the cluster (replicas.py), and is an int from then on.
    """

    def __init__(self, urls: str | list[str], *, publish_timeout: float = 2.0, ack_wait: float = 30.0,
                 max_deliver: int = 5, route_retry_seconds: float = 2.0, fetch_wait_seconds: float = 1.0,
                 metrics=None, replicas: int | None = 1, creds_file: str | None = None,
                 ca_file: str | None = None, resume_window: float = 900.0) -> None:
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.creds_file = creds_file
        self.ca_file = ca_file
        self.replicas = replicas
        self._kept_replicas: dict[str, int] = {}  # streams found with more copies than asked: how many
        self.resume_window = resume_window
        # Called (no arguments) each time the connection to NATS comes back: the stream fills
        # its connections' gap from the history (replay.py).
        self.reconnect_listeners: list[Callable[[], None]] = []
        self.fetch_wait_seconds = fetch_wait_seconds
        self.publish_timeout = publish_timeout
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver
        self.route_retry_seconds = route_retry_seconds
        self.metrics = metrics
        self.nc: nats.aio.client.Client | None = None
        self.js = None
        self._closing = False
        self._redeclare: asyncio.Future | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def connect(self, timeout: float = 5.0) -> None:
        """Connect (raises ``BrokerUnavailable`` if NATS cannot be reached now), then keep reconnecting forever."""
        async def disconnected() -> None:
            if not self._closing:
                log_event("broker_disconnected", logging.WARNING)

        async def reconnected() -> None:
            log_event("broker_reconnected")
            # A NATS that came back without its store has lost the stream and the consumer.
            self._redeclare = asyncio.ensure_future(self._declare_logged())
            for listener in tuple(self.reconnect_listeners):
                listener()

        async def error(exc: Exception) -> None:
            # Each failed reconnect attempt (every 0.5 s of an outage) is an error here: one
            # "broker_disconnected" line says it all, so only errors on a live connection are logged.
            if not self._closing and self.connected:
                log_event("broker_error", logging.WARNING, error=type(exc).__name__)

        where = shown(self.urls)
        try:
            # Reconnecting forever would also retry the first connection forever: bound that one.
            # Any server of the list will do; the cluster tells of the others (discovered servers),
            # and the connection moves to a live one whenever its server goes.
            self.nc = await asyncio.wait_for(nats.connect(
                **connect_options(self.urls, self.creds_file, self.ca_file), connect_timeout=min(timeout, 2.0),
                max_reconnect_attempts=-1, reconnect_time_wait=0.5, allow_reconnect=True,
                disconnected_cb=disconnected, reconnected_cb=reconnected, error_cb=error, name="tui-inbox-relay",
            ), timeout)
        except (NatsError, OSError, asyncio.TimeoutError) as exc:
            raise BrokerUnavailable(f"cannot reach NATS at {where} ({type(exc).__name__})") from None
        self.js = self.nc.jetstream(timeout=self.publish_timeout)
        servers = cluster_size(self.nc)
        self.replicas, why = choose_replicas(self.replicas, servers)
        try:
            await self._declare()
        except ReplicasRefused as refused:
            await self.nc.close()
            raise BrokerUnavailable(f"JetStream at {where} refused {self.replicas} replicas ({refused}); "
                                    f"the cluster has {servers} server(s): use --replicas {min(servers, 5)}") from None
        except (NatsError, asyncio.TimeoutError) as exc:
            await self.nc.close()
            raise BrokerUnavailable(f"NATS at {where} has no JetStream ({type(exc).__name__}); "
                                    "run nats-server with -js") from None
        kept = self._kept_replicas.get(STREAM, self.replicas)
        if kept > self.replicas:
            why = f"the stream already has {kept} (never lowered; {why})"
        log_event("stream_replicas", stream=STREAM, replicas=kept, servers=servers, why=why)

    async def _declare(self) -> None:
        """The stream and the router's durable consumer, created by whichever instance comes first."""
        await self._ensure_stream(StreamConfig(
            name=STREAM, subjects=[INGEST_SUBJECT], storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            # Events only say that something changed; a day of them is plenty to catch up on.
            max_age=24 * 3600,
        ))
        await self._declare_delivered()
        try:
            await self.js.consumer_info(STREAM, ROUTER)
        except NotFoundError:
            await self.js.add_consumer(STREAM, ConsumerConfig(
                durable_name=ROUTER, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                ack_wait=self.ack_wait, max_deliver=self.max_deliver, filter_subject=INGEST_SUBJECT,
            ))

    async def _ensure_stream(self, config: StreamConfig) -> None:
        """Create the stream with ``self.replicas`` copies, or raise an existing one's to that many
        (JetStream moves a stream to more peers while it serves). Never fewer: copies an admin
        added stay. Raises ``ReplicasRefused`` when JetStream cannot place that many."""
        config.num_replicas = self.replicas
        try:
            info = await self.js.stream_info(config.name)
        except NotFoundError:
            try:
                await self.js.add_stream(config)
            except APIError as exc:
                raise_if_replicas_refused(exc)
                raise
            return
        before = info.config.num_replicas or 1
        self._kept_replicas[config.name] = max(before, self.replicas)
        if before < self.replicas:
            info.config.num_replicas = self.replicas
            try:
                await self.js.update_stream(info.config)
            except APIError as exc:
                raise_if_replicas_refused(exc)
                raise
            log_event("stream_replicas_raised", logging.WARNING, stream=config.name, before=before,
                      after=self.replicas)

    async def _declare_delivered(self) -> None:
        """The routed copies' history: as long as the resume window, no longer (it holds who got what)."""
        await self._ensure_stream(StreamConfig(
            name=DELIVERED_STREAM, subjects=[DELIVERED_SUBJECTS], storage=StorageType.FILE,
            max_age=self.resume_window, duplicate_window=min(DUPLICATE_WINDOW_SECONDS, self.resume_window),
        ))
        info = await self.js.stream_info(DELIVERED_STREAM)
        if info.config.max_age != self.resume_window:
            # The last instance started says the window: each says it, so an admin sees the change.
            await self.js.update_stream(dataclasses.replace(
                info.config, max_age=self.resume_window,
                duplicate_window=min(DUPLICATE_WINDOW_SECONDS, self.resume_window)))
            log_event("resume_window_changed", seconds=self.resume_window)

    async def _declare_logged(self) -> None:
        try:
            await self._declare()
        except (NatsError, asyncio.TimeoutError, ReplicasRefused) as exc:
            log_event("broker_declare_failed", logging.WARNING, error=type(exc).__name__)

    async def publish_event(self, event: dict, digest: str) -> bool:
        """Store the event; True if new, False if JetStream already had this digest."""
        if not self.connected:
            raise BrokerUnavailable("not connected to NATS")
        try:
            ack = await self.js.publish(INGEST_SUBJECT, event_bytes(event), timeout=self.publish_timeout,
                                        headers={"Nats-Msg-Id": digest})
        except (NatsError, asyncio.TimeoutError) as exc:
            raise BrokerUnavailable(f"JetStream did not store the event ({type(exc).__name__})") from None
        return not ack.duplicate

    async def pending(self) -> int:
        """Stored events the router consumer has not handed out yet."""
        info = await self.js.consumer_info(STREAM, ROUTER, timeout=self.publish_timeout)
        return int(info.num_pending or 0)

    async def run_router(self, route: Route, batch: int = 32, concurrency: int = 32) -> None:
        """Route stored events until cancelled; any instance may run this at the same time as others.

        Up to ``concurrency`` events are routed at once: one whose audience takes a Canvas
        request (a new conversation) must not hold up the events behind it. Each is acked
        on its own, so a crash still redelivers only the unfinished ones.
        """
        slots = asyncio.Semaphore(concurrency)
        routing: set[asyncio.Task] = set()

        async def route_in_slot(message) -> None:
            try:
                await self._route_one(message, route)
            except Exception as exc:  # the reply (ack/nak) could not be sent: JetStream redelivers
                if not self._closing:
                    log_event("router_waiting", logging.WARNING, error=type(exc).__name__)
            finally:
                slots.release()

        try:
            await self._fetch_and_route(route_in_slot, slots, routing, batch)
        finally:
            for task in routing:
                task.cancel()
            await asyncio.gather(*routing, return_exceptions=True)

    async def _fetch_and_route(self, route_in_slot, slots: asyncio.Semaphore, routing: set, batch: int) -> None:
        subscription = None
        # nats-py's fetch(n) returns at once what is already stored, but when nothing is, it
        # waits for n messages or its timeout: with events trickling in, each would wait up
        # to the timeout. So one at a time while idle, a batch only when a backlog is known.
        size = 1
        while True:
            try:
                if subscription is None:
                    subscription = await self.js.pull_subscribe(INGEST_SUBJECT, durable=ROUTER, stream=STREAM)
                try:
                    messages = await subscription.fetch(size, timeout=self.fetch_wait_seconds)
                except (nats.errors.TimeoutError, asyncio.TimeoutError):
                    size = 1
                    continue
                for message in messages:
                    await slots.acquire()
                    task = asyncio.create_task(route_in_slot(message))
                    routing.add(task)
                    task.add_done_callback(routing.discard)
                size = max(1, min(batch, _backlog(messages[-1]))) if messages else 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker went away mid-fetch, or a reply could not be sent
                if not self._closing:
                    log_event("router_waiting", logging.WARNING, error=type(exc).__name__)
                await asyncio.sleep(0.5)

    async def _route_one(self, message, route: Route) -> None:
        digest = (message.headers or {}).get("Nats-Msg-Id", "")
        try:
            event = json.loads(message.data)
        except ValueError:
            # Only the relay writes the stream; something else put this here.
            log_event("route_dropped", logging.ERROR, digest=digest, reason="not JSON")
            await message.term()
            return
        name = event.get("metadata", {}).get("event_name")
        try:
            subjects = await route(event)
        except Exception as exc:
            tries = message.metadata.num_delivered
            if tries >= self.max_deliver:
                log_event("route_dropped", logging.ERROR, digest=digest, event_name=name, tries=tries,
                          error=type(exc).__name__)
                await message.term()
            else:
                log_event("route_failed", logging.WARNING, digest=digest, event_name=name, tries=tries,
                          error=type(exc).__name__)
                await message.nak(delay=self.route_retry_seconds * tries)
            return
        event_id = str(message.metadata.sequence.stream)
        if not await self._store_copies(message, frame_bytes(event, event_id), event_id, digest, subjects, name):
            return
        await message.ack()
        if self.metrics is not None:
            self.metrics.routed.inc()
        log_event("event_routed", digest=digest, event_name=name, subjects=len(subjects))

    async def _store_copies(self, message, data: bytes, event_id: str, digest: str, subjects, name) -> bool:
        """Store the event's copies, trying again for as long as JetStream cannot take them.

        That is the broker's trouble (the delivered stream has no leader while a cluster elects
        one), not the event's: a nak would spend one of its max_deliver tries each time, and an
        event out of tries is never delivered again. So the message is held, its ack wait kept
        from running out, and only storing is tried again (its audience is not asked twice).
        False when the relay is closing: JetStream hands the event out again after its ack wait.
        """
        delay = self.route_retry_seconds
        while True:
            try:
                await self.publish_copies(data, event_id, digest, subjects)
                return True
            except (NatsError, asyncio.TimeoutError) as exc:
                if self._closing:
                    return False
                # Those copies stored stay stored once (their Nats-Msg-Id), so trying all again is safe.
                log_event("route_failed", logging.WARNING, digest=digest, event_name=name,
                          error=type(exc).__name__, retry_seconds=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max(self.route_retry_seconds, self.ack_wait / 2))
            try:
                await message.in_progress()
            except Exception:  # not connected just now: at worst the event is handed out again
                pass

    async def publish_copies(self, data: bytes, event_id: str, digest: str, subjects) -> None:
        """Store one copy per subject in the history, all at once (each acknowledged by JetStream);
        live subscribers of each subject hear it as it is stored."""
        await asyncio.gather(*(self.js.publish(subject, data, timeout=self.publish_timeout, headers={
            DIGEST_HEADER: digest, EVENT_ID_HEADER: event_id, "Nats-Msg-Id": f"{digest} {subject}"})
            for subject in dict.fromkeys(subjects)))

    async def close(self) -> None:
        self._closing = True
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.close()
            except Exception:  # closing a connection that is already gone
                pass
