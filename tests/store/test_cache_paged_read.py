"""Reading a view back from the cache a page at a time: the same rows in the same order as one
read, sharing their people across pages, and never all the view's JSON texts in memory at once
(a 100,000-row mailbox's texts are 45 MB, which the allocator kept after a read of them all)."""

from __future__ import annotations

import dataclasses
import tracemalloc

import pytest

from tui_inbox.canvas import CanvasClient
from tui_inbox.store import cache as cache_module
from tui_inbox.store.cache import Cache


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


async def canvas_rows(sandbox, n: int) -> list:
    """``n`` rows: the sandbox's Inbox repeated under new ids, as a big mailbox repeats its people."""
    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        rows = await client.load_conversations("inbox")
    return [dataclasses.replace(rows[i % len(rows)], id=1_000 + i) for i in range(n)]


async def test_a_paged_read_gives_every_row_once_in_canvas_order_across_equal_stamps(sandbox, tmp_path, monkeypatch):
    many = await canvas_rows(sandbox, 95)
    monkeypatch.setattr(cache_module, "READ_PAGE", 7)
    cache = Cache(tmp_path / "cache.sqlite3")
    # Stamps repeat in runs of ten (a bulk message stamps many rows alike): pages end inside a run.
    cache.save_view("inbox|", [(float(100 - i // 10), row) for i, row in enumerate(many)])
    expected = sorted(many, key=lambda r: (-(100 - (r.id - 1_000) // 10), -r.id))
    assert [r.id for r in cache.rows("inbox|")] == [r.id for r in expected]
    assert cache.rows("inbox|") == expected
    assert [r.id for r in cache.rows("inbox|", limit=23)] == [r.id for r in expected[:23]]
    assert [r.id for r in cache.rows("inbox|", limit=7)] == [r.id for r in expected[:7]]
    back = cache.rows("inbox|")
    people: dict = {}
    for row in back:  # one object per person, on the first page and the last alike
        for person in row.participants:
            assert people.setdefault((person.id, person.name), person) is person
    cache.close()


async def test_reading_a_view_holds_one_page_of_its_texts_not_all(sandbox, tmp_path, monkeypatch):
    many = await canvas_rows(sandbox, 3000)
    monkeypatch.setattr(cache_module, "READ_PAGE", 100)
    cache = Cache(tmp_path / "cache.sqlite3")
    cache.save_view("inbox|", [(float(3000 - i), row) for i, row in enumerate(many)])
    texts = sum(len(t) for (t,) in cache.db.execute("SELECT row FROM rows"))
    tracemalloc.start()
    try:
        rows = cache.rows("inbox|")
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rows) == 3000
    # What the read needed beyond the rows it returns: a page of texts, not the whole view's.
    assert peak - held < texts / 5, (peak - held, texts)
    cache.close()
