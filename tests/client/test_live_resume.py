"""The live feed resumes after a lost connection (live-stream.md, "Resuming"), over loopback.

The sandbox plays the server wherever it can: a cable (tests/network_cut.py) in front of its
/live is pulled while a student writes, and put back. A tiny websockets server stands in only for
what the sandbox never does: repeat events, send forged ids, or not resume at all.
"""

from __future__ import annotations

import asyncio
import json

from tests.client.test_live_feed import (
    TEACHER_ID, WAIT, client_for, fake_live_server, fast, rest, running, wait_state,
)
from tests.network_cut import NetworkCut
from tui_inbox.live import FeedState, LiveFeed
from tui_inbox.live.resume import ResumePoint


def port_of(sandbox) -> int:
    return int(sandbox.base_url.rsplit(":", 1)[1])


def event_frame(conversation_id: int, event_id=None, **extra) -> str:
    frame = {"metadata": {"event_name": "conversation_message_created", "user_id": "10"},
             "body": {"conversation_id": str(conversation_id)}, **extra}
    if event_id is not None:
        frame["id"] = event_id
    return json.dumps(frame)


def about(conversation_id: int):
    return lambda c: c.kind == "event" and c.event.conversation_id == conversation_id


def message_in(conversation_id: int):
    """The last event a new conversation brings (conversation_created comes first)."""
    return lambda c: about(conversation_id)(c) and c.event.name == "conversation_message_created"


async def student_writes(sandbox, body: str) -> int:
    """A new conversation each time (a group one), so its events name only it."""
    async with rest(sandbox, "student") as student:
        answer = await student.post("/api/v1/conversations", data={"recipients[]": [str(TEACHER_ID)], "body": body,
                                                             "subject": body, "group_conversation": "true"})
    assert answer.status_code == 201
    return answer.json()[0]["id"]


async def test_a_reconnect_resumes_what_was_missed_without_a_resync(sandbox):
    with NetworkCut(port_of(sandbox)) as cable:  # only the stream goes through the cable: REST stays up
        async with client_for(sandbox) as client:
            feed = LiveFeed(client, f"ws://127.0.0.1:{cable.port}/live", trusted_live_url=True, poll_seconds=3600,
                            stream_settings=fast())
            async with running(feed) as got:
                await wait_state(feed, FeedState.LIVE)
                before = await student_writes(sandbox, "Before the cut")
                await got.first(message_in(before))
                cable.cut()
                await wait_state(feed, FeedState.POLLING, FeedState.CONNECTING)
                missed = await student_writes(sandbox, "While the stream was down")
                seen = len(got.changes)
                cable.restore()
                await got.first(message_in(missed))
                after = await student_writes(sandbox, "After it came back")
                await got.first(message_in(after))
                since = got.changes[seen:]
                # The missed event came as an event, once, in order; nothing asked the app to refetch.
                assert not any(c.kind == "resync" for c in since)
                assert [c.event.conversation_id for c in since if c.kind == "event"
                        and c.event.name == "conversation_message_created"] == [missed, after]
                assert got.kinds().count("resync") == 1  # the first connect's only


async def test_a_gap_longer_than_the_window_is_told_as_one_resync(make_sandbox):
    sandbox = make_sandbox(seed=1, live_history_seconds=60)
    with NetworkCut(port_of(sandbox)) as cable:
        async with client_for(sandbox) as client:
            feed = LiveFeed(client, f"ws://127.0.0.1:{cable.port}/live", trusted_live_url=True, poll_seconds=3600,
                            stream_settings=fast())
            async with running(feed) as got:
                await wait_state(feed, FeedState.LIVE)
                await got.first(about(await student_writes(sandbox, "Before the cut")))
                cable.cut()
                await wait_state(feed, FeedState.POLLING, FeedState.CONNECTING)
                missed = await student_writes(sandbox, "Long ago")
                sandbox.call(sandbox.state.clock.skip, 61)  # away longer than the server keeps events
                cable.restore()
                await got.count(lambda c: c.kind == "resync", 2)  # the app refetches over REST
                after = await student_writes(sandbox, "Now")
                await got.first(about(after))
                assert not any(about(missed)(c) for c in got.changes)  # not replayed: the resync covers it


