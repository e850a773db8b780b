"""A whole view's rows encoded at once (store/row_codec.encode_rows) are the very texts each row
alone encodes to: the cache's schema does not depend on how many rows are saved together."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.models import Participant
from tui_inbox.store.cache import Cache
from tui_inbox.store.row_codec import decode, encode, encode_rows


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


async def test_rows_encoded_together_are_the_texts_each_row_encodes_to(sandbox, tmp_path):
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        rows = await client.load_conversations("inbox")
        sent = await client.load_conversations("sent")
    odd = dataclasses.replace(
        rows[0], id=999_001, last_message_at=None, last_authored_message_at=None, participants=[], avatar_url=None,
        subject='quotes " and \\ back\\slashes, [@click=x] and \u2028 and \U0001f600', context_code=None,
        audience_contexts={"courses": {"7": ["TeacherEnrollment"]}, "groups": {"3": []}})
    # A person not shared with any other row (as a row changed by hand is), and one with courses in common.
    alone = dataclasses.replace(rows[1], id=999_002, participants=[
        Participant(id=5, name="Ana", full_name="Ana B", avatar_url="http://x/a.png", common_courses={1: ["S"]},
                    common_groups={}),
        rows[1].participants[0]],
        last_message_at=datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=timezone.utc))
    everything = rows + sent + [odd, alone] + rows  # the same row objects twice: the shared texts reused
    together = encode_rows(everything)
    assert together == [(c.id, encode(c)) for c in everything]
    assert all(decode(text) == c for (_, text), c in zip(together, everything))
    # Saved as a view, read back equal.
    cache = Cache(tmp_path / "cache.sqlite3")
    cache.save_view("inbox|", [(float(len(everything) - i), c) for i, c in enumerate(rows + [odd, alone])])
    assert cache.rows("inbox|") == rows + [odd, alone]
    cache.close()
