"""Who may see an event, and the stream out: the relay's routing, identities, fanout and /live.

Canvas is the real sandbox over HTTP, the broker a real nats-server; events are the
sandbox's own, taken from its /live as a user sees them. A request counter wraps a real
HTTP transport where a test must know whether Canvas was asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging

import httpx
import nats
import pytest
from prometheus_client import CollectorRegistry, Counter
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.relay_live_server import RunningLive
from tests.slow_subscribe_link import SlowSubscribeLink
from tests.waiting import async_wait_until
from tui_inbox.relay.fanout import Fanout
from tui_inbox.relay.identity import Identities, Refusal
from tui_inbox.relay.nats_flush import flush_written
from tui_inbox.relay.routing import Router, local_id
from tui_inbox.relay.subjects import (DIGEST_HEADER, conversation_subject, course_subject, group_subject,
                                      section_subject, user_subject, user_subjects)
from tui_inbox.sandbox.events import global_id

TEACHER = 1
WAIT = 5.0


class Counting(httpx.AsyncBaseTransport):
    """A real HTTP transport that remembers each request's path and query."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    def paths(self, start: str = "") -> list[str]:
        return [r.url.path for r in self.requests if r.url.path.startswith(start)]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def token(sandbox, user_id: int) -> str:
    return next(u["token"] for u in sandbox.info.users if u["id"] == user_id)


def api(sandbox, user_id: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token(sandbox, user_id)}"},
                             timeout=10)


def live(url: str, bearer: str | None):
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return connect(url, additional_headers=headers, open_timeout=WAIT)


