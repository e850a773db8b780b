"""The relay end to end: the sandbox as Canvas Data Services, the relay, the app, over real loopback.

The first test runs the two commands as real processes: ``tui-inbox sandbox
--data-services`` POSTs every event, signed, to ``tui-inbox relay``, which verifies it
against the sandbox's JWKS, asks the sandbox (as its admin, masquerading) who may see
it, and streams it on /live to the app whose ``[live] url`` is the relay's.

Order of start: the relay needs the sandbox's admin token, which the sandbox prints
only once it serves, and the sandbox needs the relay's URL before it serves. So the
relay's port is reserved first, the sandbox starts with ``--data-services`` pointing
there (it emits nothing until someone writes), and the relay starts on that port with
the admin token from the sandbox's first line.

The other tests run the sandbox and two relay instances in threads of this process, on
the real nats-server of the ``nats_server`` fixture, so that the broker can be stopped
and started again and an instance restarted on its port; what they check is what a
user's websocket (or the app) receives, and what Canvas is answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import httpx
import pytest

from tests.relay_fixtures import Listener, metric
from tests.relay_processes import Processes
from tests.waiting import async_wait_until
from tui_inbox.config import parse
from tui_inbox.launch import account_from, build_app
from tui_inbox.relay.nats_child import free_port
from tui_inbox.relay.server import RunningRelay, school_relay
from tui_inbox.relay.settings import RelaySettings
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs

TEACHER, JANE, BOB, HIROSHI = 1, 10, 11, 2  # Hiroshi teaches World History only: no BIO 101, no shared thread
LAB_REPORT = 1  # the seeded conversation "Lab report extension", between Jane and the teacher


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def token(users: list[dict], user_id: int) -> str:
    return next(u["token"] for u in users if u["id"] == user_id)


def api(base_url: str, users: list[dict], user_id: int) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token(users, user_id)}"}, timeout=10)


def visible_lines(widget) -> list[str]:
    """What the widget paints, line by line."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def sandbox_and_relay(processes) -> tuple[list[dict], str, str, object, dict]:
    """The two commands, the sandbox delivering as Data Services to the relay: the users, the
    Canvas URL, the admin token, the relay's process and its first line."""
    relay_port = free_port()
    events_url = f"http://127.0.0.1:{relay_port}/canvas/live-events"
    sandbox = processes.start("sandbox", "sandbox", "--seed", "1", "--data-services", events_url,
                              "--ds-retry-base", "0.05").first_line()
    users, base = sandbox["users"], sandbox["base_url"]
    admin = next(u["token"] for u in users if u["role"] == "admin")
    relay_process = processes.start("relay", "relay", "--canvas-url", base, "--jwks-url", sandbox["jwks_url"],
                                    "--port", str(relay_port), TUI_INBOX_RELAY_ADMIN_TOKEN=admin)
    relay = relay_process.first_line()
    assert relay["events_url"] == events_url
    return users, base, admin, relay_process, relay


