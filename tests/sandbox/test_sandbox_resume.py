"""Resuming the sandbox's /live with Last-Event-ID (live-stream.md, "Resuming"), over a real server.

A client that was away sends the last id it received and gets, in order, every later event its
user may see, then the live ones; one it cannot be given that way (too old, unknown, malformed)
gets one ``{"resync": true}`` frame first. Every wait is on a frame, with a timeout; the window
passes by skipping the sandbox's clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from websockets.asyncio.client import connect

TEACHER = 1
JANE, BOB, ALICE = 10, 11, 12  # students 0, 1 and 2
WAIT = 10.0


def live(sandbox, role: str, index: int = 0, last_id: str | None = None):
    headers = {"Authorization": f"Bearer {sandbox.info.token_of(role, index)}"}
    if last_id is not None:
        headers["Last-Event-ID"] = last_id
    return connect(sandbox.live_url, additional_headers=headers, open_timeout=WAIT)


def api(sandbox, role: str, index: int = 0) -> httpx.AsyncClient:
    token = sandbox.info.token_of(role, index)
    return httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


async def next_frame(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def frames_until(ws, predicate) -> list[dict]:
    """Frames up to and including the first that ``predicate`` accepts."""
    got = [await next_frame(ws)]
    while not predicate(got[-1]):
        got.append(await next_frame(ws))
    return got


async def write(client: httpx.AsyncClient, to: list[int], body: str) -> str:
    """A new conversation: its id, as the events name it."""
    answer = await client.post("/api/v1/conversations", data={"recipients[]": [str(u) for u in to], "body": body,
                                                             "subject": body, "group_conversation": "true"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["id"])


def about(conversation_id: str):
    return lambda frame: frame.get("body", {}).get("conversation_id") == conversation_id


async def a_starting_id(sandbox) -> str:
    """The id of an event the teacher received while connected, as a client would remember it."""
    async with api(sandbox, "teacher") as teacher, live(sandbox, "teacher") as ws:
        conversation = await write(teacher, [JANE], "Before the break")
        frames = await frames_until(ws, lambda f: about(conversation)(f) and
                                    f["metadata"]["event_name"] == "conversation_message_created")
    return frames[-1]["id"]


async def test_a_teacher_back_from_a_break_gets_what_was_written_to_her_in_order_then_live(sandbox):
    last_id = await a_starting_id(sandbox)
    async with api(sandbox, "student", 0) as jane, api(sandbox, "ta", 0) as priya, \
            api(sandbox, "teacher") as teacher:
        to_her = await write(jane, [TEACHER], "While you were away")
        not_hers = await write(priya, [ALICE], "From the TA")  # the teacher is no participant
        by_her = await write(teacher, [BOB], "Sent from the web")  # her own, from another device
        # One connection that never left sees the same events the returning one must be given.
        async with live(sandbox, "teacher", last_id=last_id) as back:
            replayed = await frames_until(back, lambda f: about(by_her)(f) and
                                          f["metadata"]["event_name"] == "conversation_message_created")
            assert [(f["metadata"]["event_name"], f["body"]["conversation_id"]) for f in replayed] == [
                ("conversation_created", to_her), ("conversation_message_created", to_her),
                ("conversation_created", by_her), ("conversation_message_created", by_her)]
            assert not any(about(not_hers)(f) for f in replayed)
            ids = [int(f["id"].rsplit("-", 1)[1]) for f in replayed]
            assert ids == sorted(ids) and len(set(ids)) == len(ids) and all(isinstance(f["id"], str) for f in replayed)
            # Then live: the next event is a new one, not a repeat of the replay.
            after = await write(jane, [TEACHER], "Welcome back")
            live_frame = await next_frame(back)
            assert about(after)(live_frame) and live_frame["id"] not in {f["id"] for f in replayed}


async def test_a_replay_gives_a_user_nothing_she_may_not_see(sandbox):
    last_id = await a_starting_id(sandbox)
    async with api(sandbox, "student", 0) as jane, api(sandbox, "teacher") as teacher:
        private = await write(jane, [TEACHER], "Only for my teacher")
        await write(teacher, [JANE], "Only for Jane")
        # Alice presents an id she never received (ids are not secrets): she is given nothing of theirs.
        async with live(sandbox, "student", 2, last_id=last_id) as alice:
            sentinel = await write(teacher, [ALICE], "For Alice")
            first = await next_frame(alice)
            assert about(sentinel)(first), f"Alice was replayed someone else's event: {first}"
            assert first["metadata"]["event_name"] == "conversation_created"
        # Jane, resuming from the same id, is given her own conversation's events.
        async with live(sandbox, "student", 0, last_id=last_id) as back:
            assert about(private)(await next_frame(back))


async def test_an_id_older_than_the_window_gets_one_resync_frame_then_live(make_sandbox):
    sandbox = make_sandbox(seed=1, live_history_seconds=60)
    last_id = await a_starting_id(sandbox)
    async with api(sandbox, "student", 0) as jane:
        await write(jane, [TEACHER], "Long ago")
        sandbox.call(sandbox.state.clock.skip, 61)  # the window passes, and what was written leaves it
        async with live(sandbox, "teacher", last_id=last_id) as back:
            assert await next_frame(back) == {"resync": True}
            fresh = await write(jane, [TEACHER], "Just now")
            frame = await next_frame(back)
            assert about(fresh)(frame) and frame["metadata"]["event_name"] == "conversation_created"
        # Within the window, the same kind of gap is replayed.
        again = await a_starting_id(sandbox)
        missed = await write(jane, [TEACHER], "A minute ago")
        async with live(sandbox, "teacher", last_id=again) as back:
            assert about(missed)(await next_frame(back))


async def test_an_id_past_the_count_bound_gets_a_resync(make_sandbox):
    sandbox = make_sandbox(seed=1, live_history_events=3)
    last_id = await a_starting_id(sandbox)
    async with api(sandbox, "ta", 0) as priya:
        for n in range(2):  # four events, whoever they are for: more than the history keeps
            await write(priya, [ALICE], f"Chatter {n}")
    async with live(sandbox, "teacher", last_id=last_id) as back:
        assert await next_frame(back) == {"resync": True}


async def test_unknown_and_malformed_ids_get_a_resync_and_the_stream_goes_on(sandbox):
    last_id = await a_starting_id(sandbox)
    run, sequence = last_id.rsplit("-", 1)
    other_run = ("0" if run[0] != "0" else "1") + run[1:]
    for bad in ["garbage", "9" * 4000, f"{run}-{int(sequence) + 1000}", f"{other_run}-{sequence}", f"{run}--1",
                f"{run}-{'9' * 40}", "12", '{"id": 1}']:
        async with live(sandbox, "teacher", last_id=bad) as ws:
            assert await next_frame(ws) == {"resync": True}, bad
    async with api(sandbox, "student", 0) as jane, live(sandbox, "teacher", last_id="garbage") as ws:
        assert await next_frame(ws) == {"resync": True}
        fresh = await write(jane, [TEACHER], "Still works")
        assert about(fresh)(await next_frame(ws))


async def test_without_last_event_id_nothing_is_replayed_and_no_resync_is_sent(sandbox):
    await a_starting_id(sandbox)
    async with api(sandbox, "student", 0) as jane:
        await write(jane, [TEACHER], "Before you connected")
        async with live(sandbox, "teacher") as ws:
            fresh = await write(jane, [TEACHER], "After you connected")
            first = await next_frame(ws)
            assert about(fresh)(first) and "resync" not in first
