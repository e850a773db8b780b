"""The sandbox as Canvas Data Services (canvas-api.md section 8b), seen from the subscriber.

A small HTTP server on 127.0.0.1 stands in for the subscriber (a relay): it records every
POST and answers 200, or 503 for an event's first tries, or holds an answer past the
timeout. The events are caused over the sandbox's REST API, as a user would cause them,
and checked as a relay would check them: the JWT verified with PyJWT against the JWKS
fetched from the sandbox over HTTP, the key picked by the header's kid.
"""

from __future__ import annotations

import dataclasses

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from websockets.asyncio.client import connect

from tests.waiting import async_wait_until, wait_until

ISSUER = "https://live-events.canvas.instructure.com"  # observed on real deliveries, written out here on purpose
TEACHER_ID = 1
FAST = {"ds_retry_base_seconds": 0.05}  # Canvas waits minutes between tries; tests do not


# -- the subscriber ----------------------------------------------------------------------------------

def event_key(body: bytes) -> str:
    """Which event a POST carries, whatever its form, read without verifying: the receiver's bookkeeping."""
    text = body.decode()
    if text.startswith('"'):
        text = json.loads(text)
    if text.startswith("{"):
        event = json.loads(text)
    else:
        event = jwt.decode(text, options={"verify_signature": False})
    return json.dumps({"metadata": event["metadata"], "body": event["body"]}, sort_keys=True)


