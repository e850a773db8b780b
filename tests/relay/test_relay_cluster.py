"""The relay on a NATS cluster: three real nats-server nodes on loopback, killed with SIGKILL.

What Canvas sees (the answers to its POSTs), what the stream holds (each event once, on as
many nodes as the relay says at start), what is routed, and what a load balancer reads on
/readyz, while the node that leads the stream is killed and brought back.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

import httpx
import nats
import pytest

from tests.nats_cluster import NatsCluster, move_leader, nats_cluster, wait_for_leader  # noqa: F401  (a fixture)
from tests.relay_fixtures import StaticRoute, Subscriber, conversation_event, metric, relay_settings, wait_for
from tests.relay_fixtures import relays  # noqa: F401  (a fixture)
from tests.relay_signing import key, keys  # noqa: F401  (fixtures)
from tests.relay_signing import sign
from tests.tls_certs import make_server_certificate
from tui_inbox.relay.digest import event_digest
from tui_inbox.relay.subjects import DELIVERED_STREAM, STREAM, user_subject

PASSWORD = "S3cret-broker-pass"


@pytest.fixture
def guarded_cluster(tmp_path):
    """The cluster, with a user and password every client must give."""
    with NatsCluster(tmp_path / "guarded", user="relay", password=PASSWORD) as cluster:
        yield cluster


@pytest.fixture
def tls_cluster(tmp_path):
    """The cluster, speaking TLS to clients with a certificate of a private CA (``ca_file``)."""
    certificate = make_server_certificate(tmp_path / "tls")
    with NatsCluster(tmp_path / "tls-cluster", tls=(certificate.cert_file, certificate.key_file)) as cluster:
        cluster.ca_file = str(certificate.ca_file)
        yield cluster


def ready(relay) -> int:
    return httpx.get(relay.base_url + "/readyz", timeout=5).status_code


def cluster_settings(urls, keys, **overrides):
    values = dict(ready_check_seconds=0.1, ack_wait_seconds=2.0)
    values.update(overrides)
    return relay_settings(urls, keys.url, **values)


async def post_until_taken(url: str, body: str, answers: list, deadline: float = 60.0) -> int:
    """POST as Canvas would, again after each 503 (Canvas waits longer), until it is taken: 202 or 200.
    Every answer is kept as (sent at, status)."""
    give_up = time.monotonic() + deadline
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            sent = time.monotonic()
            status = (await client.post(url, content=body)).status_code
            answers.append((sent, status))
            if status != 503 or time.monotonic() > give_up:
                return status
            await asyncio.sleep(0.1)


async def stored_digests(urls: list[str]) -> list[str]:
    """The Nats-Msg-Id of every message the stream holds, read from the cluster."""
    nc = await nats.connect(urls)
    try:
        js = nc.jetstream()
        state = (await js.stream_info(STREAM)).state
        digests = []
        for seq in range(state.first_seq, state.last_seq + 1):
            message = await js.get_msg(STREAM, seq)
            digests.append((message.headers or {}).get("Nats-Msg-Id"))
        return digests
    finally:
        await nc.close()


def start_lines(caplog) -> list[dict]:
    return [r.relay_fields for r in caplog.records if r.getMessage() == "stream_replicas"]


async def test_a_relay_given_the_clusters_urls_keeps_each_event_on_three_nodes_and_says_why(
        nats_cluster, keys, key, relays, caplog):
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    relay = relays(cluster_settings(nats_cluster.urls, keys), StaticRoute(user_subject(1)))
    assert [(line["replicas"], line["servers"]) for line in start_lines(caplog)] == [(3, 3)]
    assert "3 servers" in start_lines(caplog)[0]["why"]
    assert nats_cluster.replicas_of(STREAM) == 3

    subscriber = await Subscriber().start(nats_cluster.urls, user_subject(1))
    try:
        assert (await post_until_taken(relay.info.events_url, sign(conversation_event("1"), key), [])) == 202
        await wait_for(lambda: subscriber.names() == ["1"])
        await wait_for(lambda: ready(relay) == 200)
        assert metric(relay.base_url, "relay_ready") == 1
    finally:
        await subscriber.close()


async def test_a_relay_given_one_url_learns_the_others_and_survives_that_nodes_sigkill(
        guarded_cluster, keys, key, relays, caplog):
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    only = guarded_cluster.url(0)  # with the user and password in it
    relay = relays(cluster_settings(only, keys), StaticRoute(user_subject(1)))
    assert start_lines(caplog)[0]["replicas"] == 3  # it counted the cluster from the one server it reached
    assert (await post_until_taken(relay.info.events_url, sign(conversation_event("1"), key), [])) == 202

    guarded_cluster.kill(0)
    # The other nodes ask for the password too: the relay must give it to the servers it learned of.
    await wait_for(lambda: ready(relay) == 200, timeout=40)
    assert (await post_until_taken(relay.info.events_url, sign(conversation_event("2"), key), [])) == 202
    subscriber = await Subscriber().start(guarded_cluster.urls[1:], user_subject(1))
    try:
        assert (await post_until_taken(relay.info.events_url, sign(conversation_event("3"), key), [])) == 202
        await wait_for(lambda: "3" in subscriber.names(), timeout=20)
    finally:
        await subscriber.close()
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'relay_fields', '')}" for r in caplog.records)
    assert PASSWORD not in logged


async def test_over_tls_the_relay_trusts_the_ca_of_nats_ca_on_every_node_it_learns_of(
        tls_cluster, keys, key, relays):
    relay = relays(cluster_settings(tls_cluster.url(0), keys, nats_ca=tls_cluster.ca_file),
                   StaticRoute(user_subject(1)))
    assert relay.broker.nc.connected_url.scheme == "tls"
    assert (await post_until_taken(relay.info.events_url, sign(conversation_event("1"), key), [])) == 202
    tls_cluster.kill(0)
    await wait_for(lambda: ready(relay) == 200, timeout=40)
    assert (await post_until_taken(relay.info.events_url, sign(conversation_event("2"), key), [])) == 202
    assert relay.broker.nc.connected_url.port != tls_cluster.nodes[0].client_port


async def test_a_single_server_gets_one_replica_and_the_start_line_says_why(nats_server, keys, key, relays, caplog):
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    relays(cluster_settings(nats_server.url, keys))
    [line] = start_lines(caplog)
    assert (line["replicas"], line["servers"]) == (1, 1) and "1 server" in line["why"]
    nc = await nats.connect(nats_server.url)
    try:
        assert (await nc.jetstream().stream_info(STREAM)).config.num_replicas == 1
    finally:
        await nc.close()


async def test_a_stream_of_one_replica_is_raised_to_three_and_the_relay_says_so(
        nats_cluster, keys, key, relays, caplog):
    caplog.set_level(logging.INFO, logger="tui_inbox.relay")
    first = relays(cluster_settings(nats_cluster.urls, keys, replicas=1))
    assert (await post_until_taken(first.info.events_url, sign(conversation_event("1"), key), [])) == 202
    assert nats_cluster.replicas_of(STREAM) == 1
    first.stop()

    relays(cluster_settings(nats_cluster.urls, keys))
    raised = [r.relay_fields for r in caplog.records if r.getMessage() == "stream_replicas_raised"]
    # Both streams the relay declares: the events, and the routed copies kept for resuming.
    assert sorted(raised, key=lambda r: r["stream"]) == [{"stream": DELIVERED_STREAM, "before": 1, "after": 3},
                                                         {"stream": STREAM, "before": 1, "after": 3}]
    assert nats_cluster.replicas_of(STREAM) == nats_cluster.replicas_of(DELIVERED_STREAM) == 3
    await asyncio.to_thread(lambda: wait_for_caught_up(nats_cluster, [0, 1, 2]))


def wait_for_caught_up(cluster: NatsCluster, nodes: list[int], timeout: float = 40.0) -> None:
    from tests.waiting import wait_until

    wait_until(lambda: all(cluster.caught_up(node, STREAM) for node in nodes), timeout=timeout, interval=0.1)


async def test_readyz_goes_503_within_two_seconds_of_the_broker_stopping_and_200_when_it_is_back(
        nats_server, keys, relays):
    relay = relays(cluster_settings(nats_server.url, keys))
    await wait_for(lambda: ready(relay) == 200)
    assert metric(relay.base_url, "relay_ready") == 1

    nats_server.stop(remove_store=False)
    await wait_for(lambda: ready(relay) == 503, timeout=2.0)
    answer = httpx.get(relay.base_url + "/readyz", timeout=5)
    assert answer.json()["status"] == "unavailable" and "\n" not in answer.text and answer.json()["reason"]
    assert metric(relay.base_url, "relay_ready") == 0

    nats_server.start()
    await wait_for(lambda: ready(relay) == 200, timeout=15)
    assert metric(relay.base_url, "relay_ready") == 1


async def test_killing_the_node_that_leads_the_stream_loses_and_duplicates_nothing_and_the_cluster_heals(
        nats_cluster, keys, key, relays):
    routes = [StaticRoute(user_subject(1)), StaticRoute(user_subject(1))]
    # A publish that merely took long on a busy machine would be a 503 too: only a missing leader should.
    a, b = (relays(cluster_settings(nats_cluster.urls, keys, publish_timeout_seconds=5.0), route)
            for route in routes)
    leader = await asyncio.to_thread(wait_for_leader, nats_cluster, STREAM)
    others = [n for n in range(3) if n != leader]
    # What the relays route, heard on a node that stays up.
    subscriber = await Subscriber().start([nats_cluster.url(n) for n in others], user_subject(1))

    # A load balancer would stop sending to a relay that is not ready: this one watches /readyz.
    unready_seen: list[float] = []
    watching = True

    async def watch() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while watching:
                for relay in (a, b):
                    if (await client.get(relay.base_url + "/readyz")).status_code != 200:
                        unready_seen.append(time.monotonic())
                await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    events = [conversation_event(str(n)) for n in range(40)]
    answers: list[tuple[float, int]] = []
    taken: list[int] = []
    killed_at = None
    try:
        for n, event in enumerate(events):
            if n == 10:
                killed_at = time.monotonic()
                nats_cluster.kill(leader)
            relay = (a, b)[n % 2]  # Canvas's POSTs spread over both
            taken.append(await post_until_taken(relay.info.events_url, sign(event, key), answers))
    finally:
        watching = False
        await watcher

    # Canvas: every event taken, never a 500; refused (503) only after the kill, while not ready.
    assert all(status in (200, 202) for status in taken)
    assert {status for _, status in answers} <= {200, 202, 503}
    refused = [sent for sent, status in answers if status == 503]
    assert all(sent >= killed_at for sent in refused)
    if refused:
        assert unready_seen and max(refused) <= max(unready_seen) + 2.0

    # The stream: each event once, whatever relay and node took it.
    expected = {event_digest(event) for event in events}
    stored = await stored_digests([nats_cluster.url(n) for n in others])
    assert collections.Counter(stored) == collections.Counter(expected)
    # Routed: every event reached the delivery subject (a redelivery may repeat one; fanout drops it by digest).
    await wait_for(lambda: {digest for _, digest in subscriber.received} == expected, timeout=40)
    # Counted as routed once its copies are kept for resuming and it is acked: an event whose copy
    # met the delivered stream without a leader (it may have led there too) is routed again once
    # one is elected, after its retry delay.
    await wait_for(lambda: metric(a.base_url, "relay_events_routed_total")
                   + metric(b.base_url, "relay_events_routed_total") >= 40, timeout=60)

    # The node comes back, catches up, and both relays keep going.
    nats_cluster.start(leader)
    await asyncio.to_thread(wait_for_caught_up, nats_cluster, [0, 1, 2])
    await wait_for(lambda: ready(a) == 200 and ready(b) == 200, timeout=20)
    last = conversation_event("last")
    assert (await post_until_taken(b.info.events_url, sign(last, key), [])) == 202
    await wait_for(lambda: event_digest(last) in {digest for _, digest in subscriber.received}, timeout=20)
    await subscriber.close()


# -- the command ---------------------------------------------------------------------------------------------

def relay_command(*args: str, **env: str):
    from tests.relay.test_relay_command import ADMIN_TOKEN, relay_env, run_relay_command

    return run_relay_command("--canvas-url", "https://school.instructure.com", *args,
                             env=relay_env(TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN, **env))


def not_a_creds_file(tmp_path):
    path = tmp_path / "relay.creds"
    path.write_text("user = relay\npassword = nope\n")
    return str(path)


def not_a_pem(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    return str(path)


GOOD = f"nats://relay:{PASSWORD}@127.0.0.1:4222"


@pytest.mark.parametrize("args, expected", [
    (["--nats", f"{GOOD}, http://relay:{PASSWORD}@nats.school.edu:4222"],
     "nats:// or tls:// URLs, e.g. nats://127.0.0.1:4222, not 'http://relay:***@nats.school.edu:4222'"),
    (["--nats", f"{GOOD} nats://relay:{PASSWORD}@127.0.0.1:99999"], "bad port: 'nats://relay:***@127.0.0.1:99999'"),
    (["--nats", f"{GOOD},nats://other:pass@127.0.0.1:4223"], "different users or passwords"),
    (["--nats", " , "], "--nats needs a URL"),
    (["--nats", GOOD, "--nats-creds", "/no/such/relay.creds"], "--nats-creds '/no/such/relay.creds' cannot be read"),
    (["--nats", GOOD, "--nats-creds", not_a_creds_file], "is not a NATS credentials file"),
    (["--nats", GOOD, "--nats-ca", "/no/such/ca.pem"], "--nats-ca '/no/such/ca.pem' cannot be read"),
    (["--nats", GOOD, "--nats-ca", not_a_pem], "holds no PEM certificate"),
    (["--nats-ca", "/etc/hostname"], "give its URLs too"),
    (["--nats", GOOD, "--replicas", "7"], "--replicas must be from 1 to 5"),
    (["--nats", GOOD, "--replicas", "three"], "'three' is not a number of replicas"),
    (["--replicas", "3"], "--replicas above 1 needs a NATS cluster"),
])
def test_a_bad_nats_value_is_one_line_exit_2_and_never_shows_the_password(args, expected, tmp_path):
    args = [arg(tmp_path) if callable(arg) else arg for arg in args]
    done = relay_command(*args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_an_unreachable_cluster_is_one_line_with_its_urls_redacted():
    from tui_inbox.relay.nats_child import free_port

    urls = [f"nats://relay:{PASSWORD}@127.0.0.1:{free_port()}" for _ in range(2)]
    done = relay_command(TUI_INBOX_RELAY_NATS=" ".join(urls))  # the environment: no password in `ps`
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tui-inbox relay: cannot reach NATS at nats://relay:***@127.0.0.1:")
    assert "," in last and PASSWORD not in done.stderr and "Traceback" not in done.stderr


def test_the_command_on_the_cluster_says_on_stderr_how_many_replicas_and_why(nats_cluster, keys, tmp_path):
    from tests.relay_processes import Processes
    from tests.relay.test_relay_command import ADMIN_TOKEN

    processes = Processes(tmp_path)
    try:
        first, second, third = nats_cluster.urls
        relay = processes.start("relay", "relay", "--canvas-url", "http://127.0.0.1:9", "--jwks-url", keys.url,
                                "--nats", f"{first}, {second} {third}", TUI_INBOX_RELAY_ADMIN_TOKEN=ADMIN_TOKEN)
        base = relay.first_line()["events_url"].removesuffix("/canvas/live-events")
        assert httpx.get(base + "/readyz", timeout=5).status_code in (200, 503)
    finally:
        processes.stop_all()
    import json

    lines = [json.loads(line) for line in relay.stderr().splitlines() if line.strip()]
    [said] = [line for line in lines if line["event"] == "stream_replicas"]
    assert (said["replicas"], said["servers"]) == (3, 3) and "3 servers" in said["why"]
    assert nats_cluster.replicas_of(STREAM) == 3


# -- what people see -----------------------------------------------------------------------------------------

async def test_people_on_two_relays_miss_nothing_and_get_nothing_twice_while_the_streams_leader_is_killed(
        nats_cluster):
    """Data Services (the sandbox) posts to relay A; the teacher is connected to B, Jane to A. What
    each receives through the relays is compared with the sandbox's own stream to them."""
    from tests.relay.test_relay_end_to_end import JANE, LAB_REPORT, TEACHER, School, jane_writes, token
    from tests.relay_fixtures import Listener
    from tests.waiting import async_wait_until

    def messages(listener: Listener) -> list[str]:
        return [f["body"]["message_id"] for f in listener.frames
                if f["metadata"]["event_name"] == "conversation_message_created"
                and f["body"]["conversation_id"] == str(LAB_REPORT)]

    # Canvas's retry waits, shrunk, still outlast an election on a busy machine: the three add up
    # to 26 s at least.
    place = School(nats_cluster.urls, ds_retry_base_seconds=5.0)
    try:
        users, live = place.users, place.sandbox.info.live_url
        async with Listener(live, token(users, TEACHER)) as teacher_direct, \
                Listener(live, token(users, JANE)) as jane_direct, \
                Listener(place.b.info.live_url, token(users, TEACHER)) as teacher, \
                Listener(place.a.info.live_url, token(users, JANE)) as jane:
            # The relays hand events to each other over core NATS: one whose own server dies misses
            # what is published while it reconnects (live-stream.md's resuming is the cure). Here
            # the stream's leader is killed, on a node neither relay is connected to.
            used = {relay.broker.nc.connected_url.port for relay in (place.a, place.b)}
            leader = next(n for n, node in enumerate(nats_cluster.nodes) if node.client_port not in used)
            await move_leader(nats_cluster, STREAM, leader)
            for n in range(20):
                if n == 5:
                    nats_cluster.kill(leader)
                jane_writes(place, LAB_REPORT, f"message {n}")
            await async_wait_until(lambda: len(messages(teacher_direct)) == 20, timeout=20)
            await async_wait_until(lambda: len(messages(teacher)) >= 20 and len(messages(jane)) >= 20, timeout=90)

            nats_cluster.start(leader)
            await asyncio.to_thread(wait_for_caught_up, nats_cluster, [0, 1, 2])
            jane_writes(place, LAB_REPORT, "after the node is back")
            await async_wait_until(lambda: len(messages(teacher_direct)) == 21 and len(messages(jane_direct)) == 21)
            await async_wait_until(lambda: len(messages(teacher)) >= 21 and len(messages(jane)) >= 21, timeout=30)
            stats = place.sandbox.data_services_stats()
            for through_relay, direct in ((teacher, teacher_direct), (jane, jane_direct)):
                assert sorted(messages(through_relay)) == sorted(messages(direct))  # none lost, none twice
        assert stats["dropped"] == 0 and stats["retried"] >= 1 and stats["last_failure"] == "HTTP 503"
    finally:
        await asyncio.to_thread(place.stop)


def test_more_replicas_than_the_servers_of_nats_is_one_line_and_exit_1(nats_server):
    done = relay_command("--nats", nats_server.url.replace("nats://", f"nats://relay:{PASSWORD}@"),
                         "--replicas", "3")
    assert done.returncode == 1 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert "refused 3 replicas" in last and "use --replicas 1" in last and "relay:***@" in last
    assert PASSWORD not in done.stderr and "Traceback" not in done.stderr
