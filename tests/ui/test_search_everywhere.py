"""Search everywhere and ``body:`` in the app, driven with keys against the sandbox."""

from __future__ import annotations

from tests.conftest import ready, settle, user_client
from tests.search_helpers import LATIN, seed_search_messages, write_to_teacher
from tests.waiting import async_wait_until
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import SearchIndex
from tui_inbox.ui.screens.search_everywhere import SearchEverywhere


def app_with_index(make_inbox_app, tmp_path):
    app = make_inbox_app()
    app.session.search_index = SearchIndex.open(cache_path(tmp_path, "acct"))
    return app


async def search_for(pilot, words: str) -> SearchEverywhere:
    screen = pilot.app.screen
    assert isinstance(screen, SearchEverywhere)
    screen.query_one("#words").value = words
    await async_wait_until(lambda: screen.shown_for == words)
    return screen


async def test_search_everywhere_finds_words_in_every_mailbox_and_opens_the_matching_message(
        fixed_sandbox, make_inbox_app, tmp_path):
    ids = seed_search_messages(fixed_sandbox)
    # The match is the first of three messages: the thread's cursor would be on the last one otherwise.
    with user_client(fixed_sandbox, "teacher") as teacher:
        teacher.post(f"/api/v1/conversations/{ids['latin']}/add_message", data={"body": "Yes, until Monday."})
        teacher.post(f"/api/v1/conversations/{ids['latin']}/add_message", data={"body": "Noted in the gradebook."})
        thread = teacher.get(f"/api/v1/conversations/{ids['latin']}", params={"auto_mark_as_read": "0"}).json()
    first_message = next(m["id"] for m in thread["messages"] if m["body"] == LATIN)
    app = app_with_index(make_inbox_app, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)  # the indexer ran to the end as the app started
        assert app.search_indexer.progress.finished and not app.status.indexing
        total = app.search_indexer.progress.total
        await pilot.press("S")
        await async_wait_until(lambda: isinstance(app.screen, SearchEverywhere))

        screen = await search_for(pilot, "spectrometer")
        assert [(h.conversation_id, h.mailbox) for h in screen.hits] == [(ids["archived"], "Archived")]
        assert str(screen.query_one("#found").render()) == f"1 found in all {total:,} indexed conversations"
        screen = await search_for(pilot, "zoe resume")
        assert [h.conversation_id for h in screen.hits] == [ids["accented"]]
        shown = str(screen.query_one("#results").get_option_at_index(0).prompt)
        with user_client(fixed_sandbox, "teacher") as teacher:
            subject = teacher.get(f"/api/v1/conversations/{ids['accented']}",
                                  params={"auto_mark_as_read": "0"}).json()["subject"]
        assert shown.startswith(f"{subject}  ") and "  Inbox\n" in shown
        assert "Zoë Müller asked about the résumé workshop" in shown
        screen = await search_for(pilot, "期末考试")
        assert ids["cjk"] in [h.conversation_id for h in screen.hits]
        screen = await search_for(pilot, "范围")
        assert [h.conversation_id for h in screen.hits] == [ids["cjk"]]

        screen = await search_for(pilot, "photosynthesis notebook")
        assert [h.message_id for h in screen.hits] == [first_message]
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.current is not None and app.session.current.id == ids["latin"]
                               and app.thread.conversation is not None)
        await settle(pilot)
        assert not isinstance(app.screen, SearchEverywhere)
        assert app.thread.cursor_message.id == first_message
        assert app.focused is app.thread


async def test_body_narrows_the_list_and_says_what_is_not_indexed_yet(fixed_sandbox, make_inbox_app, tmp_path):
    ids = seed_search_messages(fixed_sandbox)
    app = app_with_index(make_inbox_app, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"body:notebook")
        await async_wait_until(lambda: [r.id for r in app.list.rows] == [ids["latin"]])
        search = app.query_one("#search")
        assert search.border_subtitle.startswith("1 of ")

        app.session.search_index.forget([ids["cjk"]])  # as if the indexer had not reached it yet
        search.value = "body:范围"
        await async_wait_until(lambda: app.list.rows == [] and "1 not indexed yet" in search.border_subtitle)
        search.value = "-body:notebook"
        await async_wait_until(lambda: ids["latin"] not in [r.id for r in app.list.rows]
                               and ids["accented"] in [r.id for r in app.list.rows])


