"""The relay's broker: JetStream keeps events through an outage, and instances share the routing.

The broker is the real nats-server of the ``nats_server`` fixture, stopped and started
again on the same port and store folder; relays run in threads of this process.
"""

from __future__ import annotations

import json
import logging

import httpx
import nats
import pytest

from tests.relay_fixtures import (StaticRoute, Subscriber, conversation_event, metric, post, relay_settings,
                                  stored_count, wait_for)
from tests.relay_fixtures import relays  # noqa: F401  (a fixture)
from tests.relay_signing import key, keys  # noqa: F401  (fixtures)
from tests.relay_signing import sign
from tui_inbox.relay.broker import Broker, BrokerUnavailable
from tui_inbox.relay.digest import event_digest
from tui_inbox.relay.subjects import DELIVERED_STREAM, user_subject


def health(relay) -> tuple[int, str]:
    """/healthz: the process is alive (200) whatever the broker; its state is in the body."""
    answer = httpx.get(relay.base_url + "/healthz", timeout=5)
    return answer.status_code, answer.json()["broker"]


async def test_while_the_broker_is_down_canvas_gets_503_and_after_it_is_back_events_flow_again(
        nats_server, keys, key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    before = await Subscriber().start(nats_server.url, user_subject(1))
    assert (await post(relay.info.events_url, sign(conversation_event("1"), key))).status_code == 202
    await wait_for(lambda: before.names() == ["1"])
    await before.close()

    nats_server.stop(remove_store=False)
    await wait_for(lambda: health(relay) == (200, "disconnected"))
    refused = await post(relay.info.events_url, sign(conversation_event("2"), key))
    assert refused.status_code == 503 and refused.json()["reason"] == "broker_unavailable"
    assert metric(relay.base_url, "relay_events_rejected_total", reason="broker_unavailable") == 1

    nats_server.start()
    await wait_for(lambda: health(relay) == (200, "connected"))
    after = await Subscriber().start(nats_server.url, user_subject(1))
    # Canvas retries the refused event; then one more.
    assert (await post(relay.info.events_url, sign(conversation_event("2"), key))).status_code == 202
    assert (await post(relay.info.events_url, sign(conversation_event("3"), key))).status_code == 202
    await wait_for(lambda: "3" in after.names())
    assert after.names() == ["2", "3"]  # and event 1, acknowledged before the outage, not again
    assert await stored_count(nats_server.url) == 3
    await after.close()


async def test_events_stored_before_a_broker_restart_are_routed_once_after_it(nats_server, keys, key, relays):
    intake = relays(relay_settings(nats_server.url, keys.url))  # takes events in; nobody routes yet
    for conversation in ("1", "2"):
        assert (await post(intake.info.events_url, sign(conversation_event(conversation), key))).status_code == 202
    await wait_for(lambda: metric(intake.base_url, "relay_broker_lag") == 2)
    intake.stop()
    nats_server.stop(remove_store=False)
    nats_server.start()

    subscriber = await Subscriber().start(nats_server.url, user_subject(7))
    router = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(7)))
    await wait_for(lambda: len(subscriber.received) == 2)
    assert (await post(router.info.events_url, sign(conversation_event("3"), key))).status_code == 202
    await wait_for(lambda: "3" in subscriber.names())
    assert sorted(subscriber.names()) == ["1", "2", "3"]
    await wait_for(lambda: metric(router.base_url, "relay_broker_lag") == 0)
    await subscriber.close()