async def test_a_students_message_and_reply_reach_the_teachers_open_app_through_the_relay_and_no_one_else(
        processes, tmp_path, utc):
    users, base, admin, relay_process, relay = sandbox_and_relay(processes)

    config = parse({"canvas": {"base_url": base, "token": token(users, TEACHER)},
                    "live": {"url": relay["live_url"], "poll_seconds": 600}})  # polling would hide a missing event
    app = build_app(config, account_from(config), user_id=TEACHER, drafts_path=tmp_path / "drafts.sqlite3")
    async with Listener(relay["live_url"], token(users, HIROSHI)) as hiroshi, app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded
                               and app.session.activity.loaded, timeout=15)
        lab = next(r for r in app.session.view.rows if r.subject == "Lab report extension")
        with api(base, users, JANE) as jane:
            assert HIROSHI not in {p["id"] for p in jane.get(f"/api/v1/conversations/{lab.id}").json()["participants"]}
            assert jane.post(f"/api/v1/conversations/{lab.id}/add_message",
                             data={"body": "Via relay"}).status_code == 200

        # The row moves to the top of the teacher's list, with the new message, on screen.
        top = await async_wait_until(lambda: next((line for line in visible_lines(app.list)[:1]
                                                   if "Lab report extension — Via relay" in line), None), timeout=10)
        assert top.startswith(" ●  Jane  ") and " now " in top  # unread again, just now, by her display name

        await pilot.press("6")  # Activity
        with api(base, users, JANE) as jane:
            topic = jane.get("/api/v1/courses/1/discussion_topics").json()[0]
            entry = jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                              data={"message": "<p>A reply through the relay</p>"}).json()
        activity = app.query_one("#activity")
        await async_wait_until(lambda: activity.items and activity.items[0].entry_id == entry["id"], timeout=10)
        assert activity.items[0].text == "A reply through the relay"

        # Hiroshi's connection was open all along and got neither. It does receive what is his:
        with api(base, users, BOB) as bob:
            his = bob.post("/api/v1/conversations", data={"recipients[]": [str(HIROSHI)], "subject": "For Hiroshi",
                                                          "body": "only yours"}).json()[0]
        await async_wait_until(lambda: ("conversation_created", str(his["id"])) in hiroshi.names(), timeout=10)
        assert {conversation for _, conversation in hiroshi.names()} == {str(his["id"])}

    await app.session.client.aclose()
    assert relay_process.stop() == 0
    assert admin not in relay_process.stderr() and "Via relay" not in relay_process.stderr()


def texts(listener: Listener) -> list[str]:
    return [f["body"].get("text", "") for f in listener.frames if f["metadata"]["event_name"] == "discussion_entry_created"]


async def test_discussion_replies_reach_through_the_relay_only_those_who_may_see_the_topic(processes):
    """Issue S1: a CHEM 210 student received a teacher's replies in an unpublished CHEM 210 topic.
    Now a draft's reply reaches the teacher and not the student; a section-specific topic's reply
    reaches the teacher once (heard on the staff subject and on their section's) and not a student
    of another section."""
    users, base, _, _, relay = sandbox_and_relay(processes)
    carlos = 13  # CHEM 210 section 22; Bob is in section 21
    async with Listener(relay["live_url"], token(users, TEACHER)) as teacher_ws, \
            Listener(relay["live_url"], token(users, BOB)) as bob_ws, \
            Listener(relay["live_url"], token(users, carlos)) as carlos_ws:
        with api(base, users, TEACHER) as teacher:
            topics = teacher.get("/api/v1/courses/2/discussion_topics").json()
            draft = next(t for t in topics if not t["published"])
            section_two = teacher.post("/api/v1/courses/2/discussion_topics",
                                       data={"title": "Section 2 only", "message": "x", "published": "true",
                                             "specific_sections": "22"}).json()
            open_topic = next(t for t in topics if t["published"] and not t["locked"])
            for topic, text in ((draft, "draft answers"), (section_two, "for section two"), (open_topic, "sentinel")):
                assert teacher.post(f"/api/v1/courses/2/discussion_topics/{topic['id']}/entries",
                                    data={"message": f"<p>{text}</p>"}).status_code == 201
        # Canvas does not order its events: the teacher's three are awaited whole. Each was published
        # to all of its subjects before the teacher's copy, on one connection to NATS, so once they
        # are here and the others have the sentinel, nothing more of them is on its way.
        await async_wait_until(lambda: len(texts(teacher_ws)) >= 3, timeout=15)
        for listener in (bob_ws, carlos_ws):
            await async_wait_until(lambda: any("sentinel" in t for t in texts(listener)), timeout=15)
    assert sorted(texts(teacher_ws)) == ["<p>draft answers</p>", "<p>for section two</p>", "<p>sentinel</p>"]
    assert not any("draft answers" in t or "for section two" in t for t in texts(bob_ws))
    assert [t for t in texts(carlos_ws) if "section two" in t] == ["<p>for section two</p>"]
    assert not any("draft answers" in t for t in texts(carlos_ws))