async def next_event(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def event_named(ws, name: str) -> dict:
    while True:
        event = await next_event(ws)
        if event["metadata"]["event_name"] == name:
            return event


def student_ids(sandbox) -> list[int]:
    return [u["id"] for u in sandbox.info.users if u["role"] == "student"]


@pytest.fixture
async def router(sandbox):
    counting = Counting()
    http = httpx.AsyncClient(transport=counting)
    made = Router(sandbox.base_url, sandbox.info.token_of("admin"), http=http)
    made.counting = counting
    yield made
    await made.aclose()
    await http.aclose()


# -- routing: conversations ------------------------------------------------------------------------
async def test_a_message_goes_to_its_participants_and_not_to_a_third_user(sandbox, router):
    writer, third = student_ids(sandbox)[:2]
    async with api(sandbox, writer) as student, api(sandbox, TEACHER) as teacher, \
            live(sandbox.live_url, token(sandbox, TEACHER)) as ws:
        made = await student.post("/api/v1/conversations", data={
            "recipients[]": [str(TEACHER)], "body": "A question about the lab", "force_new": "true"})
        assert made.status_code == 201
        event = await event_named(ws, "conversation_message_created")
        assert event["body"]["conversation_id"] == str(made.json()[0]["id"])

        subjects = await router.subjects_for(event)
        conversation = made.json()[0]["id"]
        assert sorted(subjects) == sorted([conversation_subject(TEACHER, conversation),
                                           conversation_subject(writer, conversation)])
        assert not any(subject.startswith(user_subject(third) + ".") for subject in subjects)
        # Asked as the actor, without marking the conversation read for anyone.
        (asked,) = router.counting.requests
        assert asked.url.params["as_user_id"] == str(writer) and asked.url.params["auto_mark_as_read"] == "false"
        shown = await teacher.get(f"/api/v1/conversations/{event['body']['conversation_id']}",
                                  params={"auto_mark_as_read": "0"})
        assert shown.json()["workflow_state"] == "unread"


async def team_of_three(teacher, ws, first: int, second: int) -> tuple[int, dict, set[str]]:
    """The teacher starts a group conversation with two students: its id, its first message's event
    (read on the teacher's live stream) and the three participants' subjects."""
    group = await teacher.post("/api/v1/conversations", data={
        "recipients[]": [str(first), str(second)], "body": "Project team", "group_conversation": "true"})
    created = await event_named(ws, "conversation_message_created")
    conversation_id = group.json()[0]["id"]
    return conversation_id, created, {conversation_subject(u, conversation_id) for u in (TEACHER, first, second)}


async def test_participants_are_cached_and_dropped_when_people_are_added(sandbox, router):
    first, second, added = student_ids(sandbox)[:3]
    async with api(sandbox, TEACHER) as teacher, live(sandbox.live_url, token(sandbox, TEACHER)) as ws:
        conversation_id, created, before = await team_of_three(teacher, ws, first, second)
        assert set(await router.subjects_for(created)) == before
        asked = len(router.counting.requests)

        again = await teacher.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": "Agenda"})
        assert again.status_code in (200, 201)
        second_message = await event_named(ws, "conversation_message_created")
        assert set(await router.subjects_for(second_message)) == before
        assert len(router.counting.requests) == asked  # from the cache: Canvas was not asked

        adding = await teacher.post(f"/api/v1/conversations/{conversation_id}/add_recipients",
                                    data={"recipients[]": [str(added)]})
        assert adding.status_code == 200
        forwarded = await event_named(ws, "conversation_forwarded")
        assert set(await router.subjects_for(forwarded)) == before | {conversation_subject(added, conversation_id)}
        assert len(router.counting.requests) == asked + 1


async def test_people_added_on_one_instance_are_heard_of_by_the_others_cache(sandbox, nats_server):
    """Two instances share the routing: the forward may be routed by A and the next message by B.
    B must not route it with the list it cached before the add (the added person would miss it)."""
    from tui_inbox.relay.participants_sync import share_forgetting

    first, second, added = student_ids(sandbox)[:3]
    routers = [Router(sandbox.base_url, sandbox.info.token_of("admin")) for _ in range(2)]
    connections = [await nats.connect(nats_server.url) for _ in routers]
    for nc, router in zip(connections, routers):
        await share_forgetting(nc, router)
    a, b = routers
    try:
        async with api(sandbox, TEACHER) as teacher, live(sandbox.live_url, token(sandbox, TEACHER)) as ws:
            conversation_id, created, before = await team_of_three(teacher, ws, first, second)
            assert set(await a.subjects_for(created)) == set(await b.subjects_for(created)) == before

            await teacher.post(f"/api/v1/conversations/{conversation_id}/add_recipients",
                               data={"recipients[]": [str(added)]})
            forwarded = await event_named(ws, "conversation_forwarded")
            assert conversation_subject(added, conversation_id) in await a.subjects_for(forwarded)  # A routes the forward
            await async_wait_until(lambda: b.participants.get(conversation_id) is None, timeout=WAIT)

            await teacher.post(f"/api/v1/conversations/{conversation_id}/add_message", data={"body": "Welcome!"})
            welcome = await event_named(ws, "conversation_message_created")
            assert set(await b.subjects_for(welcome)) == before | {conversation_subject(added, conversation_id)}  # B routes the message
            assert a.participants.get(conversation_id) is not None  # A's own news did not cost it its list
    finally:
        for nc in connections:
            await nc.close()
        for router in routers:
            await router.aclose()


async def test_a_conversation_the_actor_cannot_see_has_no_audience_and_logs_no_text(sandbox, router, caplog):
    event = {"metadata": {"event_name": "conversation_message_created", "user_id": global_id(TEACHER)},
             "body": {"conversation_id": "987654", "author_id": "1", "message_id": "5", "created_at": "x"}}
    stranger = {"metadata": {"event_name": "conversation_created", "user_id": global_id(99999)},
                "body": {"conversation_id": "1", "updated_at": "x"}}
    with caplog.at_level(logging.WARNING, logger="tui_inbox.relay.routing"):
        assert await router.subjects_for(event) == []
        assert await router.subjects_for(stranger) == []  # Canvas's 401 "Invalid as_user_id" for an unknown actor
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "987654" in lines[0] and "HTTP 404" in lines[0] and "HTTP 401" in lines[1]


async def test_unknown_and_malformed_events_go_nowhere(router):
    assert await router.subjects_for({"metadata": {"event_name": "grade_change"}, "body": {}}) == []
    assert await router.subjects_for({"metadata": "nope"}) == []
    assert await router.subjects_for({"metadata": {"event_name": "conversation_created"}, "body": {}}) == []
    assert router.counting.requests == []


# -- routing: discussions ---------------------------------------------------------------------------
async def test_a_discussion_entry_goes_to_its_course_by_local_id_and_its_topic_is_asked_once(sandbox, router):
    async with api(sandbox, TEACHER) as teacher, live(sandbox.live_url, token(sandbox, TEACHER)) as ws:
        topics = (await teacher.get("/api/v1/courses/1/discussion_topics")).json()
        topic = next(t for t in topics if not t.get("locked"))
        for text in ("<p>Reminder</p>", "<p>And another</p>"):
            posted = await teacher.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                                        data={"message": text})
            assert posted.status_code in (200, 201)
        first = await event_named(ws, "discussion_entry_created")
        second = await event_named(ws, "discussion_entry_created")
    assert first["metadata"]["context_id"] == global_id(1)
    assert await router.subjects_for(first) == [course_subject(1)] == ["deliver.course.1"]
    assert await router.subjects_for(second) == [course_subject(1)]
    # Who may see the topic was asked once, with the admin token, and remembered.
    assert router.counting.paths() == [f"/api/v1/courses/1/discussion_topics/{topic['id']}"]