class Subscriber:
    """Records each POST (arrival time, content type, body); answers as told, per event."""

    def __init__(self, *, fail_first: int = 0, hold_first: int = 0, endless: bool = False) -> None:
        self.fail_first = fail_first  # the first N tries of each event get 503
        self.endless = endless  # answer 200 with a body that never ends (until the sender hangs up)
        self.hold_first = hold_first  # the first N tries of each event get no answer until release
        self.posts: list[tuple[float, str, bytes]] = []
        self.tries: dict[str, int] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = event_key(body)
                with outer.lock:
                    outer.posts.append((time.monotonic(), self.headers.get("Content-Type", ""), body))
                    earlier = outer.tries.get(key, 0)
                    outer.tries[key] = earlier + 1
                if earlier < outer.hold_first:
                    outer.release.wait(30)  # the sender gives up long before
                    self.close_connection = True
                    return
                if outer.endless:
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
                    deadline = time.monotonic() + 20
                    try:
                        while time.monotonic() < deadline:  # about 1 GB a second on loopback, for ever
                            self.wfile.write(chunk)
                    except OSError:
                        pass  # the sender hung up: what it should do
                    self.close_connection = True
                    return
                self.send_response(503 if earlier < outer.fail_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/canvas/live-events"
        # A short poll: shutdown() waits for it, at the end of every test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [body for _, _, body in self.posts]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber():
    made: list[Subscriber] = []

    def make(**kwargs) -> Subscriber:
        made.append(Subscriber(**kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


# -- helpers --------------------------------------------------------------------------------------

def student_writes_to_teacher(sandbox, body: str = "Is the lab open on Friday?") -> float:
    """A student starts a conversation with the teacher over the API: two events
    (conversation_created, conversation_message_created). Returns when the request was sent."""
    return write_to_teacher(sandbox.base_url, sandbox.info.token_of("student"), body)


def write_to_teacher(base_url: str, token: str, body: str = "Is the lab open on Friday?") -> float:
    sent = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        # force_new: a new conversation each time (else Canvas reuses the private one, one event fewer)
        answer = client.post("/api/v1/conversations",
                             data={"recipients[]": [str(TEACHER_ID)], "body": body, "force_new": "true"})
    assert answer.status_code == 201, answer.text
    return sent


def jwks_of(sandbox) -> dict:
    answer = httpx.get(sandbox.info.jwks_url, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def verify(token: str, jwks: dict) -> tuple[str, dict]:
    """As a relay does: the kid picks the key of the JWKS; RS256 only; the issuer checked. (kid, claims)."""
    kid = jwt.get_unverified_header(token)["kid"]
    keys = {key["kid"]: key for key in jwks["keys"]}
    assert kid in keys, f"kid {kid} is not in the JWKS"
    public = jwt.PyJWK(keys[kid]).key
    return kid, jwt.decode(token, public, algorithms=["RS256"], issuer=ISSUER,
                           options={"require": ["exp", "iat", "iss"]})


def by_name(events: list[dict]) -> dict[str, dict]:
    return {event["metadata"]["event_name"]: event for event in events}


# -- signed delivery ---------------------------------------------------------------------------------

async def test_a_students_message_arrives_as_a_jwt_that_verifies_against_the_jwks_with_the_streams_event(
        make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url)
    async with connect(sandbox.live_url, open_timeout=5,
                       additional_headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}) as ws:
        await asyncio.to_thread(student_writes_to_teacher, sandbox)
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    # The frame's "id" is the stream's own (live-stream.md, "Resuming"); Canvas's event is the rest.
    streamed = [{key: value for key, value in frame.items() if key != "id"} for frame in frames]
    assert all(isinstance(frame["id"], str) for frame in frames)
    await async_wait_until(lambda: len(receiver.bodies()) == 2)

    jwks = jwks_of(sandbox)
    assert [key["kty"] for key in jwks["keys"]] == ["RSA"] * 3 and all(key["alg"] == "RS256" for key in jwks["keys"])
    current = jwks["keys"][1]["kid"]
    delivered = []
    for _, content_type, body in receiver.posts:
        assert content_type == "application/jwt"
        kid, claims = verify(body.decode(), jwks)
        assert kid == current  # signed with the current key, not the previous or the next
        assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 60
        delivered.append({"metadata": claims["metadata"], "body": claims["body"]})
    assert by_name(delivered) == by_name(streamed)  # exactly what the websocket sent, metadata and body
    assert set(by_name(delivered)) == {"conversation_created", "conversation_message_created"}
    assert sandbox.data_services_stats()["delivered"] == 2


def test_events_are_delivered_whoever_their_audience_and_with_no_one_connected(make_sandbox, subscriber):
    """Data Services is account-wide: the teacher writing to a student reaches the subscriber
    though no websocket is open and the subscriber is neither of them."""
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url)
    student = [u for u in sandbox.info.users if u["role"] == "student"][1]
    with httpx.Client(base_url=sandbox.base_url, timeout=10,
                      headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"}) as client:
        assert client.post("/api/v1/conversations",
                           data={"recipients[]": [str(student["id"])], "body": "See me",
                                 "force_new": "true"}).status_code == 201
    wait_until(lambda: len(receiver.bodies()) == 2)
    actors = {jwt.decode(body, options={"verify_signature": False})["metadata"]["user_id"] for body in receiver.bodies()}
    assert actors == {str(2107 * 10**13 + TEACHER_ID)}


def test_a_subscriber_set_on_a_running_sandbox_receives_what_follows(make_sandbox, subscriber):
    """Knobs change on a running sandbox (tests and benchmarks do it): Data Services follows them."""
    receiver = subscriber()
    sandbox = make_sandbox()
    student_writes_to_teacher(sandbox, "before any subscriber")
    sandbox.state.knobs = dataclasses.replace(sandbox.state.knobs, data_services_url=receiver.url)
    student_writes_to_teacher(sandbox, "after")
    wait_until(lambda: len(receiver.bodies()) >= 2)
    names = sorted(jwt.decode(body, options={"verify_signature": False})["metadata"]["event_name"]
                   for body in receiver.bodies())
    assert names == ["conversation_created", "conversation_message_created"]  # the second write's only


def test_a_discussion_entry_is_delivered_with_its_course(make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url, ds_sign=False)
    with httpx.Client(base_url=sandbox.base_url, timeout=10,
                      headers={"Authorization": f"Bearer {sandbox.info.token_of('student')}"}) as client:
        topic = client.get("/api/v1/courses/1/discussion_topics").json()[0]
        entry = client.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                            data={"message": "<p>caf\u00e9 \u2713</p>"})
        assert entry.status_code == 201
    # A graded topic also sends discussion_entry_submitted; the entry's own event is the one looked at.
    event = wait_until(lambda: by_name([json.loads(b) for b in receiver.bodies()]).get("discussion_entry_created"))
    assert event["metadata"]["context_id"] == str(2107 * 10**13 + 1)  # BIO 101 as a global id
    assert event["body"]["discussion_entry_id"] == str(entry.json()["id"])
    assert "caf\u00e9 \u2713" in event["body"]["text"]  # UTF-8 text arrives as it was written


def test_a_slow_subscriber_has_eight_posts_in_flight_at_once(make_sandbox, subscriber):
    """The pool: with every first answer held back, eight events are being delivered at the same
    time (one sender at a time would have one); once answers come, all of them get through."""
    receiver = subscriber(hold_first=1)
    sandbox = make_sandbox(data_services_url=receiver.url, **FAST)
    for n in range(5):  # ten events
        student_writes_to_teacher(sandbox, f"question {n}")
    wait_until(lambda: len(receiver.bodies()) == 8)
    assert sandbox.data_services_stats()["delivered"] == 0  # all eight are still waiting for an answer
    receiver.release.set()  # the held tries end without an answer: each is retried and delivered
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["delivered"] == 10 and s)
    assert stats["dropped"] == 0 and len(receiver.tries) == 10


def test_unsigned_mode_posts_the_plain_event(make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url, ds_sign=False)
    student_writes_to_teacher(sandbox)
    wait_until(lambda: len(receiver.bodies()) == 2)
    for _, content_type, body in receiver.posts:
        event = json.loads(body)
        assert content_type == "application/json"
        assert set(event) == {"metadata", "body"}  # the Canvas format, nothing added
        assert event["metadata"]["event_name"] in {"conversation_created", "conversation_message_created"}


def test_quoted_mode_posts_the_jwt_as_a_json_string(make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url, ds_quoted_rate=1.0)
    student_writes_to_teacher(sandbox)
    wait_until(lambda: len(receiver.bodies()) == 2)
    jwks = jwks_of(sandbox)
    for body in receiver.bodies():
        assert body.startswith(b'"ey') and body.endswith(b'"')
        _, claims = verify(json.loads(body), jwks)
        assert claims["body"]["conversation_id"]


def test_the_json_line_names_the_jwks_and_the_subscriber(make_sandbox, subscriber):
    receiver = subscriber()
    line = make_sandbox(data_services_url=receiver.url).info.as_json()
    assert line["jwks_url"] == line["base_url"] + "/data_services/jwks"
    assert line["data_services_url"] == receiver.url
    assert "data_services_url" not in make_sandbox().info.as_json()


# -- Canvas's retry rules ----------------------------------------------------------------------------

def test_two_503s_then_200_delivers_on_the_third_try_after_growing_waits(make_sandbox, subscriber):
    receiver = subscriber(fail_first=2)
    base = 0.1
    sandbox = make_sandbox(data_services_url=receiver.url, ds_retry_base_seconds=base)
    student_writes_to_teacher(sandbox)
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["delivered"] == 2 and s)
    assert receiver.tries and all(tries == 3 for tries in receiver.tries.values())
    assert (stats["failed"], stats["retried"], stats["dropped"]) == (4, 4, 0)
    # Each event waited base (jittered to 0.75..1.25 of it) then twice that: every second wait is longer.
    firsts, seconds = sorted(stats["waits"])[:2], sorted(stats["waits"])[2:]
    assert all(0.75 * base <= w < 1.25 * base for w in firsts) and all(1.5 * base <= w < 2.5 * base for w in seconds)
    for key in receiver.tries:  # and the subscriber saw the gaps: the tries did wait
        times = [t for t, _, body in receiver.posts if event_key(body) == key]
        assert times[1] - times[0] >= 0.75 * base and times[2] - times[1] >= 1.5 * base