# -- several instances and one NATS --------------------------------------------------------------------------

class School:
    """The in-process sandbox as Data Services, delivering to relay A; relay B shares A's NATS."""

    def __init__(self, nats_url: str | list[str], **knobs) -> None:
        self.sandbox = RunningSandbox(Knobs(seed=1, **knobs))  # bound, not serving yet: its URL is known
        self.users = self.sandbox.info.users
        self.nats_url = nats_url
        self.relays: list[RunningRelay] = []
        try:
            self.a = self.start_relay()
            self.b = self.start_relay()
            self.sandbox.state.knobs = dataclasses.replace(self.sandbox.state.knobs,
                                                           data_services_url=self.a.info.events_url)
            self.sandbox.start()
        except BaseException:
            self.stop()
            raise

    def start_relay(self, port: int = 0) -> RunningRelay:
        admin = next(u["token"] for u in self.users if u["role"] == "admin")
        settings = RelaySettings(canvas_url=self.sandbox.base_url, admin_token=admin, nats_urls=[self.nats_url] if isinstance(self.nats_url, str) else self.nats_url,
                                 jwks_url=self.sandbox.info.jwks_url, port=port, lag_sample_seconds=0.05,
                                 route_retry_seconds=0.05, ack_wait_seconds=2.0, jwks_refetch_seconds=0.1)
        relay = school_relay(settings).start()
        self.relays.append(relay)
        return relay

    def stop_b(self) -> int:
        self.b.stop()
        return int(self.b.base_url.rsplit(":", 1)[1])

    def start_b(self, port: int) -> RunningRelay:
        self.b = self.start_relay(port)
        return self.b

    def api(self, user_id: int) -> httpx.Client:
        return api(self.sandbox.base_url, self.users, user_id)

    def stop(self) -> None:
        self.sandbox.stop()
        for relay in self.relays:
            relay.stop()


@pytest.fixture
def school(nats_server):
    made: list[School] = []

    def make(**knobs) -> School:
        made.append(School(nats_server.url, **knobs))
        return made[-1]

    yield make
    for one in made:
        one.stop()


def jane_writes(school: School, conversation_id: int, *bodies: str) -> None:
    with school.api(JANE) as jane:
        for body in bodies:
            assert jane.post(f"/api/v1/conversations/{conversation_id}/add_message",
                             data={"body": body}).status_code == 200


def message_frames(listener: Listener, conversation_id: int) -> list[dict]:
    return [f for f in listener.frames if f["metadata"]["event_name"] == "conversation_message_created"
            and f["body"]["conversation_id"] == str(conversation_id)]


async def test_an_event_canvas_delivers_twice_to_instance_a_reaches_a_user_on_b_once(school):
    place = school(ds_duplicate_rate=1.0)  # every event is POSTed a second time, as a lost answer makes Canvas do
    async with Listener(place.b.info.live_url, token(place.users, TEACHER)) as teacher:
        jane_writes(place, LAB_REPORT, "first")
        await async_wait_until(lambda: place.sandbox.data_services_stats()["duplicated"] >= 1
                               and metric(place.a.base_url, "relay_events_duplicates_total") >= 1)
        await async_wait_until(lambda: message_frames(teacher, LAB_REPORT))
        # Then a second event, so everything routed before it has reached B's connection too.
        jane_writes(place, LAB_REPORT, "second")
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 2)
        first, second = message_frames(teacher, LAB_REPORT)
        assert first != second
        assert metric(place.b.base_url, "relay_events_received_total") == 0  # B heard nothing from Canvas