async def test_instances_sharing_one_nats_route_each_event_once(nats_server, keys, key, relays):
    routes = [StaticRoute(user_subject(1)), StaticRoute(user_subject(1))]
    instances = [relays(relay_settings(nats_server.url, keys.url), route) for route in routes]
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))

    async with httpx.AsyncClient(timeout=10) as client:
        for n in range(20):
            answer = await client.post(instances[n % 2].info.events_url, content=sign(conversation_event(str(n)), key))
            assert answer.status_code == 202
        # Canvas retried some of them, to the other instance.
        for n in range(0, 20, 5):
            answer = await client.post(instances[(n + 1) % 2].info.events_url,
                                       content=sign(conversation_event(str(n)), key))
            assert answer.status_code == 200

    await wait_for(lambda: len(subscriber.received) >= 20)
    assert sorted(subscriber.names(), key=int) == [str(n) for n in range(20)]
    assert len(routes[0].calls) + len(routes[1].calls) == 20
    routed = [metric(relay.base_url, "relay_events_routed_total") for relay in instances]
    assert sum(routed) == 20
    await subscriber.close()


async def test_a_route_that_fails_is_retried_and_one_that_keeps_failing_is_dropped_with_a_log_line(
        nats_server, keys, key, relays, caplog):
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    route = StaticRoute(user_subject(1), fail_for={"flaky", "broken"}, fail_times=1)
    route.fail_times = None
    flaky_once = StaticRoute(user_subject(1), fail_for={"flaky"}, fail_times=1)

    async def subjects_for(event):
        if event["body"]["conversation_id"] == "broken":
            return await route.subjects_for(event)
        return await flaky_once.subjects_for(event)

    relay = relays(relay_settings(nats_server.url, keys.url, max_deliver=3), subjects_for)
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))
    for conversation in ("broken", "flaky", "fine"):
        assert (await post(relay.info.events_url, sign(conversation_event(conversation), key))).status_code == 202

    await wait_for(lambda: sorted(subscriber.names()) == ["fine", "flaky"])
    await wait_for(lambda: any(r.getMessage() == "route_dropped" for r in caplog.records))
    assert route.calls == ["broken"] * 3  # max_deliver tries, then no more
    assert flaky_once.calls.count("flaky") == 2
    dropped = [r for r in caplog.records if r.getMessage() == "route_dropped"]
    assert [r.relay_fields["digest"] for r in dropped] == [event_digest(conversation_event("broken"))]


async def test_publish_raises_broker_unavailable_when_nats_is_gone(nats_server):
    broker = Broker(nats_server.url, publish_timeout=1.0)
    await broker.connect()
    event = conversation_event()
    assert await broker.publish_event(event, event_digest(event)) is True
    assert await broker.publish_event(event, event_digest(event)) is False
    nats_server.stop(remove_store=False)
    await wait_for(lambda: not broker.connected)
    with pytest.raises(BrokerUnavailable):
        await broker.publish_event(conversation_event("2"), event_digest(conversation_event("2")))
    await broker.close()


async def test_connecting_to_no_nats_is_one_clear_error():
    from tui_inbox.relay.nats_child import free_port

    with pytest.raises(BrokerUnavailable, match="cannot reach NATS"):
        await Broker(f"nats://127.0.0.1:{free_port()}").connect(timeout=0.5)


async def test_a_nats_that_comes_back_without_its_store_gets_the_stream_again(nats_server, keys, key, relays):
    relay = relays(relay_settings(nats_server.url, keys.url), StaticRoute(user_subject(1)))
    assert (await post(relay.info.events_url, sign(conversation_event("1"), key))).status_code == 202
    nats_server.stop(remove_store=True)
    await wait_for(lambda: health(relay) == (200, "disconnected"))
    nats_server.start()
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))

    async def stored() -> bool:
        return (await post(relay.info.events_url, sign(conversation_event("2"), key))).status_code == 202

    await wait_for(stored)
    await wait_for(lambda: subscriber.names() == ["2"])
    assert await stored_count(nats_server.url) == 1
    await subscriber.close()


