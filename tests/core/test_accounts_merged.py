"""Several accounts in the core, without Textual: two sandboxes over HTTP, one session each
(inbox/accounts.py), their rows merged (inbox/merged_view.py) and acted on together
(inbox/merged_triage.py), each checked back through its own sandbox's API.

The sandboxes are seeds 1 and 2: different people and tokens, and the same conversation ids
(the ids of one Canvas mean nothing at another), which is the case that must never mix up.
What the sandboxes answer is the sandbox's reading of canvas-lms's
app/controllers/conversations_controller.rb (index with include_all_conversation_ids,
batch_update, update); nothing is added to the sandbox here.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tests.conftest import FIXED_NOW
from tests.two_schools import Unplugged, api, scope_ids
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.accounts import Accounts, AccountState
from tui_inbox.inbox.changes import AccountChange, AccountStateChanged, MergedSelectionChanged, ViewChanged
from tui_inbox.inbox.merged_triage import MergedTriage
from tui_inbox.inbox.merged_view import MergedView
from tui_inbox.inbox.session import InboxSession

STATE_U, CITY = "State U", "City College"


class Recording(httpx.AsyncBaseTransport):
    """A real HTTP transport that remembers every request (its URL and Authorization header)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.hold_changes: asyncio.Event | None = None  # while set up and not set, a PUT waits for it

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.hold_changes is not None and request.method == "PUT":
            await self.hold_changes.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def no_wait(seconds: float) -> None:
    """The client's retry pause, injected: a refused connection is retried without sitting it out."""


def session_for(base_url: str, token: str, recording: Recording | None = None) -> InboxSession:
    return InboxSession(CanvasClient(base_url, token, transport=recording, sleep=no_wait))


def subjects(sandbox) -> dict[int, str]:
    """The teacher's Inbox as the sandbox's API lists it: id to subject."""
    found: dict[int, str] = {}
    with api(sandbox) as client:
        page = client.get("/api/v1/conversations", params={"scope": "inbox", "per_page": 100})
        while True:
            found.update((c["id"], c["subject"]) for c in page.json())
            following = page.links.get("next")
            if following is None:
                return found
            page = client.get(following["url"])


@pytest.fixture
def two_schools(make_sandbox):
    """Both clocks start at the same fixed time: the seeded dates are the same at both schools."""
    return make_sandbox(seed=1, now=FIXED_NOW), make_sandbox(seed=2, now=FIXED_NOW)


@pytest.fixture
async def accounts(two_schools):
    """Both schools' teachers, one session each, every request recorded per account."""
    state_u, city = two_schools
    recordings = {STATE_U: Recording(), CITY: Recording()}
    made = Accounts([(STATE_U, session_for(state_u.base_url, state_u.info.token_of("teacher"), recordings[STATE_U])),
                     (CITY, session_for(city.base_url, city.info.token_of("teacher"), recordings[CITY]))])
    made.recordings = recordings
    heard: list = []
    made.on_change(heard.append)
    made.heard = heard
    yield made
    await made.aclose()
    for recording in recordings.values():
        await recording.aclose()


async def started(accounts: Accounts) -> MergedView:
    await accounts.start()
    for member in accounts:
        await member.session.wait_loaded()
    return MergedView(accounts)