async def test_while_the_broker_is_down_canvas_is_answered_503_retries_and_each_event_arrives_once(
        school, nats_server):
    # Canvas's retry waits, shrunk: the three add up to 2.6 s at least, longer than this outage.
    place = school(ds_retry_base_seconds=0.5)
    async with Listener(place.b.info.live_url, token(place.users, TEACHER)) as teacher:
        jane_writes(place, LAB_REPORT, "before")
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 1)

        nats_server.stop(remove_store=False)
        await async_wait_until(lambda: httpx.get(place.a.base_url + "/readyz").status_code == 503)
        jane_writes(place, LAB_REPORT, "during 1", "during 2", "during 3")
        await async_wait_until(lambda: metric(place.a.base_url, "relay_events_rejected_total",
                                              reason="broker_unavailable") >= 3)
        assert len(message_frames(teacher, LAB_REPORT)) == 1

        nats_server.start()
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 4, timeout=15)
        jane_writes(place, LAB_REPORT, "after")
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 5)
        stats = place.sandbox.data_services_stats()
        frames = message_frames(teacher, LAB_REPORT)
    assert stats["retried"] >= 3 and stats["dropped"] == 0 and stats["last_failure"] == "HTTP 503"
    assert len({json.dumps(f, sort_keys=True) for f in frames}) == 5  # five events, each once


async def test_an_instance_restarted_on_its_port_gets_its_apps_back_and_their_rows_right(school, utc):
    from tui_inbox.canvas import CanvasClient
    from tui_inbox.inbox.session import InboxSession
    from tui_inbox.live import LiveFeed
    from tui_inbox.live.backoff import Backoff
    from tui_inbox.live.stream import StreamSettings
    from tui_inbox.ui.app import InboxApp

    place = school()
    client = CanvasClient(place.sandbox.base_url, token(place.users, TEACHER))
    feed = LiveFeed(client, place.b.info.live_url, trusted_live_url=True, poll_seconds=600,
                    stream_settings=StreamSettings(backoff=Backoff(base=0.05, cap=0.2)))
    app = InboxApp(InboxSession(client), feed=feed)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded)
        seen: list[str] = []
        app.status.watch(app.status, "feed", lambda value: seen.append(value), init=True)
        port = await asyncio.to_thread(place.stop_b)
        await async_wait_until(lambda: app.status.feed != "live")  # Canvas still answers: it polls meanwhile
        routed = metric(place.a.base_url, "relay_events_routed_total")
        jane_writes(place, LAB_REPORT, "While B was away")  # routed by A to nobody: no instance has the teacher
        await async_wait_until(lambda: metric(place.a.base_url, "relay_events_routed_total") > routed)

        await asyncio.to_thread(place.start_b, port)
        await async_wait_until(lambda: app.status.feed == "live")
        # What B missed is on the list (the app refetches when its stream drops and again at the
        # reconnection's resync); then events flow again through the new B.
        await async_wait_until(lambda: app.list.rows[0].id == LAB_REPORT
                               and app.list.rows[0].last_message == "While B was away")
        notices = len([entry for entry in app.status.history if entry.kind == "notice"])
        jane_writes(place, LAB_REPORT, "B is back")
        await async_wait_until(lambda: app.list.rows[0].last_message == "B is back")
        # Said on the status bar too (and the app is done with the event before it closes).
        await async_wait_until(lambda: len([entry for entry in app.status.history if entry.kind == "notice"]) > notices)
    await client.aclose()
    assert len(seen) >= 3 and seen[0] == seen[-1] == "live" and seen[1] != "live"  # it left "live", and came back


# -- forged bodies, seen from a connected user ---------------------------------------------------------------

def lab_event(marker: str) -> dict:
    """A message event in the teacher's thread with Jane: routed to the teacher if the relay took it."""
    from tui_inbox.sandbox.events import global_id

    return {"metadata": {"event_name": "conversation_message_created", "user_id": global_id(JANE),
                         "root_account_id": global_id(1), "event_time": "2026-11-24T12:00:00.000Z"},
            "body": {"conversation_id": str(LAB_REPORT), "message_id": marker, "author_id": str(JANE)}}


