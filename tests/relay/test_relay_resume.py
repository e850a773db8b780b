"""Resuming (live-stream.md "Resuming", issue 24): a client that comes back with its last id gets
what it missed, once, in order, from the relay's history, whichever instance it reaches; and a
person added to a conversation is given what was routed before the relay heard they were added.

The sandbox is Canvas and Data Services (in a thread), POSTing each event to relay A; relays A
and B (threads, or B as a real process that is killed) share one real nats-server. What a user's
websocket receives is compared with the sandbox's own stream for that user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import nats
import pytest
import websockets

from tests.network_cut import NetworkCut
from tests.relay.test_relay_end_to_end import canvas_signed
from tests.relay_fixtures import Listener, metric
from tests.relay_processes import Processes
from tests.waiting import async_wait_until
from tui_inbox.relay.server import RunningRelay, school_relay
from tui_inbox.relay.settings import RelaySettings
from tui_inbox.relay.subjects import DELIVERED_STREAM, ROUTER, STREAM
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs

TEACHER, JANE, BOB, HIROSHI = 1, 10, 11, 2  # Hiroshi teaches World History only: no BIO 101, no shared thread
LAB_REPORT = 1  # the seeded conversation "Lab report extension", between Jane and the teacher
WAIT = 30.0  # generous: the suite runs four workers on two cores


class Place:
    """The sandbox delivering to relay A; relay B on the same NATS (or through ``cut``, a cable to pull)."""

    def __init__(self, nats_url: str, *, b_through: NetworkCut | None = None, relay_b: bool = True,
                 knobs: dict | None = None, **settings) -> None:
        self.sandbox = RunningSandbox(Knobs(seed=1, ds_retry_base_seconds=0.2, **(knobs or {})))
        self.users = self.sandbox.info.users
        self.nats_url = nats_url
        self.settings = settings
        self.relays: list[RunningRelay] = []
        try:
            self.a = self.start_relay(nats_url)
            b_url = f"nats://127.0.0.1:{b_through.port}" if b_through is not None else nats_url
            self.b = self.start_relay(b_url) if relay_b else None
            if knobs is None or "data_services_url" not in knobs:
                self.sandbox.state.knobs = dataclasses.replace(self.sandbox.state.knobs,
                                                               data_services_url=self.a.info.events_url)
            self.sandbox.start()
        except BaseException:
            self.stop()
            raise

    @property
    def admin(self) -> str:
        return next(u["token"] for u in self.users if u["role"] == "admin")

    def relay_settings(self, nats_url: str, port: int = 0) -> RelaySettings:
        values = dict(canvas_url=self.sandbox.base_url, admin_token=self.admin, nats_urls=[nats_url],
                      jwks_url=self.sandbox.info.jwks_url, port=port, lag_sample_seconds=0.05,
                      route_retry_seconds=0.05, ack_wait_seconds=2.0, jwks_refetch_seconds=0.1,
                      newcomer_recheck_seconds=0)
        values.update(self.settings)
        return RelaySettings(**values)

    def start_relay(self, nats_url: str) -> RunningRelay:
        relay = school_relay(self.relay_settings(nats_url)).start()
        self.relays.append(relay)
        return relay

    def token(self, user_id: int) -> str:
        return next(u["token"] for u in self.users if u["id"] == user_id)

    def api(self, user_id: int) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox.base_url, timeout=10,
                            headers={"Authorization": f"Bearer {self.token(user_id)}"})

    def write(self, writer: int, conversation_id: int, *bodies: str) -> None:
        with self.api(writer) as client:
            for body in bodies:
                assert client.post(f"/api/v1/conversations/{conversation_id}/add_message",
                                   data={"body": body}).status_code == 200

    async def all_routed(self) -> bool:
        """Every event Data Services handed to A is stored and routed (into the history), by whichever instance."""
        stats = self.sandbox.data_services_stats()
        if stats["accepted"] != stats["delivered"]:
            return False
        nc = await nats.connect(self.nats_url)
        try:
            router = await nc.jetstream().consumer_info(STREAM, ROUTER)
        finally:
            await nc.close()
        return router.num_pending == 0 and router.num_ack_pending == 0

    def stop(self) -> None:
        self.sandbox.stop()
        for relay in self.relays:
            relay.stop()


@pytest.fixture
def place(nats_server):
    made: list[Place] = []

    def make(**options) -> Place:
        made.append(Place(nats_server.url, **options))
        return made[-1]

    yield make
    for one in made:
        one.stop()


class Device:
    """One user's app as far as the stream goes: it connects, keeps every frame, reconnects with
    ``Last-Event-ID`` (the last id it received), and keeps its frames across connections. As the
    contract's client does (live-stream.md: "the client deduplicates by id"), a frame whose id it
    had is handled once: ``repeats`` counts them. A relay killed after routing an event and before
    acking it has the event routed again by another, whose copy reaches the subject's listeners
    with the same id; an event seen twice under two ids would still fail the tests."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.frames: list[dict] = []
        self.repeats = 0
        self._ids: set[str] = set()
        self.ws = None
        self._task: asyncio.Task | None = None

    async def connect(self, live_url: str, last_id: str | None = None) -> "Device":
        headers = {"Authorization": f"Bearer {self.token}"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        self.ws = await websockets.connect(live_url, additional_headers=headers, open_timeout=WAIT)
        self._task = asyncio.ensure_future(self._read(self.ws))
        return self

    async def _read(self, ws) -> None:
        try:
            async for frame in ws:
                item = json.loads(frame)
                if "id" in item:
                    if item["id"] in self._ids:
                        self.repeats += 1
                        continue
                    self._ids.add(item["id"])
                self.frames.append(item)
        except websockets.ConnectionClosed:
            pass

    @property
    def last_id(self) -> str | None:
        return next((f["id"] for f in reversed(self.frames) if "id" in f), None)

    @property
    def connected(self) -> bool:
        return self._task is not None and not self._task.done()

    def events(self) -> list[dict]:
        return [f for f in self.frames if "id" in f]

    def keys(self) -> list[str]:
        return [key(f) for f in self.events()]

    async def leave(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            await self.ws.close()


def key(frame: dict) -> str:
    """An event as both streams give it: its metadata and body (the sandbox's frames have no relay id)."""
    return json.dumps([frame["metadata"], frame["body"]], sort_keys=True)


def messages(frames: list[dict], conversation_id: int) -> list[dict]:
    return [f for f in frames if f.get("metadata", {}).get("event_name") == "conversation_message_created"
            and f["body"]["conversation_id"] == str(conversation_id)]


async def stored_ids(nats_url: str, subject: str) -> list[str]:
    """The ids of the copies the history holds on ``subject``, in stored order."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        reader = await js.pull_subscribe(subject, stream=DELIVERED_STREAM)
        count = (await reader.consumer_info()).num_pending
        copies = await reader.fetch(count, timeout=WAIT) if count else []
        await reader.unsubscribe()
        return [json.loads(copy.data)["id"] for copy in copies]
    finally:
        await nc.close()


async def history_size(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return (await nc.jetstream().stream_info(DELIVERED_STREAM)).state.messages
    finally:
        await nc.close()


async def test_a_client_back_on_the_other_relay_with_its_last_id_gets_exactly_what_it_missed_in_order_then_live(
        place):
    here = place()
    async with Listener(here.sandbox.live_url, here.token(TEACHER)) as direct:
        teacher = await Device(here.token(TEACHER)).connect(here.a.info.live_url)
        here.write(JANE, LAB_REPORT, "one")
        await async_wait_until(lambda: messages(teacher.frames, LAB_REPORT), timeout=WAIT)
        (first,) = teacher.frames
        assert list(first) == ["id", "metadata", "body"] and first["id"].isdigit()
        await teacher.leave()

        here.write(JANE, LAB_REPORT, "two", "three", "four")
        await async_wait_until(lambda: len(messages(direct.frames, LAB_REPORT)) == 4 and here.all_routed(),
                               timeout=WAIT)
        await teacher.connect(here.b.info.live_url, last_id=first["id"])  # the other instance
        await async_wait_until(lambda: len(teacher.frames) == len(direct.frames), timeout=WAIT)
        missed = teacher.frames[1:]
        # Exactly those (Data Services sends several at once: not in the sandbox's order), in the
        # order the history holds them.
        assert sorted(key(f) for f in missed) == sorted(key(f) for f in direct.frames[1:])
        assert [f["id"] for f in missed] == (await stored_ids(here.nats_url, f"deliver.user.{TEACHER}.>"))[1:]
        assert metric(here.b.base_url, "relay_events_replayed_total") == len(missed)

        here.write(JANE, LAB_REPORT, "five")  # then live
        await async_wait_until(lambda: len(messages(direct.frames, LAB_REPORT)) == 5
                               and len(teacher.frames) == len(direct.frames), timeout=WAIT)
        assert sorted(teacher.keys()) == sorted(key(f) for f in direct.frames)
        assert len({f["id"] for f in teacher.frames}) == len(teacher.frames) and teacher.repeats == 0  # no duplicate
        await teacher.leave()


async def test_an_id_the_window_no_longer_holds_gets_one_resync_frame_then_live(place, nats_server):
    here = place(resume_window_seconds=1.0)
    teacher = await Device(here.token(TEACHER)).connect(here.b.info.live_url)
    here.write(JANE, LAB_REPORT, "soon forgotten")
    await async_wait_until(lambda: messages(teacher.frames, LAB_REPORT), timeout=WAIT)
    old = teacher.last_id
    await teacher.leave()
    # The history keeps a copy for the window only: NATS removes it once it is older.
    async def forgotten() -> bool:
        return await here.all_routed() and await history_size(nats_server.url) == 0

    await async_wait_until(forgotten, timeout=WAIT)
    for given in (old, "not-an-id", "999999999"):
        teacher.frames.clear()
        await teacher.connect(here.b.info.live_url, last_id=given)
        await async_wait_until(lambda: teacher.frames, timeout=WAIT)
        assert teacher.frames == [{"resync": True}]
        here.write(JANE, LAB_REPORT, f"live after {given}")
        await async_wait_until(lambda: len(teacher.frames) == 2, timeout=WAIT)
        assert messages(teacher.frames[1:], LAB_REPORT) == teacher.frames[1:]
        await teacher.leave()
    assert metric(here.b.base_url, "relay_resyncs_total", reason="not_in_window") == 2
    assert metric(here.b.base_url, "relay_resyncs_total", reason="malformed") == 1


async def test_an_event_on_two_of_a_users_subjects_is_replayed_once(place):
    """The teacher hears a section-specific topic's reply on the staff subject and on their section's:
    two copies in the history, one frame in the replay."""
    here = place()
    async with Listener(here.sandbox.live_url, here.token(TEACHER)) as direct:
        teacher = await Device(here.token(TEACHER)).connect(here.a.info.live_url)
        here.write(JANE, LAB_REPORT, "before")
        await async_wait_until(lambda: messages(teacher.frames, LAB_REPORT), timeout=WAIT)
        await async_wait_until(lambda: len(direct.frames) == len(teacher.frames), timeout=WAIT)
        await teacher.leave()

        with here.api(TEACHER) as api:
            topic = api.post("/api/v1/courses/2/discussion_topics", data={
                "title": "Section 2 only", "message": "x", "published": "true", "specific_sections": "22"}).json()
            assert api.post(f"/api/v1/courses/2/discussion_topics/{topic['id']}/entries",
                            data={"message": "<p>for section two</p>"}).status_code == 201
        here.write(JANE, LAB_REPORT, "after")
        await async_wait_until(lambda: len(messages(direct.frames, LAB_REPORT)) == 2 and any(
            f["metadata"]["event_name"] == "discussion_entry_created" for f in direct.frames), timeout=WAIT)
        await async_wait_until(here.all_routed, timeout=WAIT)
        await teacher.connect(here.b.info.live_url, last_id=teacher.last_id)
        await async_wait_until(lambda: len(teacher.frames) >= len(direct.frames), timeout=WAIT)
        here.write(JANE, LAB_REPORT, "live")
        await async_wait_until(lambda: len(messages(direct.frames, LAB_REPORT)) == 3
                               and len(messages(teacher.frames, LAB_REPORT)) == 3, timeout=WAIT)
        assert sorted(teacher.keys()) == sorted(key(f) for f in direct.frames)  # each once
        (entry,) = [f for f in teacher.frames if f["metadata"]["event_name"] == "discussion_entry_created"]
        staff = await stored_ids(here.nats_url, "deliver.course.2.staff")
        sections = await stored_ids(here.nats_url, "deliver.section.>")
        assert entry["id"] in staff and entry["id"] in sections  # two copies: the replay sent one
        await teacher.leave()


async def test_a_replay_gives_a_user_nothing_they_may_not_see(place):
    """Hiroshi is in neither Jane's thread with the teacher nor BIO 101: with an id from before
    both, his replay has his own message only, not the thread's messages nor the course's reply."""
    here = place()
    hiroshi = await Device(here.token(HIROSHI)).connect(here.a.info.live_url)
    with here.api(BOB) as bob:
        mine = bob.post("/api/v1/conversations", data={"recipients[]": [str(HIROSHI)], "subject": "For Hiroshi",
                                                        "body": "first", "force_new": "true"}).json()[0]["id"]
    await async_wait_until(lambda: messages(hiroshi.frames, mine), timeout=WAIT)
    before = hiroshi.last_id
    await hiroshi.leave()
    hiroshi.frames.clear()

    async with Listener(here.sandbox.live_url, here.token(TEACHER)) as teacher_direct:
        here.write(JANE, LAB_REPORT, "not for Hiroshi")
        with here.api(JANE) as jane:
            topic = jane.get("/api/v1/courses/1/discussion_topics").json()[0]
            assert jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                             data={"message": "<p>BIO 101 only</p>"}).status_code == 201
        here.write(BOB, mine, "second, for Hiroshi")
        await async_wait_until(lambda: len(teacher_direct.frames) >= 2 and here.all_routed(), timeout=WAIT)

    await hiroshi.connect(here.b.info.live_url, last_id=before)
    await async_wait_until(lambda: messages(hiroshi.frames, mine), timeout=WAIT)
    assert {f["body"].get("conversation_id") for f in hiroshi.frames} == {str(mine)}
    assert not any(f["metadata"]["event_name"].startswith("discussion_") for f in hiroshi.frames)
    # What was sent before the marker was all of it: one more event of his comes after it, live.
    replayed = len(messages(hiroshi.frames, mine))
    here.write(BOB, mine, "third")
    await async_wait_until(lambda: len(messages(hiroshi.frames, mine)) == replayed + 1, timeout=WAIT)
    assert {f["body"].get("conversation_id") for f in hiroshi.frames} == {str(mine)}
    await hiroshi.leave()


async def test_while_a_relay_cannot_reach_nats_what_is_routed_reaches_its_users_once_it_is_back(place, nats_server):
    cable = NetworkCut(nats_server.port).start()
    try:
        here = place(b_through=cable)
        async with Listener(here.sandbox.live_url, here.token(TEACHER)) as direct:
            teacher = await Device(here.token(TEACHER)).connect(here.b.info.live_url)
            here.write(JANE, LAB_REPORT, "before")
            await async_wait_until(lambda: messages(teacher.frames, LAB_REPORT), timeout=WAIT)

            cable.cut()  # B hears nothing; A takes events in and routes them all
            await async_wait_until(lambda: httpx.get(here.b.base_url + "/readyz").status_code == 503, timeout=WAIT)
            here.write(JANE, LAB_REPORT, "deaf 1", "deaf 2", "deaf 3")
            await async_wait_until(lambda: len(messages(direct.frames, LAB_REPORT)) == 4 and here.all_routed(),
                                   timeout=WAIT)
            assert len(teacher.frames) == 1 and teacher.connected

            cable.restore()
            await async_wait_until(lambda: len(teacher.frames) == 4, timeout=WAIT)
            here.write(JANE, LAB_REPORT, "after")
            await async_wait_until(lambda: len(teacher.frames) == 5 == len(direct.frames), timeout=WAIT)
            assert sorted(teacher.keys()) == sorted(key(f) for f in direct.frames)
            assert len({f["id"] for f in teacher.frames}) == 5 and teacher.repeats == 0
            await teacher.leave()
    finally:
        cable.cut()


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


async def test_a_relay_killed_while_events_flow_and_started_again_gives_its_users_every_event_of_the_gap(
        place, processes, nats_server):
    """kill -9 of relay B (a real process) in the middle of a stream of messages; started again on
    its port, its users reconnect with their last id: 0 lost, 0 duplicated, as the sandbox's own
    stream shows each of them."""
    from tui_inbox.relay.nats_child import free_port

    here = place(relay_b=False)
    port = free_port()

    def start_b():
        return processes.start("relay-b", "relay", "--canvas-url", here.sandbox.base_url, "--jwks-url",
                               here.sandbox.info.jwks_url, "--nats", nats_server.url, "--port", str(port),
                               TUI_INBOX_RELAY_ADMIN_TOKEN=here.admin)

    b = start_b()
    live_url = b.first_line()["live_url"]
    people = (TEACHER, JANE)
    async with Listener(here.sandbox.live_url, here.token(TEACHER)) as teacher_direct, \
            Listener(here.sandbox.live_url, here.token(JANE)) as jane_direct:
        direct = dict(zip(people, (teacher_direct, jane_direct)))
        devices = {user: await Device(here.token(user)).connect(live_url) for user in people}

        async def write(start: int, count: int) -> None:
            for n in range(start, start + count):
                await asyncio.to_thread(here.write, JANE if n % 2 else TEACHER, LAB_REPORT, f"message {n}")

        await write(0, 5)
        await async_wait_until(lambda: all(len(devices[u].frames) >= 2 for u in people), timeout=WAIT)
        flowing = asyncio.ensure_future(write(5, 20))
        await async_wait_until(lambda: len(messages(jane_direct.frames, LAB_REPORT)) >= 10, timeout=WAIT)
        b.popen.kill()  # kill -9: no goodbye to NATS, to the clients, or to the events it was routing
        b.popen.wait(10)
        await async_wait_until(lambda: not any(d.connected for d in devices.values()), timeout=WAIT)
        await flowing
        b = start_b()
        b.first_line()
        for user, device in devices.items():
            await device.connect(live_url, last_id=device.last_id)
        await async_wait_until(lambda: all(len(messages(direct[u].frames, LAB_REPORT)) == 25 for u in people)
                               and here.all_routed(), timeout=WAIT)
        for user in people:
            await async_wait_until(lambda: len(devices[user].frames) >= len(direct[user].frames), timeout=WAIT)
        here.write(JANE, LAB_REPORT, "the end")  # anything late would arrive before this, in order
        for user in people:
            await async_wait_until(lambda: len(messages(direct[user].frames, LAB_REPORT)) == 26
                                   and len(messages(devices[user].frames, LAB_REPORT)) >= 26, timeout=WAIT)
            got = devices[user].keys()
            assert len(got) == len(set(got)), f"user {user} got an event twice"
            assert sorted(got) == sorted(key(f) for f in direct[user].frames), f"user {user} lost or got extra"
            await devices[user].leave()
    assert b.stop() == 0


async def test_someone_added_gets_the_message_routed_before_the_relay_heard_they_were_added_once(place):
    """The race of issue 24: the teacher adds Carlos to a group conversation and writes; Canvas
    delivers the message first. Routed with the participants the relay remembers, it misses Carlos;
    the forward that follows shows him new, and he is given the message from the history, once."""
    here = place(relay_b=False, knobs={"data_services_url": None})
    first, second, added = 10, 11, 13
    post = lambda event: httpx.post(here.a.info.events_url, content=canvas_signed(event, here.sandbox),  # noqa: E731
                                    timeout=10)
    async with Listener(here.sandbox.live_url, here.token(TEACHER)) as canvas:
        devices = {u: await Device(here.token(u)).connect(here.a.info.live_url) for u in (TEACHER, first, added)}
        with here.api(TEACHER) as teacher:
            made = teacher.post("/api/v1/conversations", data={
                "recipients[]": [str(first), str(second)], "body": "Project team", "group_conversation": "true"})
            conversation = made.json()[0]["id"]
            created = await async_wait_until(lambda: messages(canvas.frames, conversation), timeout=WAIT)
            # Routed: the relay now remembers the three participants.
            assert post(created[0]).status_code == 202
            await async_wait_until(lambda: messages(devices[first].frames, conversation), timeout=WAIT)

            assert teacher.post(f"/api/v1/conversations/{conversation}/add_recipients",
                                data={"recipients[]": [str(added)]}).status_code == 200
            assert teacher.post(f"/api/v1/conversations/{conversation}/add_message",
                                data={"body": "Welcome, Carlos"}).status_code in (200, 201)
        def after_the_add():
            forward = [f for f in canvas.frames if f["metadata"]["event_name"] == "conversation_forwarded"]
            others = [f for f in messages(canvas.frames, conversation) if f not in created]
            return (forward, others) if len(forward) == 1 and len(others) == 2 else None

        (forward,), others = await async_wait_until(after_the_add, timeout=WAIT)  # "was added", the welcome
        for event in others:  # delivered before the forward, as Canvas may
            assert post(event).status_code == 202
        await async_wait_until(lambda: len(messages(devices[first].frames, conversation)) == 3, timeout=WAIT)
        assert devices[added].frames == []  # routed with the old list: Carlos missed them

        assert post(forward).status_code == 202
        await async_wait_until(lambda: len(devices[added].frames) == 3, timeout=WAIT)
        # Not the first message: it was written before he was added, and was not his to receive live.
        assert sorted(devices[added].keys()) == sorted(key(f) for f in [*others, forward])
        assert metric(here.a.base_url, "relay_newcomer_copies_total") == 2

        # Once: the next message reaches everyone after anything still on its way, and nobody has a copy twice.
        here.write(TEACHER, conversation, "next")
        (marker,) = await async_wait_until(
            lambda: [f for f in messages(canvas.frames, conversation) if f not in created and f not in others],
            timeout=WAIT)
        assert post(marker).status_code == 202
        for device in devices.values():
            await async_wait_until(lambda: device.events() and key(device.events()[-1]) == key(marker), timeout=WAIT)
        assert sorted(devices[added].keys()) == sorted(key(f) for f in [*others, forward, marker])
        assert sorted(devices[first].keys()) == sorted(key(f) for f in [*created, *others, forward, marker])
        assert all(device.repeats == 0 for device in devices.values())  # no copy sent twice, even by id
        for device in devices.values():
            await device.leave()