async def test_the_relays_own_broker_keeps_its_stream_in_a_private_folder_across_restarts(tmp_path, keys, key, relays):
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    first = relays(relay_settings(None, keys.url, nats_store=str(store)))
    assert (await post(first.info.events_url, sign(conversation_event("1"), key))).status_code == 202
    first.stop()
    assert first.nats_child is None and (store.stat().st_mode & 0o777) == 0o700

    again = relays(relay_settings(None, keys.url, nats_store=str(store)))
    assert await stored_count(again.nats_child.url) == 1
    assert (await post(again.info.events_url, sign(conversation_event("1"), key))).status_code == 200


async def test_an_event_arriving_alone_is_routed_at_once_not_when_a_batch_fills_or_times_out(
        nats_server, keys, key, relays):
    # A school's events trickle in: the router must not sit on one until its fetch of a
    # batch fills up or gives up, which made delivery wait up to a second. The batch's wait is
    # a minute here: each event must still arrive within wait_for's ten seconds, so no event
    # waited for it, on a machine however busy (no timing is asserted).
    relay = relays(relay_settings(nats_server.url, keys.url, fetch_wait_seconds=60.0), StaticRoute(user_subject(1)))
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))
    try:
        for n in range(8):
            body = sign(conversation_event(str(n)), key)
            assert (await post(relay.info.events_url, body)).status_code == 202
            await wait_for(lambda: len(subscriber.received) == n + 1)
    finally:
        await subscriber.close()


async def test_an_event_whose_audience_canvas_is_slow_to_tell_does_not_hold_up_the_others(
        nats_server, keys, key, relays):
    # A new conversation costs a Canvas request to learn its participants; the events
    # behind it (other conversations, discussions) must not queue up behind that answer.
    import asyncio
    import threading

    canvas_answers = threading.Event()

    async def route(event: dict) -> list[str]:
        if event["body"]["conversation_id"] == "slow":
            while not canvas_answers.is_set():  # Canvas has not answered yet
                await asyncio.sleep(0.01)
        return [user_subject(1)]

    relay = relays(relay_settings(nats_server.url, keys.url), route)
    subscriber = await Subscriber().start(nats_server.url, user_subject(1))
    try:
        for name in ("slow", "1", "2", "3"):
            assert (await post(relay.info.events_url, sign(conversation_event(name), key))).status_code == 202
        await wait_for(lambda: len(subscriber.received) == 3)
        assert subscriber.names() == ["1", "2", "3"]

        canvas_answers.set()
        await wait_for(lambda: len(subscriber.received) == 4)
        assert subscriber.names()[-1] == "slow"
    finally:
        canvas_answers.set()
        await subscriber.close()


async def test_an_event_whose_copies_cannot_be_stored_waits_for_the_history_without_spending_its_tries(
        nats_server, keys, key, relays, caplog):
    # While the delivered stream has no leader (a node of a cluster died), storing the copies
    # fails however often it is tried: that is the broker's trouble, not the event's, so the
    # event must not run out of JetStream's max_deliver and be left unrouted for good.
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    route = StaticRoute(user_subject(1))
    relay = relays(relay_settings(nats_server.url, keys.url, max_deliver=3, publish_timeout_seconds=0.2,
                                  ack_wait_seconds=1.0), route)
    await wait_for(lambda: health(relay) == (200, "connected"))
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        history = (await js.stream_info(DELIVERED_STREAM)).config
        await js.delete_stream(DELIVERED_STREAM)
        assert (await post(relay.info.events_url, sign(conversation_event("1"), key))).status_code == 202
        # Longer than max_deliver tries would last, and longer than the ack wait.
        await wait_for(lambda: sum(r.getMessage() == "route_failed" for r in caplog.records) >= 6)
        await js.add_stream(history)

        await wait_for(lambda: metric(relay.base_url, "relay_events_routed_total") == 1)
        stored = await js.get_last_msg(DELIVERED_STREAM, user_subject(1))
        assert json.loads(stored.data)["body"]["conversation_id"] == "1"
        assert route.calls == ["1"]  # its audience asked once: only storing was tried again
        assert not [r for r in caplog.records if r.getMessage() == "route_dropped"]
    finally:
        await nc.close()