def test_four_failures_drop_the_event_and_count_it(make_sandbox, subscriber, caplog):
    caplog.set_level("WARNING", logger="tui_inbox.sandbox.data_services")
    receiver = subscriber(fail_first=99)
    sandbox = make_sandbox(data_services_url=receiver.url, **FAST)
    student_writes_to_teacher(sandbox)
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["dropped"] == 2 and s)
    assert list(receiver.tries.values()) == [4, 4]  # the first try and three retries, no more
    assert (stats["delivered"], stats["failed"], stats["retried"]) == (0, 8, 6)
    assert stats["last_failure"] == "HTTP 503"
    # One line for the pair, not one per event (a subscriber down at 100 events a second).
    lines = [r.getMessage() for r in caplog.records if r.name == "tui_inbox.sandbox.data_services"]
    assert len(lines) == 1 and "dropped after 4 failed tries" in lines[0] and "HTTP 503" in lines[0]


def test_a_refused_connection_is_retried_like_an_error_answer(make_sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/canvas/live-events"
    sandbox = make_sandbox(data_services_url=closed, **FAST)
    student_writes_to_teacher(sandbox)
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["dropped"] == 2 and s)
    assert (stats["failed"], stats["retried"], stats["last_failure"]) == (8, 6, "ConnectError")


def test_no_answer_within_the_timeout_fails_the_try_and_the_retry_delivers(make_sandbox, subscriber):
    receiver = subscriber(hold_first=1)
    sandbox = make_sandbox(data_services_url=receiver.url, ds_timeout_seconds=0.3, **FAST)
    student_writes_to_teacher(sandbox)
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["delivered"] == 2 and s)
    assert all(tries == 2 for tries in receiver.tries.values()) and (stats["failed"], stats["dropped"]) == (2, 0)
    assert stats["last_failure"] == "timeout"


def test_a_200_with_an_endless_body_counts_as_delivered_without_reading_it_all(make_sandbox, subscriber):
    """Only the status matters: the sender stops reading a huge answer (bounded memory) and does not time out."""
    receiver = subscriber(endless=True)
    sandbox = make_sandbox(data_services_url=receiver.url, ds_timeout_seconds=2.0, **FAST)
    student_writes_to_teacher(sandbox)
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["delivered"] == 2 and s)
    assert stats["failed"] == 0 and list(receiver.tries.values()) == [1, 1]


