"""Search everywhere over two accounts in the core (inbox/merged_search.py): each school's own index,
filled by its indexer over HTTP from its own sandbox, asked at once; the hits merged newest first,
each with its account. Two schools over loopback (tests/two_schools.py).

What the sandboxes answer is their reading of canvas-lms's app/controllers/conversations_controller.rb
(create, index, show); nothing is added to the sandbox here.
"""

from __future__ import annotations

import asyncio

from tests.two_schools import COLLEGE, STATE, start_schools, teacher_token, write_to_teacher
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.indexer import Indexer
from tui_inbox.inbox.merged_search import Source, find_everywhere
from tui_inbox.store.search_index import SearchIndex


def later(school, seconds: float) -> None:
    school.call(school.state.clock.skip, seconds)


def indexed(school, path) -> tuple[SearchIndex, Indexer]:
    index = SearchIndex.open(path)

    async def run() -> Indexer:
        client = CanvasClient(school.base_url, teacher_token(school))
        try:
            indexer = Indexer(client, index, limit=None)
            await indexer.run()
            return indexer
        finally:
            await client.aclose()

    return index, asyncio.run(run())


def test_hits_of_both_schools_merge_newest_first_each_with_its_account(make_sandbox, tmp_path):
    state, college = start_schools(make_sandbox)
    oldest = write_to_teacher(college, "The quokka census starts Monday", "Field trip")
    later(state, 120)
    middle = write_to_teacher(state, "Is the quokka essay due Friday?", "Essay")
    later(college, 300)
    newest = write_to_teacher(college, "Quokka photos from the trip", "Photos")
    (state_index, state_indexer), (college_index, college_indexer) = (
        indexed(state, tmp_path / "state.sqlite3"), indexed(college, tmp_path / "college.sqlite3"))
    try:
        sources = [Source(STATE, state_index, state_indexer.progress),
                   Source(COLLEGE, college_index, college_indexer.progress)]
        found = asyncio.run(find_everywhere(sources, "quokka"))
        assert [(account, hit.conversation_id) for account, hit in found.hits] == [
            (COLLEGE, newest), (STATE, middle), (COLLEGE, oldest)]
        dates = [hit.created_at for _, hit in found.hits]
        assert dates == sorted(dates, reverse=True)
        assert found.line() == (f"3 found in all {state_indexer.progress.total:,} indexed conversations at {STATE}"
                                f" and in all {college_indexer.progress.total:,} indexed conversations at {COLLEGE}")

        # At most the limit, the newest of all; the count still says every hit.
        two = asyncio.run(find_everywhere(sources, "quokka", limit=2))
        assert [hit.conversation_id for _, hit in two.hits] == [newest, middle]
        assert two.line().startswith("3 found (the newest 2 shown) in all ")

        # One account: its own results and line, as search everywhere always said them.
        alone = asyncio.run(find_everywhere(sources[:1], "quokka"))
        assert [(account, hit.conversation_id) for account, hit in alone.hits] == [(STATE, middle)]
        assert alone.line() == f"1 found in all {state_indexer.progress.total:,} indexed conversations"
    finally:
        state_index.close()
        college_index.close()
