"""The live-event websocket of the sandbox, over a real server (live-stream.md).

The server runs on its own thread and loop (RunningSandbox); these tests talk to it
only over the network: websockets for the stream, httpx for the REST calls that
cause events. Nothing here sleeps for a guessed time: every wait is on a frame or a
condition, with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.waiting import async_wait_until
from tui_inbox.sandbox.events import global_id

TEACHER_ID = 1
WAIT = 5.0  # the most any single frame may take before the test fails
# The metadata keys of seed 000's conversation events, exactly.
SEED_METADATA_KEYS = {
    "root_account_uuid", "root_account_id", "root_account_lti_guid", "user_account_id", "user_agent", "user_id",
    "user_login", "user_sis_id", "time_zone", "request_id", "session_id", "hostname", "http_method", "client_ip",
    "url", "referrer", "producer", "event_name", "event_time",
}
EVENT_TIME = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")  # "2020-03-24T16:55:59.973Z"
ISO = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")


def live(sandbox, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return connect(sandbox.live_url, additional_headers=headers, open_timeout=WAIT)


def api(sandbox, role: str, index: int = 0) -> httpx.AsyncClient:
    token = sandbox.info.token_of(role, index)
    return httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def user_id(sandbox, role: str, index: int) -> int:
    return [u for u in sandbox.info.users if u["role"] == role][index]["id"]


async def next_event(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def events_until(ws, names: set[str]) -> dict[str, dict]:
    """Frames until one of each named event has arrived (others are kept too)."""
    got: dict[str, dict] = {}
    while not names <= got.keys():
        event = await next_event(ws)
        got.setdefault(event["metadata"]["event_name"], event)
    return got


# -- (a) the handshake is authenticated --------------------------------------------
@pytest.mark.parametrize(
    "token, body",
    [
        (None, {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}),
        ("7~not-a-real-token", {"errors": [{"message": "Invalid access token."}]}),
    ],
    ids=["missing", "wrong"],
)
async def test_a_handshake_without_a_valid_token_is_refused_with_401(sandbox, token, body):
    with pytest.raises(InvalidStatus) as refused:
        async with live(sandbox, token):
            pass
    response = refused.value.response
    assert response.status_code == 401
    assert json.loads(response.body) == body  # Canvas's own 401 bodies, as the REST API answers


# -- (b) a message reaches its recipient at once, and nobody else ---------------------------
async def test_a_new_conversation_reaches_the_recipient_within_100_ms_and_no_one_else(sandbox):
    a_id, c_id = user_id(sandbox, "student", 0), user_id(sandbox, "student", 1)
    async with api(sandbox, "student", 0) as a, api(sandbox, "teacher") as teacher, \
            live(sandbox, sandbox.info.token_of("teacher")) as b_ws, \
            live(sandbox, sandbox.info.token_of("student", 1)) as c_ws:
        await a.get("/api/v1/conversations/unread_count")  # open the HTTP connection beforehand

        started = time.perf_counter()
        post = asyncio.ensure_future(
            a.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER_ID)], "body": "Live?"})
        )
        first = await next_event(b_ws)
        latency = time.perf_counter() - started
        got = {first["metadata"]["event_name"]: first}
        got.update(await events_until(b_ws, {"conversation_created", "conversation_message_created"} - got.keys()))
        answer = await post
        assert answer.status_code == 201
        conversation_id = str(answer.json()[0]["id"])
        print(f"live latency, request sent to first frame received: {latency * 1000:.1f} ms")
        assert latency < 0.1  # the acceptance

        created, message = got["conversation_created"], got["conversation_message_created"]
        for event in (created, message):
            meta = event["metadata"]
            assert set(event) == {"id", "metadata", "body"}  # the seeds' event, and the stream's id
            assert isinstance(event["id"], str)
            assert set(meta) == SEED_METADATA_KEYS
            assert EVENT_TIME.match(meta["event_time"])
            assert meta["user_id"] == global_id(a_id)  # the actor, as a global id
            assert (meta["http_method"], meta["producer"]) == ("POST", "canvas")
            assert meta["url"].endswith("/api/v1/conversations")
            assert all(isinstance(v, str) for v in event["body"].values())  # ids are strings
        assert created["metadata"]["event_name"] == "conversation_created"
        assert created["id"] != message["id"]
        assert set(created["body"]) == {"conversation_id", "updated_at"}
        assert created["body"]["conversation_id"] == conversation_id
        assert ISO.match(created["body"]["updated_at"])
        assert set(message["body"]) == {"author_id", "conversation_id", "created_at", "message_id"}
        assert (message["body"]["author_id"], message["body"]["conversation_id"]) == (str(a_id), conversation_id)
        assert ISO.match(message["body"]["created_at"]) and message["body"]["message_id"].isdigit()

        # C is no participant. Rather than waiting to see nothing arrive, give C an event
        # of its own: were A's events queued for C, they would come first (one queue, in order).
        to_c = await teacher.post("/api/v1/conversations", data={"recipients[]": [str(c_id)], "body": "Only you"})
        assert to_c.status_code == 201
        first_for_c = await next_event(c_ws)
        assert first_for_c["body"]["conversation_id"] == str(to_c.json()[0]["id"])
        assert first_for_c["metadata"]["user_id"] == global_id(TEACHER_ID)


# -- (c) people added to a group conversation hear of it ---------------------------------
async def test_a_user_added_to_a_group_conversation_receives_conversation_forwarded(sandbox):
    first, second, added = (user_id(sandbox, "student", i) for i in (0, 1, 2))
    async with api(sandbox, "teacher") as teacher, live(sandbox, sandbox.info.token_of("student", 2)) as ws:
        group = await teacher.post("/api/v1/conversations", data={
            "recipients[]": [str(first), str(second)], "body": "Project team", "group_conversation": "true",
        })
        assert group.status_code == 201
        conversation_id = group.json()[0]["id"]
        added_answer = await teacher.post(f"/api/v1/conversations/{conversation_id}/add_recipients",
                                          data={"recipients[]": [str(added)]})
        assert added_answer.status_code == 200

        # The group's creation was none of this user's business: the first frame is the addition.
        forwarded = await next_event(ws)
        assert forwarded["metadata"]["event_name"] == "conversation_forwarded"
        assert set(forwarded["metadata"]) == SEED_METADATA_KEYS
        assert forwarded["metadata"]["url"].endswith(f"/api/v1/conversations/{conversation_id}/add_recipients")
        assert forwarded["body"]["conversation_id"] == str(conversation_id)
        assert set(forwarded["body"]) == {"conversation_id", "updated_at"}
        # Then the generated "was added" message, which the newcomer can see.
        generated = await next_event(ws)
        assert generated["metadata"]["event_name"] == "conversation_message_created"
        assert generated["body"]["conversation_id"] == str(conversation_id)


# -- the connection's lifetime ------------------------------------------------------------------
async def test_client_frames_are_ignored_and_a_closed_connection_is_unsubscribed(sandbox):
    hub = sandbox.state.hub

    def listeners() -> int:
        return sandbox.call(hub.listeners, TEACHER_ID)  # read on the server's own loop

    async with api(sandbox, "student", 0) as a, live(sandbox, sandbox.info.token_of("teacher")) as ws:
        assert await asyncio.to_thread(listeners) == 1
        await ws.send("hello?")  # unknown frames are ignored, and the stream goes on
        await ws.send(b"\x00\x01")
        answer = await a.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER_ID)], "body": "Still there?"})
        assert answer.status_code == 201
        await events_until(ws, {"conversation_message_created"})
    await async_wait_until(lambda: asyncio.to_thread(lambda: listeners() == 0), timeout=WAIT)


# -- (d) simulated activity --------------------------------------------------------------------
async def test_simulated_activity_reaches_the_connected_teacher(make_sandbox):
    sandbox = make_sandbox(activity=0.05)
    known = {"conversation_created", "conversation_message_created", "conversation_forwarded",
             "discussion_entry_created", "discussion_entry_submitted", "discussion_topic_created"}
    async with live(sandbox, sandbox.info.token_of("teacher")) as ws:
        seen = set()
        for _ in range(5):  # a few, so more than one kind of action is exercised
            event = await next_event(ws)
            meta = event["metadata"]
            assert meta["event_name"] in known
            assert meta["user_id"] != global_id(TEACHER_ID)  # other people write, not the teacher
            assert EVENT_TIME.match(meta["event_time"])
            seen.add(meta["event_name"])
        assert seen


def test_simulated_activity_keeps_its_rate_when_actions_are_slow():
    """The schedule counts from when an action was due, not from when the last one ended: with
    actions taking 8 ms every 18 ms, 55 a second still happen (not 1 / 26 ms = 38); a process
    stopped for 5 s starts again from now instead of firing 270 actions at once."""
    from tui_inbox.sandbox.activity import next_due

    now = due = 0.0
    done = 0
    while now < 10.0:
        due = next_due(due, now, 0.018)
        now = max(now, due) + 0.008  # it waits until due, then the action takes 8 ms
        done += 1
    assert 54 * 10 <= done <= 56 * 10
    late = next_due(due, due + 5.0, 0.018)
    assert late >= due + 5.0 - 1.0  # at most a second's worth of actions to catch up