async def test_a_conversation_deleted_in_the_app_is_no_longer_found(fixed_sandbox, make_inbox_app, tmp_path):
    """Canvas forgets it for this user: search everywhere must not offer a thread that cannot open."""
    ids = seed_search_messages(fixed_sandbox)
    app = app_with_index(make_inbox_app, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        assert [h.conversation_id for h in app.session.search_index.search("notebook").hits] == [ids["latin"]]
        app.list.cursor = next(i for i, row in enumerate(app.list.rows) if row.id == ids["latin"])
        await pilot.press("d", "y")
        await async_wait_until(lambda: ids["latin"] not in [r.id for r in app.list.rows])
        await settle(pilot)
        await pilot.press("S")
        await async_wait_until(lambda: isinstance(app.screen, SearchEverywhere))
        screen = await search_for(pilot, "photosynthesis notebook")
        assert screen.hits == []


async def test_a_hit_on_a_conversation_deleted_elsewhere_says_so_and_leaves_the_index(
        fixed_sandbox, make_inbox_app, tmp_path):
    """Deleted on another device: the index still had it. Enter finds Canvas answering 404: one line
    says what happened, and the conversation leaves the list and the index (it cannot come back)."""
    ids = seed_search_messages(fixed_sandbox)
    app = app_with_index(make_inbox_app, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        with user_client(fixed_sandbox, "teacher") as teacher:
            teacher.delete(f"/api/v1/conversations/{ids['latin']}").raise_for_status()
        await pilot.press("S")
        await async_wait_until(lambda: isinstance(app.screen, SearchEverywhere))
        screen = await search_for(pilot, "photosynthesis notebook")
        assert [h.conversation_id for h in screen.hits] == [ids["latin"]]
        await pilot.press("enter")
        await async_wait_until(lambda: ids["latin"] not in [r.id for r in app.list.rows])
        await settle(pilot)
        assert app.status.error == "That conversation is no longer in Canvas for you (deleted elsewhere?): it is gone here too."
        assert app.session.search_index.search("photosynthesis notebook").hits == []
        assert app.thread.conversation is None or app.thread.conversation.id != ids["latin"]


def mailbox_in_canvas(conversation: dict) -> str:
    """Where the teacher finds a conversation in Canvas now (its scopes: CC ``infer_scope``)."""
    if conversation["workflow_state"] == "archived":
        return "Archived"
    return "Inbox" if conversation["last_message_at"] else "Sent"


async def test_search_everywhere_shows_each_conversation_once_where_it_is_now_by_its_own_author(
        fixed_sandbox, make_inbox_app, tmp_path):
    """After ``/midterm`` Enter, ``*``, ``a``, ``S midterm`` listed the subject's conversations as in
    the Inbox, one twice where a message also said "midterm", each under the teacher's newest reply
    ("Maggie Okafor · Question about the midterm"). One hit per conversation found by its subject,
    in its mailbox as it is now, with the author and the words of the message that matched: the one
    saying "midterm", else the one that opened the conversation (and gave it the subject)."""
    asked = write_to_teacher(fixed_sandbox, "Will the midterm cover the enzyme kinetics chapter?",
                             "Question about the midterm", 4)
    with user_client(fixed_sandbox, "teacher") as teacher:
        teacher.post(f"/api/v1/conversations/{asked}/add_message", data={"body": "Yes, chapters 4 to 7."})
    app = app_with_index(make_inbox_app, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"midterm", "enter")
        await async_wait_until(lambda: asked in [r.id for r in app.list.rows])
        archiving = {r.id for r in app.list.rows}
        await pilot.press("asterisk")
        await async_wait_until(lambda: app.merged_triage.count == len(archiving))
        await pilot.press("a")
        await async_wait_until(lambda: app.list.rows == [])
        await settle(pilot)
        await pilot.press("escape", "S")
        await async_wait_until(lambda: isinstance(app.screen, SearchEverywhere))
        screen = await search_for(pilot, "midterm")

        found = [h.conversation_id for h in screen.hits]
        assert archiving <= set(found) and len(found) == len(set(found))
        assert str(screen.query_one("#found").render()).startswith(f"{len(found)} found")
        with user_client(fixed_sandbox, "teacher") as teacher:
            threads = {cid: teacher.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).json()
                       for cid in found}
        for hit in screen.hits:
            thread = threads[hit.conversation_id]
            assert hit.mailbox == mailbox_in_canvas(thread)
            if hit.conversation_id in archiving:
                assert hit.mailbox == "Archived"
            oldest_first = sorted(thread["messages"], key=lambda m: m["created_at"])
            saying = [m for m in oldest_first if "midterm" in m["body"].lower()]
            message = next(m for m in thread["messages"] if m["id"] == hit.message_id)
            assert message == (saying[-1] if saying else oldest_first[0])
            names = {p["id"]: p["name"] for p in thread["participants"]}
            assert hit.author == names[message["author_id"]]
            words = "".join(piece for piece, _ in hit.snippet)
            assert " ".join(message["body"].split())[:40] in words or "midterm" in words.lower()
            assert ("midterm", True) in hit.subject_marks  # why it was found, when its words do not say
        ours = next(h for h in screen.hits if h.conversation_id == asked)
        assert ("midterm", True) in ours.snippet  # the student's words, not the teacher's reply
