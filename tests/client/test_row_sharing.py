"""The rows of a big listing share one object per repeated value, and stay safe to hold.

A mailbox names the same people, audiences and states in row after row; the client hands
out one object for each (canvas/sharing.py), so 100,000 rows do not hold 100,000 copies.
Shared objects are read-only: a change through one row must not show up in the others.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import pickle
import tracemalloc

import httpx
import pytest

from tui_inbox.canvas.client import CanvasClient
from tui_inbox.canvas.models import Conversation
from tui_inbox.canvas import pagination


@pytest.fixture
def big_sandbox(make_sandbox):
    return make_sandbox(seed=1, conversations=2000)


def teacher_client(sandbox) -> CanvasClient:
    return CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher", 0))


async def test_rows_naming_the_same_person_hold_one_object_for_them(big_sandbox):
    async with teacher_client(big_sandbox) as client:
        rows = await client.load_conversations("inbox", per_page=100)
    people: dict[tuple, list] = {}
    for row in rows:
        for person in row.participants:
            people.setdefault((person.id, person.name, person.full_name, person.avatar_url), []).append(person)
    assert len(rows) > 1500 and len(people) < 200  # the sandbox's few dozen people, in every row
    for same in people.values():
        assert all(p is same[0] for p in same)  # one object per person, however many rows name them
    contexts = {}
    for row in rows:
        contexts.setdefault(json.dumps(row.audience_contexts, sort_keys=True), []).append(row.audience_contexts)
    assert all(c is group[0] for group in contexts.values() for c in group)
    assert len({id(r.workflow_state) for r in rows}) <= 3  # unread, read, archived: one string each


async def test_a_listing_costs_a_fraction_of_its_json_in_memory(big_sandbox):
    """The old rows held every field as parsed (about 3.6 KB a row here); shared ones, about 0.4 KB."""
    async with teacher_client(big_sandbox) as client:
        await client.get_self()  # connections and imports settle outside what is measured
        gc.collect()
        tracemalloc.start()
        try:
            rows = await client.load_conversations("inbox", per_page=100)
            gc.collect()
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(rows) > 1500
    assert held / len(rows) < 1200, f"{held / len(rows):.0f} bytes a row"


async def test_shared_lists_and_dicts_refuse_changes_and_act_as_plain_ones(big_sandbox):
    async with teacher_client(big_sandbox) as client:
        rows = await client.load_conversations("inbox", per_page=100)
    row = next(r for r in rows if len(r.participants) >= 2 and r.audience and r.audience_contexts.get("courses"))
    twin = next(r for r in rows if r is not row and r.participants is row.participants)
    for change in (lambda: row.participants.append(row.participants[0]), lambda: row.audience.pop(),
                   lambda: row.audience_contexts.update(groups={}), lambda: row.participants.sort(key=id),
                   lambda: row.audience_contexts["courses"].clear()):
        with pytest.raises(TypeError, match="shared by many rows"):
            change()
    assert twin.participants == row.participants and len(row.participants) >= 2  # nothing changed
    # They are still the list and dict a caller expects, through every usual way of copying.
    assert row.audience == list(row.audience) and isinstance(row.audience_contexts, dict)
    assert json.loads(json.dumps(row.audience_contexts)) == row.audience_contexts
    for copied in (copy.copy(row), copy.deepcopy(row), pickle.loads(pickle.dumps(row))):
        assert copied == row
    plain = dataclasses.asdict(row)
    assert plain["participants"][0]["name"] == row.participants[0].name
    mine = list(row.participants)
    mine.append(row.participants[0])  # a copy changes freely
    changed = dataclasses.replace(row, participants=mine, starred=not row.starred)
    assert len(changed.participants) == len(row.participants) + 1 and twin.starred == row.starred


def page(rows: list[dict]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=rows))


def listing_row(cid: int, people: list[dict], contexts: dict) -> dict:
    return {"id": cid, "subject": f"s{cid}", "workflow_state": "read", "last_message_at": "2026-11-01T10:00:00Z",
            "message_count": 1, "participants": people, "audience": [p["id"] for p in people],
            "audience_contexts": contexts}


async def test_rows_that_differ_keep_their_own_values():
    """Sharing is by value: a person renamed between two rows, or a different audience, is not merged."""
    rows = [
        listing_row(1, [{"id": 7, "name": "Zoë", "full_name": "Zoë Ng"}], {"courses": {"1": ["StudentEnrollment"]}}),
        listing_row(2, [{"id": 7, "name": "Zoe", "full_name": "Zoe Ng"}], {"courses": {"1": []}}),
        listing_row(3, [{"id": 7, "name": "Zoë", "full_name": "Zoë Ng",
                         "common_courses": {"1": ["StudentEnrollment"]}}], {"courses": {"1": ["TaEnrollment"]}}),
        listing_row(4, [{"id": "7", "name": "Zoë", "full_name": "Zoë Ng"}], {"courses": {"1": [1]}}),
    ]
    async with CanvasClient("https://canvas.example.edu", "t", transport=page(rows)) as client:
        got = await client.load_conversations("inbox")
    assert [r.participants[0].name for r in got] == ["Zoë", "Zoe", "Zoë", "Zoë"]
    assert got[2].participants[0].common_courses == {1: ["StudentEnrollment"]}
    assert got[0].participants[0] is got[3].participants[0]  # "7" and 7 are the same person
    assert got[0].participants[0] is not got[2].participants[0]  # one knows common courses, one does not
    assert [r.audience_contexts["courses"]["1"] for r in got] == [["StudentEnrollment"], [], ["TaEnrollment"], [1]]


async def test_a_hostile_audience_nesting_is_kept_as_sent_not_a_crash():
    """Nesting json reads but sharing cannot follow (two frames a level): the row keeps it as sent."""
    deep: dict = {}
    inner = deep
    for _ in range(700):
        inner["x"] = {}
        inner = inner["x"]
    rows = [listing_row(1, [], deep), listing_row(2, [], {"courses": {"1": []}})]
    async with CanvasClient("https://canvas.example.edu", "t", transport=page(rows)) as client:
        got = await client.load_conversations("inbox")
    assert [r.subject for r in got] == ["s1", "s2"]
    assert "x" in got[0].audience_contexts and got[1].audience_contexts == {"courses": {"1": []}}


async def test_pages_become_rows_as_they_arrive(big_sandbox):
    """The first page is parsed into rows before the second is asked for: the raw pages are not all held."""
    requests = 0
    converted_at: list[int] = []

    async def count(request) -> None:
        nonlocal requests
        requests += 1

    async with teacher_client(big_sandbox) as client:
        client.http._http.event_hooks["request"].append(count)

        def convert(item) -> Conversation:
            converted_at.append(requests)
            return Conversation.from_json(item)

        rows = await pagination.fetch_all(client.http, "/api/v1/conversations",
                                          [("scope", "inbox"), ("per_page", "100")], convert=convert)
        plain = await client.load_conversations("inbox", per_page=100)
    assert requests > 10 and converted_at[:100] == [1] * 100
    assert [r.id for r in rows] == [r.id for r in plain] and rows == plain