# -- duplicates, rotation, delay, overflow -----------------------------------------------------------

def test_duplicate_rate_one_delivers_each_event_twice_with_identical_claims(make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url, ds_duplicate_rate=1.0)
    student_writes_to_teacher(sandbox)
    wait_until(lambda: len(receiver.bodies()) == 4)
    jwks = jwks_of(sandbox)
    seen: dict[str, int] = {}
    for body in receiver.bodies():
        _, claims = verify(body.decode(), jwks)  # each copy is a valid delivery in its own right
        key = json.dumps({"metadata": claims["metadata"], "body": claims["body"]}, sort_keys=True)
        seen[key] = seen.get(key, 0) + 1
    assert sorted(seen.values()) == [2, 2]
    stats = sandbox.data_services_stats()
    assert (stats["duplicated"], stats["delivered"]) == (2, 4)


def test_after_rotation_events_are_signed_by_the_new_current_key_and_the_old_one_stays_as_previous(
        make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url)
    before = jwks_of(sandbox)
    student_writes_to_teacher(sandbox)
    wait_until(lambda: len(receiver.bodies()) == 2)
    old_kid = verify(receiver.bodies()[0].decode(), before)[0]

    new_kid = sandbox.rotate_keys()
    after = jwks_of(sandbox)
    assert [k["kid"] for k in after["keys"]][:2] == [old_kid, new_kid]  # previous, current
    assert new_kid == before["keys"][2]["kid"]  # the next key, published a month ahead
    assert after["keys"][2]["kid"] not in {k["kid"] for k in before["keys"]}  # a fresh next

    student_writes_to_teacher(sandbox, "And on Saturday?")
    wait_until(lambda: len(receiver.bodies()) == 4)
    assert {verify(body.decode(), after)[0] for body in receiver.bodies()[2:]} == {new_kid}
    # A receiver that cached the JWKS before the rotation can still verify: the new key was its next.
    assert {verify(body.decode(), before)[0] for body in receiver.bodies()[2:]} == {new_kid}


def test_the_delay_knob_holds_each_delivery(make_sandbox, subscriber):
    receiver = subscriber()
    sandbox = make_sandbox(data_services_url=receiver.url, ds_delay_ms=400)
    sent = student_writes_to_teacher(sandbox)
    wait_until(lambda: len(receiver.bodies()) == 2)
    assert all(arrived - sent >= 0.4 for arrived, _, _ in receiver.posts)


def test_a_full_queue_drops_new_events_and_counts_them(make_sandbox, subscriber):
    receiver = subscriber(hold_first=1)
    sandbox = make_sandbox(data_services_url=receiver.url, ds_queue_limit=1, ds_timeout_seconds=0.3, **FAST)
    student_writes_to_teacher(sandbox)  # the first event is held in flight, the second finds no room
    stats = wait_until(lambda: (s := sandbox.data_services_stats())["delivered"] == 1 and s)
    assert (stats["accepted"], stats["overflowed"]) == (1, 1)
    assert len(receiver.tries) == 1


# -- the command ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "args, expected",
    [
        (["--data-services", "ftp://relay.example.edu/in"], "--data-services: must be an http:// or https:// URL"),
        (["--data-services", "http://"], "--data-services: must be an http:// or https:// URL"),
        (["--data-services", "http://127.0.0.1:1/x", "--ds-duplicate-rate", "1.5"], "between 0 and 1"),
        (["--data-services", "http://127.0.0.1:1/x", "--ds-delay-ms", "-1"], "must not be negative"),
        (["--data-services", "http://127.0.0.1:1/x", "--ds-delay-ms", "nan"], "finite"),
        (["--ds-delay-ms", "50"], "--ds-delay-ms needs --data-services URL"),
        (["--ds-unsigned"], "--ds-unsigned needs --data-services URL"),
    ],
)
def test_a_bad_data_services_flag_is_one_line_and_exit_2(args, expected):
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "sandbox", *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()] and expected in done.stderr
    assert "tui-inbox sandbox --help" in done.stderr


def test_the_command_delivers_to_the_subscriber_it_is_given(subscriber):
    receiver = subscriber()
    child = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "sandbox", "--data-services", receiver.url,
                              "--ds-unsigned"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = json.loads(child.stdout.readline())
        assert line["data_services_url"] == receiver.url and line["jwks_url"].endswith("/data_services/jwks")
        write_to_teacher(line["base_url"], [u for u in line["users"] if u["role"] == "student"][0]["token"])
        wait_until(lambda: len(receiver.bodies()) == 2)
        assert {json.loads(b)["metadata"]["event_name"] for b in receiver.bodies()} == {
            "conversation_created", "conversation_message_created"}
    finally:
        child.terminate()
        child.wait(10)
