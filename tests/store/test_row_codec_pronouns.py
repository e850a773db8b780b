"""A participant's pronouns survive the cache, and a row cached before pronouns were kept still reads."""

from __future__ import annotations

import json

import pytest

from tui_inbox.canvas import CanvasClient
from tui_inbox.store.row_codec import decode, encode, encode_rows


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


async def test_pronouns_from_canvas_come_back_from_the_cache_and_an_older_row_reads_as_unset(sandbox):
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        rows = await client.load_conversations("inbox")
    row = next(c for c in rows if any(p.pronouns for p in c.participants))
    quinn = next(p for p in row.participants if p.pronouns)
    assert (quinn.full_name, quinn.pronouns) == ("Quinn Harper", "they/them")  # as the sandbox sent them
    back = decode(encode(row))
    assert back == row and next(p for p in back.participants if p.id == quinn.id).pronouns == "they/them"
    assert dict(encode_rows([row])) == {row.id: encode(row)}

    # A row written before pronouns were cached: six fields per person.
    older = json.loads(encode(row))
    older[15] = [person[:6] for person in older[15]]
    assert all(p.pronouns is None for p in decode(json.dumps(older)).participants)
