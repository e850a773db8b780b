"""The live feed (tui_inbox/live/) against the real sandbox over loopback.

Every wait is on a condition with a bounded timeout (tests/waiting.py), never a
sleep for a guessed time. Where the sandbox cannot play the part (a hostile relay,
a foreign host, a relay that refuses the token), a tiny websockets server on
127.0.0.1 stands in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers

from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient, ConfigurationError, RetryPolicy
from tui_inbox.live import AUTH_REFUSED, Backoff, Change, FeedState, LiveFeed, StreamSettings, checked_live_url
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs

TEACHER_ID = 1
WAIT = 10.0  # the most any one condition may take before the test fails


def fast(**overrides) -> StreamSettings:
    """Contract timings shrunk so reconnects take milliseconds."""
    settings = dict(backoff=Backoff(base=0.02, cap=0.1), stable_after=0.5, open_timeout=3.0, close_timeout=1.0)
    settings.update(overrides)
    return StreamSettings(**settings)


def client_for(sandbox, role: str = "teacher", token: str | None = None) -> CanvasClient:
    # One attempt per call: a stopped server must show up as a failed poll at once.
    return CanvasClient(sandbox.base_url, token or sandbox.info.token_of(role), retry=RetryPolicy(attempts=1))


def rest(sandbox, role: str, index: int = 0) -> httpx.AsyncClient:
    token = sandbox.info.token_of(role, index)
    return httpx.AsyncClient(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def user_id(sandbox, role: str, index: int = 0) -> int:
    return [u for u in sandbox.info.users if u["role"] == role][index]["id"]


class Collected:
    """Changes read from a feed by a background consumer, as the app would."""

    def __init__(self, feed: LiveFeed) -> None:
        self.changes: list[Change] = []
        self._task = asyncio.ensure_future(self._consume(feed))

    async def _consume(self, feed: LiveFeed) -> None:
        async for change in feed:
            self.changes.append(change)

    def kinds(self) -> list[str]:
        return [c.kind for c in self.changes]

    async def first(self, predicate, timeout: float = WAIT) -> Change:
        return await async_wait_until(lambda: next((c for c in self.changes if predicate(c)), None), timeout)

    async def count(self, predicate, n: int, timeout: float = WAIT) -> None:
        await async_wait_until(lambda: sum(1 for c in self.changes if predicate(c)) >= n, timeout)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@contextlib.asynccontextmanager
async def running(feed: LiveFeed):
    """Start a feed with a consumer; afterwards check that closing left no task behind."""
    async with feed:
        got = Collected(feed)
        try:
            yield got
        finally:
            await got.stop()
    leftover = [t for t in asyncio.all_tasks() if t.get_name().startswith("tui-inbox") and not t.done()]
    assert not leftover


def feed_tasks(name: str) -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == f"tui-inbox {name}" and not t.done()]


async def wait_state(feed: LiveFeed, *states: FeedState) -> None:
    await async_wait_until(lambda: feed.state.state in states, WAIT)


def is_event(name: str):
    return lambda c: c.kind == "event" and c.event.name == name


@contextlib.asynccontextmanager
async def fake_live_server(handler=None, process_request=None):
    """A websockets server on a free loopback port: yields (url, request headers seen)."""
    seen: list[Headers] = []

    def record(connection, request):
        seen.append(request.headers)
        return process_request(connection, request) if process_request else None

    async def default(ws):
        await ws.wait_closed()

    async with serve(handler or default, "127.0.0.1", 0, process_request=record) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/live", seen


# -- (a) events ---------------------------------------------------------------------------
async def test_a_message_from_a_student_reaches_the_teachers_feed_as_a_typed_event(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # the token must stay out of the logs even at DEBUG
    token = sandbox.info.token_of("teacher")
    async with client_for(sandbox) as client, running(LiveFeed(client, sandbox.live_url, stream_settings=fast())) as got:
        await async_wait_until(lambda: "resync" in got.kinds(), WAIT)
        async with rest(sandbox, "student") as student:
            answer = await student.post("/api/v1/conversations",
                                        data={"recipients[]": [str(TEACHER_ID)], "body": "Is the feed live?"})
        assert answer.status_code == 201
        conversation_id = answer.json()[0]["id"]

        change = await got.first(is_event("conversation_message_created"))
        event = change.event
        assert event.known and event.is_conversation
        assert isinstance(event.conversation_id, int) and event.conversation_id == conversation_id
        assert event.author_id == user_id(sandbox, "student")
        assert isinstance(event.message_id, int)
        assert change.unread_count is None
    assert token not in caplog.text


# -- (b) LIVE, and a resync first ---------------------------------------------------------
async def test_b_the_feed_goes_live_and_the_first_change_is_a_resync(sandbox):
    async with client_for(sandbox) as client:
        feed = LiveFeed(client, sandbox.live_url, stream_settings=fast())
        seen = []
        feed.state.subscribe(lambda status: seen.append(status))
        assert feed.state.state is FeedState.CONNECTING
        async with running(feed) as got:
            await wait_state(feed, FeedState.LIVE)
            await async_wait_until(lambda: got.changes, WAIT)
            assert got.changes[0] == Change("resync")
            assert feed.state.error is None and feed.state.last_update_at is not None
            assert [s.state for s in seen][:1] == [FeedState.LIVE]
            assert not feed_tasks("unread_count poller")  # the stream is up: nobody polls


# -- (c) no live URL: polling ------------------------------------------------------------
async def test_c_without_a_live_url_the_feed_polls_and_emits_unread_count_changes(sandbox):
    async with client_for(sandbox) as client, running(LiveFeed(client, None, poll_seconds=0.05)) as got:
        baseline = (await got.first(lambda c: c.kind == "unread_count")).unread_count
        assert got.changes[0].kind == "unread_count"  # the baseline is emitted too
        assert baseline == await client.unread_count()
        async with rest(sandbox, "student") as student:
            answer = await student.post("/api/v1/conversations",
                                        data={"recipients[]": [str(TEACHER_ID)], "body": "Polled?"})
        assert answer.status_code == 201
        await got.first(lambda c: c.kind == "unread_count" and c.unread_count == baseline + 1)
        # Only changes are emitted, not every poll: many polls ran, two counts were seen.
        assert [c.unread_count for c in got.changes] == [baseline, baseline + 1]


async def test_c_a_polling_feed_reports_polling_with_no_error(sandbox):
    async with client_for(sandbox) as client:
        feed = LiveFeed(client, "", poll_seconds=0.05)  # an empty live.url means none
        async with running(feed):
            await wait_state(feed, FeedState.POLLING)
            assert feed.state.error is None and feed.state.last_update_at is not None


# -- (d) the stream goes away and comes back -----------------------------------------------
async def test_d_a_restarted_server_on_the_same_port_brings_the_feed_back_live_with_a_resync():
    first = await asyncio.to_thread(lambda: RunningSandbox(Knobs(seed=1)).start())
    second = None
    try:
        port = int(first.base_url.rsplit(":", 1)[1])
        async with client_for(first) as client:
            # One poll only while the stream is down (poll_seconds=30), so the states are
            # decided by the stream: the order cannot depend on which retry wins a race.
            feed = LiveFeed(client, first.live_url, poll_seconds=30, stream_settings=fast())
            states: list[FeedState] = []
            feed.state.subscribe(lambda s: states.append(s.state) if not states or states[-1] != s.state else None)
            async with running(feed) as got:
                await wait_state(feed, FeedState.LIVE)

                await asyncio.to_thread(first.stop)  # HTTP and websocket both gone
                await wait_state(feed, FeedState.OFFLINE)
                assert feed.state.error and "\n" not in feed.state.error

                # Same seed: same users and tokens, as a real server coming back would have.
                second = await asyncio.to_thread(lambda: RunningSandbox(Knobs(seed=1), "127.0.0.1", port).start())
                await wait_state(feed, FeedState.LIVE)
                await got.count(lambda c: c.kind == "resync", 2)
                assert feed.state.error is None
                await async_wait_until(lambda: not feed_tasks("unread_count poller"), WAIT)  # polling stopped

                # And events flow on the new connection.
                async with rest(second, "student") as student:
                    answer = await student.post("/api/v1/conversations",
                                                data={"recipients[]": [str(TEACHER_ID)], "body": "Back?"})
                await got.first(lambda c: c.kind == "event" and c.event.conversation_id == answer.json()[0]["id"])
            # CONNECTING may flash in between (the stream is down, the first poll not yet answered).
            assert [s for s in states if s is not FeedState.CONNECTING][:3] == [
                FeedState.LIVE, FeedState.OFFLINE, FeedState.LIVE]
    finally:
        await asyncio.to_thread(first.stop)
        if second is not None:
            await asyncio.to_thread(second.stop)


# -- (e) a refused token ------------------------------------------------------------------
async def test_e_a_bad_token_gives_a_one_line_auth_message_and_a_slow_retry_not_an_exception(sandbox):
    bad = "7~this-token-is-not-valid"
    asked: list[float] = []

    async def recording_sleep(delay: float) -> None:
        asked.append(delay)
        await asyncio.sleep(delay)  # really wait: the test would see hammering as extra handshakes

    settings = fast(auth_retry=600.0, sleep=recording_sleep)
    async with client_for(sandbox, token=bad) as client:
        feed = LiveFeed(client, sandbox.live_url, poll_seconds=0.05, stream_settings=settings)
        async with running(feed) as got:
            await async_wait_until(lambda: feed.state.error == AUTH_REFUSED, WAIT)
            await wait_state(feed, FeedState.FAILING)  # REST refuses the token too: nothing works, but Canvas is not unreachable
            assert feed.state.error == AUTH_REFUSED and "\n" not in AUTH_REFUSED
            await async_wait_until(lambda: asked, WAIT)
            assert len(asked) == 1 and 300.0 <= asked[0] <= 600.0  # one attempt, then a long wait
            assert not [c for c in got.changes if c.kind != "unread_count"]
        assert bad not in repr(feed) and bad not in repr(feed.state)


async def test_e_a_relay_that_refuses_the_token_leaves_the_feed_polling_with_the_reason(sandbox):
    def refuse(connection, request):
        return connection.respond(401, "no\n")

    async with fake_live_server(process_request=refuse) as (url, seen), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, poll_seconds=0.05, stream_settings=fast(auth_retry=600))
        async with running(feed) as got:
            await wait_state(feed, FeedState.POLLING)  # REST works: the inbox still updates
            await async_wait_until(lambda: feed.state.error == AUTH_REFUSED, WAIT)
            await got.first(lambda c: c.kind == "unread_count")
        assert len(seen) == 1  # and it did not hammer the relay


# -- (f) an untrusted live URL never gets the token ----------------------------------------------
async def test_f_an_untrusted_live_url_on_another_port_is_refused_before_anything_is_sent(sandbox):
    token = sandbox.info.token_of("teacher")
    async with fake_live_server() as (url, seen), client_for(sandbox) as client:
        # Our choice: refuse to connect at all (not "connect without the token"), and say why.
        with pytest.raises(ConfigurationError) as refused:
            LiveFeed(client, url, trusted_live_url=False)
        message = str(refused.value)
        assert "Refusing to send the Canvas token" in message and "trusted" in message
        assert "\n" not in message and token not in message
        assert not feed_tasks("live stream")
        assert seen == []  # the server never heard from us

        # The control: trusted by the user, the same server does get the token.
        feed = LiveFeed(client, url, trusted_live_url=True, stream_settings=fast())
        async with running(feed):
            await wait_state(feed, FeedState.LIVE)
        assert [h.get("Authorization") for h in seen] == [f"Bearer {token}"]


@pytest.mark.parametrize(
    "base, live, trusted, ok",
    [
        ("https://canvas.example.edu", "wss://canvas.example.edu/live", False, True),  # the Canvas host itself
        ("https://canvas.example.edu", "wss://canvas.example.edu:443/live", False, True),
        ("https://canvas.example.edu", "wss://canvas.example.edu:8443/live", False, False),  # another port
        ("https://canvas.example.edu", "wss://relay.example.edu/live", False, False),  # another host
        ("https://canvas.example.edu", "wss://relay.example.edu/live", True, True),  # ... that the user trusts
        ("https://canvas.example.edu", "ws://canvas.example.edu/live", True, False),  # plain ws, off this machine
        ("https://canvas.example.edu", "ws://relay.example.edu/live", True, False),
        ("https://canvas.example.edu", "https://canvas.example.edu/live", True, False),  # not a websocket URL
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/live", False, True),  # the sandbox
        ("http://127.0.0.1:8000", "wss://127.0.0.1:8000/live", False, False),  # ws<->http only
        ("http://127.0.0.1:8000", "ws://localhost:8000/live", False, False),  # another host name
        ("http://127.0.0.1:8000", "ws://localhost:9000/live", True, True),  # plain ws is fine on loopback
    ],
)
def test_f_where_the_token_may_go(base, live, trusted, ok):
    client = CanvasClient(base, "7~secret-token")
    if ok:
        assert httpx.URL(checked_live_url(live, client.http, trusted=trusted)) == httpx.URL(live)
    else:
        with pytest.raises(ConfigurationError) as refused:
            checked_live_url(live, client.http, trusted=trusted)
        assert "secret-token" not in str(refused.value) and "\n" not in str(refused.value)


# -- (g) hostile frames ---------------------------------------------------------------------------
def frame(name: str, **body) -> str:
    return json.dumps({"metadata": {"event_name": name, "user_id": "10000000000007"}, "body": body})


async def test_g_hostile_frames_do_not_break_the_feed_and_unknown_events_are_delivered(sandbox, caplog):
    caplog.set_level(logging.INFO, "tui_inbox.live")
    max_size = 64 * 1024
    hostile = [
        b"\x00\x01 a binary frame", "not json", "[1, 2, 3]", "null", '"a string"', "42", "{}",
        '{"metadata": "not an object"}', '{"metadata": {"event_name": ["a", "list"]}}',
        "[" * 50_000,  # nesting deep enough to blow the parser's recursion limit
        frame("conversation_created", conversation_id="9" * 5000),  # past int()'s digit limit
        frame("conversation_created", conversation_id="²"),  # isdigit() says yes, int() says no
        frame("conversation_created", conversation_id={"nested": True}),
        frame("something_canvas_adds_next_year", widget_id="5"),
        frame("conversation_message_created", conversation_id="42", message_id="7", author_id="7"),
    ]
    connections = []

    async def relay(ws):
        connections.append(ws)
        if len(connections) == 1:
            for item in hostile:
                await ws.send(item)
            await ws.send("x" * (max_size + 1))  # too large: the client must drop the connection
        else:
            await ws.send(frame("conversation_message_created", conversation_id="43"))
        await ws.wait_closed()

    async with fake_live_server(relay) as (url, seen), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, stream_settings=fast(max_size=max_size))
        async with running(feed) as got:
            await got.first(lambda c: c.kind == "event" and c.event.conversation_id == 43)
            assert feed.state.state is FeedState.LIVE
            events = [c.event for c in got.changes if c.kind == "event"]
            # The bad-id frames may be dropped or kept with no id, but never with a wild one.
            assert all(e.conversation_id in (None, 42, 43) for e in events)
            named = [(e.name, e.known) for e in events if e.name != "conversation_created"]
            assert named == [("something_canvas_adds_next_year", False), ("conversation_message_created", True),
                             ("conversation_message_created", True)]
            unknown = next(e for e in events if not e.known)
            assert unknown.body == {"widget_id": "5"} and unknown.actor_id == 7
            # The oversized frame cost one reconnect (polls may have run in the gap: unread_count changes).
            kinds = [c.kind for c in got.changes
                     if c.kind == "resync" or (c.kind == "event" and c.event.name != "conversation_created")]
            assert kinds == ["resync", "event", "event", "resync", "event"]
            assert "sent a frame that was too large" in caplog.text
        assert len(seen) == 2


async def test_g_a_consumer_that_falls_far_behind_gets_one_resync_instead_of_unbounded_memory(sandbox):
    ticks = iter(range(10**6))

    def clock() -> datetime:  # every update gets its own time, so every one is notified
        return datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=next(ticks))

    async def relay(ws):
        for i in range(10):
            await ws.send(frame("conversation_message_created", conversation_id=str(i + 1)))
        await ws.wait_closed()

    async with fake_live_server(relay) as (url, _), client_for(sandbox) as client:
        feed = LiveFeed(client, url, trusted_live_url=True, stream_settings=fast(), max_pending=3, now=clock)
        updates = []
        feed.state.subscribe(updates.append)
        async with feed:  # nobody reads while the ten events arrive
            await async_wait_until(lambda: len(updates) == 11, WAIT)  # connect + 10 events
            got = [await asyncio.wait_for(anext(feed), WAIT) for _ in range(4)]
        assert [c.kind for c in got] == ["resync", "event", "event", "resync"]
        assert [c.event.conversation_id for c in got if c.event] == [1, 2]


# -- shutting down ---------------------------------------------------------------------------------
async def test_closing_the_feed_ends_the_iteration_and_leaves_no_task(sandbox):
    async with client_for(sandbox) as client:
        feed = LiveFeed(client, sandbox.live_url, stream_settings=fast())
        feed.start()
        waiting = asyncio.ensure_future(anext(feed))
        first = await asyncio.wait_for(waiting, WAIT)
        assert first.kind == "resync"
        blocked = asyncio.ensure_future(anext(feed))  # a consumer waiting on an empty queue
        await feed.aclose()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(blocked, WAIT)
        await feed.aclose()  # twice is fine
        assert not feed_tasks("live stream") and not feed_tasks("unread_count poller")
        assert feed.state.state is FeedState.OFFLINE
        assert [c async for c in feed] == []


# -- Canvas out of reach, then back --------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_while_canvas_cannot_be_reached_the_poller_asks_every_few_seconds_not_at_its_long_backoff():
    # Nothing listens on the port: every poll is refused before anything is sent, which costs
    # Canvas nothing, so the next try comes within reach_seconds whatever the back-off says.
    from tui_inbox.live.poller import UnreadPoller

    asked: list[float] = []
    failed: list[tuple] = []

    async def recording_sleep(delay: float) -> None:
        asked.append(delay)
        await asyncio.sleep(0)

    class Listener:
        def poll_ok(self, *args) -> None:
            raise AssertionError("nothing listens there")

        def poll_failed(self, *args) -> None:
            failed.append(args)

    async with CanvasClient(f"http://127.0.0.1:{free_port()}", "t", retry=RetryPolicy(attempts=1)) as client:
        poller = UnreadPoller(client, interval=30.0, backoff=Backoff(base=3600.0, cap=3600.0), reach_seconds=3.0,
                              sleep=recording_sleep)
        task = asyncio.ensure_future(poller.run(Listener()))
        try:
            await async_wait_until(lambda: len(asked) >= 3, WAIT)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert all(delay == 3.0 for delay in asked)
    assert all(args[1] is True for args in failed)  # said as unreachable: the feed says "offline"


async def test_any_answer_from_canvas_wakes_a_failed_poller_at_once(sandbox):
    # The sandbox behind a cable: cut, the poll is refused and the poller waits an hour; restored,
    # another request that gets an answer (the Outbox's, a key press's) makes it ask at once.
    from tests.network_cut import NetworkCut

    with NetworkCut(int(sandbox.base_url.rsplit(":", 1)[1])) as cable:
        async with CanvasClient(cable.base_url, sandbox.info.token_of("teacher"), retry=RetryPolicy(attempts=1)) as client:
            feed = LiveFeed(client, None, poll_seconds=0.05, poll_backoff=Backoff(base=3600.0, cap=3600.0),
                            reach_seconds=3600.0)
            async with running(feed):
                await wait_state(feed, FeedState.POLLING)
                cable.cut()
                await wait_state(feed, FeedState.OFFLINE)
                cable.restore()
                await client.get_self()  # answered: Canvas is back
                await wait_state(feed, FeedState.POLLING)
