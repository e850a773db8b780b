"""The search index and its background indexer, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import stat

from tests.search_helpers import (CJK, Recording, seed_search_messages, unread_count, user_client,
                                  write_to_teacher)
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.indexer import Indexer
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import SearchIndex


def client_for(sandbox, transport=None) -> CanvasClient:
    return CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"), transport=transport)


def index_all(sandbox, index: SearchIndex, **options) -> tuple[Indexer, Recording]:
    async def run():
        recording = Recording()
        client = client_for(sandbox, recording)
        try:
            indexer = Indexer(client, index, **options)
            await indexer.run()
            return indexer, recording
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_words_found_across_mailboxes_in_latin_accented_and_cjk_text(sandbox, tmp_path):
    ids = seed_search_messages(sandbox)
    path = cache_path(tmp_path, "acct")
    index = SearchIndex.open(path)
    indexer, _ = index_all(sandbox, index)
    assert indexer.progress.finished and indexer.progress.fetched == indexer.progress.total

    notebook = index.search("notebook")
    assert [(h.conversation_id, h.mailbox) for h in notebook.hits] == [(ids["latin"], "Inbox")]
    assert ("notebook", True) in notebook.hits[0].snippet
    archived = index.search("spectrometer")
    assert [(h.conversation_id, h.mailbox) for h in archived.hits] == [(ids["archived"], "Archived")]

    accented = index.search("zoe resume")  # typed without the accents
    assert [h.conversation_id for h in accented.hits] == [ids["accented"]]
    assert ("Zoë", True) in accented.hits[0].snippet and ("résumé", True) in accented.hits[0].snippet

    phrase = index.search("期末考试")  # four characters, no spaces around them
    assert ids["cjk"] in [h.conversation_id for h in phrase.hits]
    word = index.search("范围")  # a two-character word: shorter than a trigram
    assert [h.conversation_id for h in word.hits] == [ids["cjk"]]
    assert ("范围", True) in word.hits[0].snippet
    assert index.search("photosynthesis zoe").hits == []  # every word must be in one message

    # The index lives in the account's cache file: 0600 in a 0700 folder.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    index.close()


def test_indexing_marks_nothing_read(sandbox, tmp_path):
    write_to_teacher(sandbox, CJK, "unread one")
    before = unread_count(sandbox)
    assert before > 0
    with user_client(sandbox, "teacher") as teacher:
        unread_before = {c["id"] for c in teacher.get("/api/v1/conversations", params={"scope": "unread",
                                                                                        "per_page": 100}).json()}
    index = SearchIndex.open(cache_path(tmp_path, "acct"))
    indexer, recording = index_all(sandbox, index)
    assert unread_before <= set(index.indexed())  # it did fetch the unread ones
    assert unread_count(sandbox) == before
    with user_client(sandbox, "teacher") as teacher:
        unread_after = {c["id"] for c in teacher.get("/api/v1/conversations", params={"scope": "unread",
                                                                                       "per_page": 100}).json()}
    assert unread_after == unread_before
    index.close()


def test_a_restart_fetches_only_what_is_new_or_changed(sandbox, tmp_path):
    path = cache_path(tmp_path, "acct")
    index = SearchIndex.open(path)
    first, recording = index_all(sandbox, index, limit=5)
    assert first.progress.total == 5 and len(recording.threads_fetched()) == 5
    index.close()

    index = SearchIndex.open(path)  # a restart: the same file
    again, recording = index_all(sandbox, index, limit=5)
    assert again.progress.finished and recording.threads_fetched() == []

    newest = next(iter(sorted(index.indexed())))
    with user_client(sandbox, "teacher") as teacher:
        teacher.post(f"/api/v1/conversations/{newest}/add_message", data={"body": "A later word: xylophone"})
    later, recording = index_all(sandbox, index, limit=5)
    assert recording.threads_fetched() == [f"/api/v1/conversations/{newest}"]
    assert [h.conversation_id for h in index.search("xylophone").hits] == [newest]
    index.close()


def test_the_indexer_stays_above_the_rate_limit_floor(make_sandbox, tmp_path):
    # Refused once the bucket's level reaches 0.5 of 50.5 (each request reserves 50 up front).
    # A request costs about 0.01 and the bucket leaks only 0.05 a second, so sixty requests
    # back to back are refused; the indexer keeps above 50.3 by waiting for the leak. Its waits
    # skip the sandbox's clock ahead instead of sleeping: the bucket leaks as if they were sat through.
    running = make_sandbox(seed=1, throttle=True, throttle_hwm=50.5, throttle_upfront=50.0, throttle_leak=0.05)
    index = SearchIndex.open(cache_path(tmp_path, "acct"))

    async def let_time_pass(seconds: float) -> None:
        running.call(running.state.clock.skip, seconds)

    async def run():
        recording = Recording()
        client = client_for(running, recording)
        client.http.pacer.low_water = 0  # the client's own pacer would hide whether the indexer paces
        try:
            indexer = Indexer(client, index, limit=60, floor=50.3, slow_from=50.4, leak_per_second=0.05,
                              sleep=let_time_pass)
            await indexer.run()
            return indexer, recording
        finally:
            await client.aclose()

    indexer, recording = asyncio.run(run())
    assert [s for _, _, s in recording.seen if s != 200] == []  # never a 403 "Rate Limit Exceeded"
    assert indexer.progress.finished and indexer.progress.fetched == 60
    assert indexer.waited > 0  # it did have to wait for the bucket
    index.close()


def test_a_word_of_the_subject_lists_its_conversation_once_or_by_its_messages_that_say_it(sandbox, tmp_path):
    """"extension" is in the subject of a 20-message thread: one hit stands for the conversation (the
    message that opened it, its author and words), not 20 alike; a conversation some of whose
    messages say the word is listed by those messages only, not once more for its subject."""
    ids = seed_search_messages(sandbox)  # "Extension request", whose one message says "extension"
    index = SearchIndex.open(cache_path(tmp_path, "acct"))
    index_all(sandbox, index)
    found = index.search("extension")
    by_conversation: dict[int, list] = {}
    for hit in found.hits:
        by_conversation.setdefault(hit.conversation_id, []).append(hit)
    for hits in by_conversation.values():
        saying = [h for h in hits if any(matched for _, matched in h.snippet)]
        assert saying == hits or len(hits) == 1  # for its own words, or once for its subject
    assert [("extension", True) in h.snippet for h in by_conversation[ids["latin"]]] == [True]
    with user_client(sandbox, "teacher") as teacher:
        listed = {c["id"]: c for c in teacher.get("/api/v1/conversations", params={"per_page": 100}).json()}
        thread_id = next(cid for cid, c in listed.items() if c["subject"] == "Lab report extension"
                         and c["message_count"] == 20)
        thread = teacher.get(f"/api/v1/conversations/{thread_id}", params={"auto_mark_as_read": "0"}).json()
    opener = min(thread["messages"], key=lambda m: m["created_at"])
    [hit] = by_conversation[thread_id]
    assert hit.message_id == opener["id"]
    assert hit.author == next(p["name"] for p in thread["participants"] if p["id"] == opener["author_id"])
    assert "".join(text for text, _ in hit.snippet).startswith(" ".join(opener["body"].split())[:40])
    assert found.total == len(found.hits)  # what is counted is what is listed
    index.close()