async def test_discussion_events_without_a_topic_or_context_go_nowhere_unasked(router):
    group_event = {"metadata": {"event_name": "discussion_topic_created", "context_type": "Group",
                                "context_id": global_id(1)},
                   "body": {"workflow_state": "active", "context_id": "1", "context_type": "Group"}}
    assert await router.subjects_for(group_event) == []  # no topic id: Canvas cannot be asked who sees it
    elsewhere = {**group_event, "metadata": {**group_event["metadata"], "context_type": "Account"},
                 "body": {"discussion_topic_id": "3"}}
    assert await router.subjects_for(elsewhere) == []
    assert router.counting.requests == []
    assert local_id("21070000000000042") == 42 and local_id("42") == 42 and local_id("x") is None


# -- identities --------------------------------------------------------------------------------------
def _strings_in(value, seen=None):
    """Every str and bytes reachable from an object's attributes and containers (``seen``: ids not to enter)."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (str, bytes)):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings_in(k, seen)
            yield from _strings_in(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings_in(v, seen)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings_in(getattr(value, f.name), seen)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        yield from _strings_in(vars(value), seen)


async def test_identities_check_the_token_each_time_and_ask_the_rest_once_per_ttl_keeping_no_token(sandbox):
    """Every handshake asks Canvas /users/self (a token may have expired or been revoked since,
    app/models/access_token.rb ``usable?``); courses and groups are kept by user for the TTL."""
    jane = student_ids(sandbox)[0]
    world = sandbox.state.world
    now = [1000.0]
    counting = Counting()
    async with httpx.AsyncClient(transport=counting) as http:
        identities = Identities(sandbox.base_url, ttl_seconds=300, http=http, clock=lambda: now[0])
        assert await identities.resolve("7~not-a-token") == Refusal({"errors": [{"message": "Invalid access token."}]})

        secret = token(sandbox, jane)
        identity = await identities.resolve(secret)
        active = sorted(c for c in world.course_ids_of(jane) if not world.courses[c].concluded)
        assert identity.user_id == jane
        assert list(identity.course_ids) == active and 4 not in identity.course_ids  # STAT 200 is concluded
        assert list(identity.group_ids) == world.group_ids_of(jane) == [1]
        sections = {e.section_id for e in world.enrollments if e.user_id == jane and e.course_id in active}
        assert sections and identity.staff_course_ids == ()  # a student: no course's staff subject
        assert set(identity.subjects()) == ({user_subjects(jane), group_subject(1)}
                                            | {course_subject(c) for c in active}
                                            | {section_subject(s) for s in sections})
        asked = len(counting.requests)
        assert asked == 1 + 3  # the bad token's /users/self, then self, courses, groups

        now[0] += 299
        assert await identities.resolve(secret) == identity
        assert len(counting.requests) == asked + 1  # within the TTL: the token's check only
        assert counting.requests[-1].url.path == "/api/v1/users/self"

        # What Identities holds, not the test's own client (its counter keeps every request, headers too).
        held = list(_strings_in(identities, {id(http)}))
        fingerprints = {secret, hashlib.sha256(secret.encode()).hexdigest()}
        assert not any(s in text for text in held if isinstance(text, str) for s in fingerprints)
        assert not any(secret.encode() in b or hashlib.sha256(secret.encode()).digest() == b
                       for b in held if isinstance(b, bytes))
        assert secret not in repr(identities)

        now[0] += 2  # past the TTL: asked again
        assert await identities.resolve(secret) == identity
        assert len(counting.requests) == asked + 1 + 3
        # The token went to the configured Canvas only, in the Authorization header only.
        assert {r.url.host for r in counting.requests} == {"127.0.0.1"}
        assert not any(secret in str(r.url) for r in counting.requests)


async def test_many_connections_of_one_user_at_once_cost_canvas_one_round_trip(sandbox):
    # A school's apps reconnect together after a relay restarts: 50 handshakes of one
    # user must not become 150 requests to Canvas; a bad token shared by many is asked once too.
    jane = student_ids(sandbox)[0]
    counting = Counting()
    async with httpx.AsyncClient(transport=counting) as http:
        identities = Identities(sandbox.base_url, http=http)
        secret = token(sandbox, jane)

        resolved = await asyncio.gather(*(identities.resolve(secret) for _ in range(50)))
        refused = await asyncio.gather(*(identities.resolve("7~not-a-token") for _ in range(20)))

    assert {identity.user_id for identity in resolved} == {jane}
    assert refused == [Refusal({"errors": [{"message": "Invalid access token."}]})] * 20
    assert len(counting.requests) == 3 + 1  # self, courses, groups; the bad token's /users/self


# -- fanout on a real NATS -------------------------------------------------------------------------
async def test_fanout_subscribes_while_needed_and_drops_for_a_full_queue(nats_server):
    nc = await nats.connect(nats_server.url)
    try:
        registry = CollectorRegistry()
        dropped = Counter("dropped", "frames a full queue did not take", registry=registry)
        fanout = Fanout(nc, dropped_counter=dropped)
        fast, slow = asyncio.Queue(), asyncio.Queue(maxsize=1)
        await fanout.attach(fast, [user_subject(5), course_subject(2)])
        await fanout.attach(slow, [course_subject(2)])
        assert fanout.subjects == [course_subject(2), user_subject(5)]
        for n in range(3):
            await nc.publish(course_subject(2), f'{{"n":{n}}}'.encode(), headers={DIGEST_HEADER: f"d{n}"})
        await async_wait_until(lambda: fast.qsize() == 3 and fanout.dropped == 2)
        assert [fast.get_nowait() for _ in range(3)] == ['{"n":0}', '{"n":1}', '{"n":2}']
        assert slow.qsize() == 1 and slow.get_nowait() == '{"n":0}'  # kept the first, dropped the rest
        assert registry.get_sample_value("dropped_total") == 2  # what /metrics shows an operator

        await fanout.detach(slow)
        assert fanout.subjects == [course_subject(2), user_subject(5)]  # still needed by the other
        await fanout.detach(fast)
        assert fanout.subjects == []
    finally:
        await nc.close()


async def test_a_connection_is_attached_only_once_nats_has_its_subscriptions(nats_server):
    """An event published as soon as ``attach`` returns reaches the queue, even when the link to NATS
    is slow for subscriptions: nats-py's flush alone came back before NATS had them (relay/nats_flush.py),
    and the user's first event after the handshake was lost, on a busy machine now and then."""
    async with SlowSubscribeLink(nats_server.port, hold=0.3) as link:
        relay_nc = await nats.connect(link.url)
        publisher = await nats.connect(nats_server.url)
        try:
            fanout = Fanout(relay_nc)
            queue: asyncio.Queue = asyncio.Queue()
            await fanout.attach(queue, [user_subject(7)])
            await publisher.publish(user_subject(7), b'{"n":1}', headers={DIGEST_HEADER: "first"})
            await flush_written(publisher, WAIT)
            assert await asyncio.wait_for(queue.get(), WAIT) == '{"n":1}'
        finally:
            await publisher.close()
            await relay_nc.close()