async def test_the_inbox_holds_both_schools_rows_newest_first_each_with_its_school(two_schools, accounts):
    state_u, city = two_schools
    merged = await started(accounts)
    assert [accounts.state_of(name) for name in accounts.names] == [AccountState.READY, AccountState.READY]

    at_state_u, at_city = subjects(state_u), subjects(city)
    assert merged.loaded
    unread = [int(api(school).get("/api/v1/conversations/unread_count").json()["unread_count"])
              for school in (state_u, city)]
    assert accounts.unread_count == sum(unread) and min(unread) > 0  # the rail's badge: both schools'
    assert set(at_state_u) & set(at_city), "the two seeds share conversation ids: the hard case"
    rows = merged[:]
    assert len(merged) == len(at_state_u) + len(at_city)
    # Each row is its own school's conversation, by its key, with that school's subject.
    assert {row.key for row in rows} == {(STATE_U, cid) for cid in at_state_u} | {(CITY, cid) for cid in at_city}
    for row in rows:
        assert row.conversation.subject == (at_state_u if row.account == STATE_U else at_city)[row.conversation.id]
    dates = [row.conversation.last_message_at for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert rows[0].account == STATE_U and rows[1].account == CITY  # the same minute: the first school first

    # The same id at both schools is two rows, found and placed by its key.
    shared = sorted(set(at_state_u) & set(at_city))[0]
    here, there = merged.position((STATE_U, shared)), merged.position((CITY, shared))
    assert here != there and merged[here].key == (STATE_U, shared) and merged[there].key == (CITY, shared)
    assert merged.find((CITY, shared)).subject == at_city[shared]

    merged.narrow(CITY)
    assert {row.key for row in merged[:]} == {(CITY, cid) for cid in at_city}
    merged.narrow(None)
    assert len(merged) == len(at_state_u) + len(at_city)

    await accounts.switch("sent")
    assert merged.refresh()
    assert merged.mailbox.id == "sent" and {row.account for row in merged[:]} == {STATE_U, CITY}
    dates = [row.conversation.last_authored_message_at for row in merged[:]]
    assert dates == sorted(dates, reverse=True)


async def test_archiving_one_row_of_each_school_archives_each_at_its_own_canvas_and_undo_restores_both(
        two_schools, accounts):
    state_u, city = two_schools
    merged = await started(accounts)
    in_both = set(subjects(state_u)) & set(subjects(city))
    # Two ids both schools have: State U's first one and City College's second one are archived.
    first, second = [row.conversation.id for row in merged[:] if row.conversation.id in in_both
                     and row.account == STATE_U][:2]
    archived_before = {STATE_U: scope_ids(state_u, "archived"), CITY: scope_ids(city, "archived")}
    triage = MergedTriage(accounts)
    triage.toggle((STATE_U, first))
    triage.toggle((CITY, second))
    accounts.heard.clear()

    line = await triage.act("archive", triage.targets(None))

    assert line == "Archived 2 conversations (1 at State U, 1 at City College)"
    assert scope_ids(state_u, "archived") - archived_before[STATE_U] == {first}
    assert scope_ids(city, "archived") - archived_before[CITY] == {second}
    assert merged.refresh()
    shown = {row.key for row in merged[:]}
    assert (STATE_U, first) not in shown and (CITY, second) not in shown
    assert (STATE_U, second) in shown and (CITY, first) in shown  # the same ids at the other school stay
    assert triage.count == 0
    # The changes came tagged with the school they happened at.
    assert {change.account for change in accounts.heard
            if isinstance(change, AccountChange) and isinstance(change.change, ViewChanged)} == {STATE_U, CITY}
    assert any(isinstance(change, MergedSelectionChanged) for change in accounts.heard)

    line = await triage.undo()

    assert line == "Undone: 2 conversations back as they were (1 at State U, 1 at City College)"
    assert scope_ids(state_u, "archived") == archived_before[STATE_U]
    assert scope_ids(city, "archived") == archived_before[CITY]
    assert merged.refresh()
    assert {(STATE_U, first), (CITY, second)} <= {row.key for row in merged[:]}
    assert await triage.undo() == "Nothing to undo."


async def test_each_school_acts_at_once_not_after_the_other(two_schools, accounts):
    """State U's answer is held back: City College's part is done on its Canvas meanwhile."""
    state_u, city = two_schools
    merged = await started(accounts)
    own, other = merged[:2]
    assert (own.account, other.account) == (STATE_U, CITY)
    held = accounts.recordings[STATE_U].hold_changes = asyncio.Event()
    triage = MergedTriage(accounts)
    acting = asyncio.create_task(triage.act("archive", [own.key, other.key]))
    try:
        await async_wait_until(lambda: other.conversation.id in scope_ids(city, "archived"))
        assert not acting.done() and own.conversation.id not in scope_ids(state_u, "archived")
    finally:
        held.set()
    assert await acting == "Archived 2 conversations (1 at State U, 1 at City College)"
    assert own.conversation.id in scope_ids(state_u, "archived")


async def test_a_stopped_school_is_offline_and_the_other_loads_and_acts(two_schools, accounts):
    state_u, city = two_schools
    city.stop()
    merged = await started(accounts)

    assert accounts.state_of(CITY) is AccountState.OFFLINE
    assert accounts.state_of(STATE_U) is AccountState.READY
    assert AccountStateChanged(CITY, AccountState.OFFLINE, accounts[CITY].detail) in accounts.heard
    assert accounts[CITY].detail.startswith("Cannot reach Canvas")
    assert {row.account for row in merged[:]} == {STATE_U}
    assert len(merged) == len(subjects(state_u))
    assert merged.loaded  # nothing more is coming: the offline school has no rows to give

    chosen = merged[0].key
    line = await MergedTriage(accounts).act("archive", [chosen])
    assert line == "Archived 1 conversation at State U"
    assert chosen[1] in scope_ids(state_u, "archived")


async def test_a_refused_token_says_sign_in_again_for_that_school_only(two_schools):
    state_u, city = two_schools
    accounts = Accounts([(STATE_U, session_for(state_u.base_url, state_u.info.token_of("teacher"))),
                         (CITY, session_for(city.base_url, "7~not-a-token-of-this-school"))])
    try:
        merged = await started(accounts)
        assert accounts.state_of(STATE_U) is AccountState.READY
        assert accounts.state_of(CITY) is AccountState.SIGNED_OUT and AccountState.SIGNED_OUT.value == "sign in again"
        assert {row.account for row in merged[:]} == {STATE_U}
    finally:
        await accounts.aclose()


async def test_a_school_that_stops_answering_fails_its_part_only(two_schools, accounts):
    state_u, city = two_schools
    merged = await started(accounts)
    own, other = merged[:2]
    assert (own.account, other.account) == (STATE_U, CITY)
    city.stop()
    triage = MergedTriage(accounts)
    triage.select([own.key, other.key])

    line = await triage.act("star", triage.targets(None))

    assert line.startswith("Starred 1 conversation at State U; City College: Starred 0 conversations; 1 failed: "
                           "Cannot reach Canvas")
    assert triage.last_failed
    with api(state_u) as client:
        assert client.get(f"/api/v1/conversations/{own.conversation.id}").json()["starred"]
    merged.refresh()
    assert not merged.find(other.key).starred  # put back as it was: City College did not star it
    assert triage.selected == {other.key: None}  # what did not go stays selected, to try again


async def test_a_school_that_never_answers_does_not_hold_up_the_other(two_schools):
    """A server that takes the connection and never answers: the other school starts all the same."""
    state_u, _ = two_schools
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    accounts = Accounts([(STATE_U, session_for(state_u.base_url, state_u.info.token_of("teacher"))),
                         (CITY, session_for(f"http://127.0.0.1:{port}", "a-token"))])
    starting = asyncio.create_task(accounts.start())
    try:
        await async_wait_until(lambda: accounts.state_of(STATE_U) is AccountState.READY)
        await accounts.session(STATE_U).wait_loaded()
        assert accounts.state_of(CITY) is AccountState.STARTING
        assert not starting.done()
        merged = MergedView(accounts)
        assert len(merged) == len(subjects(state_u)) and merged[0].account == STATE_U
        assert not merged.loaded  # City College may still answer
    finally:
        await accounts.aclose()
        silent.close()
    assert starting.done()


async def test_each_school_is_sent_only_its_own_token(two_schools, accounts):
    state_u, city = two_schools
    merged = await started(accounts)
    await accounts.switch("unread")
    await accounts.switch("inbox")
    merged.refresh()
    triage = MergedTriage(accounts)
    triage.select([merged[0].key, merged[1].key, merged[2].key])
    assert await triage.act("star", triage.targets(None)) == "Starred 3 conversations (2 at State U, 1 at City College)"
    assert await triage.undo() == "Undone: 3 conversations back as they were (2 at State U, 1 at City College)"
    assert await triage.repeat(merged[1].key) == "Starred 1 conversation at City College"
    with api(city) as client:
        assert client.get(f"/api/v1/conversations/{merged[1].conversation.id}").json()["starred"]

    expected = {STATE_U: (state_u, f"Bearer {state_u.info.token_of('teacher')}"),
                CITY: (city, f"Bearer {city.info.token_of('teacher')}")}
    assert expected[STATE_U][1] != expected[CITY][1]
    for name, recording in accounts.recordings.items():
        sandbox, bearer = expected[name]
        assert len(recording.requests) > 5
        assert {request.headers.get("Authorization") for request in recording.requests} == {bearer}
        assert {(request.url.host, request.url.port) for request in recording.requests} == {
            (httpx.URL(sandbox.base_url).host, httpx.URL(sandbox.base_url).port)}
    # And each sandbox heard of the action: its own row starred and put back (one batch or update each way).
    assert any(r.method == "PUT" for r in accounts.recordings[STATE_U].requests)
    assert any(r.method == "PUT" for r in accounts.recordings[CITY].requests)


async def test_a_school_offline_at_the_start_starts_once_it_answers_again(two_schools):
    state_u, city = two_schools
    cable = Unplugged()
    accounts = Accounts([(STATE_U, session_for(state_u.base_url, state_u.info.token_of("teacher"))),
                         (CITY, session_for(city.base_url, city.info.token_of("teacher"), cable))])
    heard: list = []
    accounts.on_change(heard.append)
    try:
        await accounts.start()
        assert accounts.state_of(CITY) is AccountState.OFFLINE
        assert await accounts.restart(CITY) is AccountState.OFFLINE  # still down: still offline, said once
        assert [c for c in heard if isinstance(c, AccountStateChanged) and c.account == CITY][-1].state is AccountState.OFFLINE
        cable.down = False
        assert await accounts.restart(CITY) is AccountState.READY
        await accounts.session(CITY).wait_loaded()
        merged = MergedView(accounts)
        assert {row.account for row in merged[:]} == {STATE_U, CITY}
        assert await accounts.restart(STATE_U) is AccountState.READY  # a started account is left as it is
    finally:
        await accounts.aclose()
        await cable.aclose()


class Refusing(httpx.AsyncBaseTransport):
    """Canvas refusing the token from now on (as when it is deleted under Account > Settings), with
    the 401 canvas-lms gives (app/controllers/application_controller.rb, render_unauthorized_action
    for an invalid token: ``{"errors": [{"message": "Invalid access token."}]}``); before, the sandbox."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.refuse = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse:
            return httpx.Response(401, json={"errors": [{"message": "Invalid access token."}]},
                                  headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_token_refused_mid_session_says_sign_in_again_for_that_school_only(two_schools):
    state_u, city = two_schools
    refusing = Refusing()
    accounts = Accounts([(STATE_U, session_for(state_u.base_url, state_u.info.token_of("teacher"))),
                         (CITY, session_for(city.base_url, city.info.token_of("teacher"), refusing))])
    try:
        merged = await started(accounts)
        assert accounts.state_of(CITY) is AccountState.READY
        refusing.refuse = True
        keys = [next(row.key for row in merged[:] if row.account == name) for name in (STATE_U, CITY)]
        line = await MergedTriage(accounts).act("star", keys)
        assert line.startswith(f"Starred 1 conversation at {STATE_U}; {CITY}: ")
        assert accounts.state_of(CITY) is AccountState.SIGNED_OUT
        assert accounts.state_of(CITY).value == "sign in again"
        assert "refused the access token" in accounts[CITY].detail
        assert accounts.state_of(STATE_U) is AccountState.READY
    finally:
        await accounts.aclose()
        await refusing.aclose()