async def test_replayed_events_already_handled_are_dropped_and_the_last_id_is_sent_back(sandbox):
    handshakes: list = []

    async def server(ws):
        handshakes.append(ws.request.headers)
        if len(handshakes) == 1:
            for n in (1, 2, 3):
                await ws.send(event_frame(n, f"e{n}"))
            await ws.close()
        else:  # starts its replay early, as a relay sending a newcomer recent events may
            for n in (2, 3, 4):
                await ws.send(event_frame(n, f"e{n}"))
            await ws.send(event_frame(3, "e3"))
            await ws.send(event_frame(5, "e5"))
            await ws.wait_closed()

    async with fake_live_server(server) as (url, _), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, poll_seconds=3600, stream_settings=fast())
        async with running(feed) as got:
            await got.first(about(5))
            events = [c.event.conversation_id for c in got.changes if c.kind == "event"]
            assert events == [1, 2, 3, 4, 5]  # each once, in order
            assert got.kinds().count("resync") == 1
    assert "Last-Event-ID" not in handshakes[0]
    assert handshakes[1]["Last-Event-ID"] == "e3"


async def test_a_server_that_does_not_resume_makes_the_app_resync(sandbox):
    handshakes: list = []

    async def server(ws):
        handshakes.append(ws.request.headers)
        if len(handshakes) == 1:
            await ws.send(event_frame(1, "41"))
            await ws.close()
        else:  # an older relay: ignores Last-Event-ID and its events carry no id
            await ws.send(event_frame(2))
            await ws.wait_closed()

    async with fake_live_server(server) as (url, _), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, poll_seconds=3600, stream_settings=fast())
        async with running(feed) as got:
            await got.first(about(2))
            assert [c.kind for c in got.changes if c.kind != "unread_count"] == ["resync", "event", "resync", "event"]
    assert handshakes[1]["Last-Event-ID"] == "41"


async def test_forged_and_malformed_ids_are_handled_safely_and_never_sent_back(sandbox):
    handshakes: list = []
    bad_ids = [5, ["e1"], {"id": "e1"}, None, True, "", "with space", "line\r\nX-Injected: 1", "é", "x" * 300_000]

    async def server(ws):
        handshakes.append(ws.request.headers)
        if len(handshakes) == 1:
            await ws.send(event_frame(1, "good-1"))
            for n, bad in enumerate(bad_ids, start=10):
                await ws.send(json.dumps({"id": bad, "metadata": {"event_name": "conversation_message_created"},
                                          "body": {"conversation_id": str(n)}}))
            await ws.send(json.dumps({"resync": "yes", "id": "x"}))  # not the contract's resync: ignored
            await ws.close()
        else:
            await ws.send(event_frame(2, "good-2"))
            await ws.wait_closed()

    async with fake_live_server(server) as (url, _), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, poll_seconds=3600, stream_settings=fast())
        async with running(feed) as got:
            await got.first(about(2))
            events = [c.event.conversation_id for c in got.changes if c.kind == "event"]
            # Every event is handled (an id it cannot use is as none), and the stream went on.
            assert events == [1, *range(10, 10 + len(bad_ids)), 2]
            assert feed.state.state is FeedState.LIVE
            assert got.kinds().count("resync") == 1
    # The reconnect resumed from the last id it could use; nothing forged reached the headers.
    assert handshakes[1]["Last-Event-ID"] == "good-1"
    assert "X-Injected" not in handshakes[1]


def test_the_memory_of_handled_ids_is_bounded():
    point = ResumePoint(remembered=100)
    assert all(point.first_time(f"id-{n}") for n in range(10_000))
    assert len(point) == 100 and point.last_id == "id-9999"
    assert not point.first_time("id-9999") and point.first_time("id-0")  # long forgotten: a resync's job