# -- the stream: /live over uvicorn, NATS, and the sandbox as Canvas ------------------------------
@pytest.fixture
def relay_live(sandbox, nats_server):
    with RunningLive(sandbox.base_url, nats_server.url) as running:
        yield running


async def publish(nc, subject: str, event: dict, digest: str | None = None) -> bytes:
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    await nc.publish(subject, data, headers={DIGEST_HEADER: digest or hashlib.sha256(data).hexdigest()})
    await flush_written(nc, WAIT)
    return data


def frame(name: str, n: int) -> dict:
    return {"metadata": {"event_name": name, "user_id": global_id(TEACHER)},
            "body": {"conversation_id": str(n), "note": "é"}}


async def test_each_connection_gets_only_what_its_user_may_see(sandbox, nats_server, relay_live):
    jane = student_ids(sandbox)[0]
    world = sandbox.state.world
    teacher_only = next(c for c in world.course_ids_of(TEACHER)
                        if c not in world.course_ids_of(jane) and not world.courses[c].concluded)
    nc = await nats.connect(nats_server.url)
    try:
        async with live(relay_live.url, token(sandbox, TEACHER)) as teacher_ws, \
                live(relay_live.url, token(sandbox, jane)) as jane_ws:
            assert relay_live.metrics.value("relay_connections") == 2
            for_jane = await publish(nc, conversation_subject(jane, 1), frame("conversation_message_created", 1))
            assert (await asyncio.wait_for(jane_ws.recv(), WAIT)).encode() == for_jane  # the bytes, exactly
            # Jane's copy was handed out; were it also queued for the teacher it would come
            # before the teacher's own next event (one queue, in order).
            course_event = await publish(nc, course_subject(teacher_only), frame("discussion_entry_created", 2))
            assert (await asyncio.wait_for(teacher_ws.recv(), WAIT)).encode() == course_event
            shared = await publish(nc, course_subject(1), frame("discussion_entry_created", 3))
            assert (await asyncio.wait_for(jane_ws.recv(), WAIT)).encode() == shared  # not the teacher-only one
            assert (await asyncio.wait_for(teacher_ws.recv(), WAIT)).encode() == shared
            # Counted once sent, which the client may see first.
            await async_wait_until(lambda: relay_live.metrics.value("relay_delivered_total") == 4)
        await async_wait_until(lambda: relay_live.metrics.value("relay_connections") == 0)
        await async_wait_until(lambda: relay_live.call(lambda: relay_live.fanout.subjects) == [])
    finally:
        await nc.close()


