"""Search everywhere and ``body:`` in the app, driven with keys against the sandbox."""

from __future__ import annotations

from tests.conftest import ready, settle, user_client
from tests.search_helpers import LATIN, seed_search_messages
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