def canvas_signed(event: dict, sandbox: RunningSandbox, **claims) -> str:
    """Signed with the sandbox's current Data Services key, as Canvas signs (a replayed or stale copy)."""
    import jwt

    from tests.relay_signing import claims_of

    key = sandbox.state.keys.current
    return jwt.encode(claims_of(event, **claims), key.private_key, algorithm="RS256", headers={"kid": key.kid})


async def test_forged_bodies_are_refused_counted_and_never_reach_a_connected_user_while_canvas_keeps_working(
        school):
    import jwt
    from cryptography.hazmat.primitives import serialization

    from tests.relay_signing import SigningKey, claims_of, handmade_jwt, sign

    place = school(ds_retry_base_seconds=0.2)
    a, sandbox = place.a, place.sandbox
    post_to_a = lambda body: httpx.post(a.info.events_url, content=body, timeout=10)  # noqa: E731
    async with Listener(place.b.info.live_url, token(place.users, TEACHER)) as teacher:
        # The control: the same kind of event, signed with Canvas's key, reaches the teacher.
        assert post_to_a(canvas_signed(lab_event("control"), sandbox)).status_code == 202
        await async_wait_until(lambda: [f["body"]["message_id"] for f in teacher.frames] == ["control"])

        retired = sandbox.state.keys.previous  # in the JWKS the relay fetched for the control
        sandbox.rotate_keys()
        sandbox.rotate_keys()  # two months on: today's key is one the relay has never seen, and that one is gone
        current = sandbox.state.keys.current
        assert retired.kid not in {key["kid"] for key in sandbox.state.keys.jwks()["keys"]}
        # Canvas signs with the rotated key: the relay fetches the JWKS once more and takes it.
        jane_writes(place, LAB_REPORT, "after the rotation")
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 2)

        public_pem = current.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = {"typ": "JWT", "kid": current.kid}
        stranger = SigningKey(current.kid)  # another key, claiming Canvas's kid
        good = canvas_signed(lab_event("truncated"), sandbox)
        forged = {
            "wrong key": (sign(lab_event("wrong key"), stranger), 401, "signature"),
            "alg none": (handmade_jwt({**header, "alg": "none"}, claims_of(lab_event("alg none"))), 401, "algorithm"),
            "HS256 keyed with the public key": (
                handmade_jwt({**header, "alg": "HS256"}, claims_of(lab_event("hs256")), hmac_key=public_pem),
                401, "algorithm"),
            "expired": (canvas_signed(lab_event("expired"), sandbox, exp_in=-3600), 401, "expired"),
            "a key retired by the rotation": (
                jwt.encode(claims_of(lab_event("retired")), retired.private_key, algorithm="RS256",
                           headers={"kid": retired.kid}), 401, "unknown_kid"),
            "a made-up kid": (sign(lab_event("made-up kid"), SigningKey("2027-01")), 401, "unknown_kid"),
            "truncated": (good[: len(good) // 2], 400, "malformed"),
            "10 MB": (b"a" * 10_000_000, 413, "too_large"),
        }
        for case, (body, status, reason) in forged.items():
            before = metric(a.base_url, "relay_events_rejected_total", reason=reason)
            answer = post_to_a(body)
            assert (answer.status_code, answer.json()["reason"]) == (status, reason), case
            assert metric(a.base_url, "relay_events_rejected_total", reason=reason) == before + 1, case

        # One more from Canvas: everything sent before it has been routed, and no forged one was.
        jane_writes(place, LAB_REPORT, "after the forgeries")
        await async_wait_until(lambda: len(message_frames(teacher, LAB_REPORT)) == 3)
        control, *genuine = teacher.frames
        assert control["body"]["message_id"] == "control" and len(teacher.frames) == 3
        assert all(f["body"]["author_id"] == str(JANE) and f["body"]["message_id"].isdigit() for f in genuine)
    assert metric(a.base_url, "relay_events_received_total") == 3 + len(forged)