async def test_a_burst_reaches_each_connection_whole_in_order_and_counted(sandbox, nats_server, relay_live):
    """Frames waiting for a connection are taken and sent together: each is still one text frame, in order."""
    jane = student_ids(sandbox)[0]
    nc = await nats.connect(nats_server.url)
    try:
        secret = token(sandbox, jane)
        async with live(relay_live.url, secret) as phone, live(relay_live.url, secret) as laptop:
            for n in range(300):
                event = frame("conversation_message_created", n)
                data = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
                await nc.publish(conversation_subject(jane, n), data, headers={DIGEST_HEADER: f"burst{n}"})
            await nc.flush()
            for ws in (phone, laptop):
                got = [json.loads(await asyncio.wait_for(ws.recv(), WAIT))["body"]["conversation_id"]
                       for _ in range(300)]
                assert got == [str(n) for n in range(300)]
            await async_wait_until(lambda: relay_live.metrics.value("relay_delivered_total") == 600)
    finally:
        await nc.close()


async def test_a_redelivered_event_reaches_a_connection_once(sandbox, nats_server, relay_live):
    jane = student_ids(sandbox)[0]
    nc = await nats.connect(nats_server.url)
    try:
        async with live(relay_live.url, token(sandbox, jane)) as ws:
            event = frame("conversation_message_created", 7)
            first = await publish(nc, conversation_subject(jane, 7), event, digest="same")
            await publish(nc, conversation_subject(jane, 7), event, digest="same")  # the router's second try
            marker = await publish(nc, conversation_subject(jane, 8), frame("conversation_message_created", 8))
            assert (await asyncio.wait_for(ws.recv(), WAIT)).encode() == first
            assert (await asyncio.wait_for(ws.recv(), WAIT)).encode() == marker
    finally:
        await nc.close()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_bad_or_missing_token_is_refused_with_401_before_the_upgrade(sandbox, relay_live, caplog):
    # uvicorn's own logger does not propagate to the root (caplog's): listen on it directly.
    uvicorn_log = Records()
    logging.getLogger("uvicorn.error").addHandler(uvicorn_log)
    try:
        for bearer, body in (("7~not-a-token", {"errors": [{"message": "Invalid access token."}]}),
                             (None, {"status": "unauthenticated",
                                     "errors": [{"message": "user authorization required"}]})):
            with caplog.at_level(logging.DEBUG):
                with pytest.raises(InvalidStatus) as refused:
                    async with live(relay_live.url, bearer):
                        pass
            assert refused.value.response.status_code == 401
            assert json.loads(refused.value.response.body) == body
    finally:
        logging.getLogger("uvicorn.error").removeHandler(uvicorn_log)
    assert relay_live.metrics.value("relay_connections") == 0
    assert not [r.getMessage() for r in uvicorn_log.records if r.levelno >= logging.ERROR]
    # Nothing the relay logged, at any level, holds the token (the test's own client logs its headers).
    relay_side = [r for r in caplog.records + uvicorn_log.records if r.name != "websockets.client"]
    assert relay_side and not any("7~not-a-token" in r.getMessage() for r in relay_side)


async def test_a_real_message_routed_through_nats_reaches_its_participants_and_not_a_third(
        sandbox, nats_server, relay_live, router):
    """The live-stream.md property end to end: the sandbox's own event, routed by the Router,
    published on each subject, served by /live; a third user, connected, receives none of it."""
    writer, third = student_ids(sandbox)[:2]
    nc = await nats.connect(nats_server.url)
    try:
        async with api(sandbox, writer) as student, live(sandbox.live_url, token(sandbox, TEACHER)) as canvas_ws, \
                live(relay_live.url, token(sandbox, TEACHER)) as teacher_ws, \
                live(relay_live.url, token(sandbox, writer)) as writer_ws, \
                live(relay_live.url, token(sandbox, third)) as third_ws:
            made = await student.post("/api/v1/conversations", data={
                "recipients[]": [str(TEACHER)], "body": "Only for the teacher", "force_new": "true"})
            assert made.status_code == 201
            event = await event_named(canvas_ws, "conversation_message_created")
            digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
            for subject in await router.subjects_for(event):
                sent = await publish(nc, subject, event, digest)
            for ws in (teacher_ws, writer_ws):
                assert json.loads(await asyncio.wait_for(ws.recv(), WAIT)) == event
            marker = await publish(nc, conversation_subject(third, 9), frame("conversation_created", 9))
            assert (await asyncio.wait_for(third_ws.recv(), WAIT)).encode() == marker != sent
    finally:
        await nc.close()


def test_the_participants_cache_is_bounded_in_size_and_age():
    from tui_inbox.relay.expiring_cache import ParticipantCache

    now = [0.0]
    cache = ParticipantCache(max_entries=2, max_age=60, clock=lambda: now[0])
    cache.put(1, (1, 2))
    cache.put(2, (2, 3))
    assert cache.get(1) == (1, 2)  # 1 is now the most recent
    cache.put(3, (3, 4))
    assert (len(cache), cache.get(2), cache.get(1)) == (2, None, (1, 2))  # the least recently used went
    now[0] = 61
    assert cache.get(1) is None and cache.get(3) is None  # too old: asked again


async def test_a_router_uses_the_cache_it_is_given_even_an_empty_one(sandbox):
    from tui_inbox.relay.expiring_cache import ParticipantCache

    keeps_nothing = ParticipantCache(max_entries=0)
    router = Router(sandbox.base_url, sandbox.info.token_of("admin"), participants=keeps_nothing)
    try:
        assert router.participants is keeps_nothing
    finally:
        await router.aclose()


async def test_a_token_that_cannot_be_one_is_refused_without_asking_canvas(sandbox, relay_live):
    # Clients will not send such a header, so the handshake is written by hand.
    host, port = relay_live.url.removeprefix("ws://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 b"Authorization: Bearer 7~\xe9t\xe9\r\n\r\n")
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), WAIT)
    writer.close()
    assert status.split()[1] == b"401"


async def test_without_nats_a_handshake_is_told_to_come_back(sandbox, nats_server, relay_live):
    nats_server.stop(remove_store=False)
    await async_wait_until(lambda: relay_live.call(lambda: not relay_live.fanout.nc.is_connected))
    with pytest.raises(InvalidStatus) as refused:
        async with live(relay_live.url, token(sandbox, TEACHER)):
            pass
    assert refused.value.response.status_code == 503
    assert relay_live.metrics.value("relay_connections") == 0
    assert relay_live.call(lambda: relay_live.fanout.subjects) == []


async def test_the_relays_stream_sends_frames_uncompressed(sandbox, nats_server):
    # permessage-deflate would compress each event once per connection and hold a zlib
    # state per connection: at a thousand connections, most of the relay's CPU and memory.
    from tui_inbox.relay.server import school_relay
    from tui_inbox.relay.settings import RelaySettings

    settings = RelaySettings(canvas_url=sandbox.base_url, admin_token=sandbox.info.token_of("admin"),
                             nats_urls=[nats_server.url], jwks_url=sandbox.base_url + "/data_services/jwks")
    relay = school_relay(settings).start()
    try:
        async with connect(relay.info.live_url,
                           additional_headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}) as ws:
            # The client offered it (websockets does by default); the relay declined.
            assert "permessage-deflate" in ws.request.headers.get("Sec-WebSocket-Extensions", "")
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
    finally:
        relay.stop()
