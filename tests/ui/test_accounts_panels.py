"""The Outbox (7), Drafts (8) and search everywhere (S) over several accounts: every account's items
in one list, each with its account's tag, and each key acting on the item's own account. Two schools
over loopback HTTP (tests/two_schools.py).

What the sandboxes answer is their reading of canvas-lms's app/controllers/conversations_controller.rb
(index, batch_update, create, show); the second school is sandbox/second_school.py (``--institution 2``). A stopped
school refuses connections as a lost network does. Nothing is added to the sandbox here.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import settle
from tests.two_schools import COLLEGE, STATE, api, close_stores, start_schools, two_school_app, write_to_teacher
from tests.two_schools import both_ready
from tests.ui.test_accounts_app import SIZE, index_of
from tests.waiting import async_wait_until
from tui_inbox.inbox import drafts_box
from tui_inbox.inbox.compose import Draft, RecipientRef
from tui_inbox.ui.screens.compose import ComposeScreen
from tui_inbox.store.search_index import SearchIndex
from tui_inbox.ui.screens.confirm import ConfirmScreen
from tui_inbox.ui.screens.search_everywhere import SearchEverywhere
from tui_inbox.ui.widgets.drafts_list import DraftsList
from tui_inbox.ui.widgets.outbox_list import OutboxList


@pytest.fixture
def schools(make_sandbox):
    return start_schools(make_sandbox)


def prompts(box) -> list[str]:
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


async def shown(pilot, widget, key: str):
    await pilot.press(key)
    box = await async_wait_until(lambda: next((b for b in pilot.app.query(widget) if b.display), None))
    await settle(pilot)
    box.focus()
    return box


def outbox_count(app, account: str) -> int:
    return app.accounts.session(account).outbox.count


async def test_an_archive_held_at_each_school_shows_in_one_outbox_tagged_and_d_drops_each_from_its_own(schools, tmp_path):
    state, college = schools
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            held = {}
            # Both schools stop answering: an archive at each waits in that account's Outbox.
            await asyncio.gather(asyncio.to_thread(state.stop), asyncio.to_thread(college.stop))
            for name in (STATE, COLLEGE):
                app.list.cursor = index_of(app, name)
                held[name] = app.list.current_key[1]
                await pilot.press("a")
                await async_wait_until(lambda: outbox_count(app, name) == 1 and not app.status.running)
            box = await shown(pilot, OutboxList, "7")
            await async_wait_until(lambda: len(box.items) == 2)
            assert sorted(account for account, _ in box.items) == [COLLEGE, STATE]
            for line, (account, item) in zip(prompts(box), box.items):
                # Its time, then its account's tag, then what it is.
                assert line[7:].startswith(account), line
                assert "waiting  Archive" in line
                assert item.targets == [held[account]]
            assert "7 Outbox 2" in " ".join(prompts(app.query_one("#rail")))

            # Enter on the college's item says it waits, at the college; d drops it from the college's
            # Outbox, and State U's stays.
            box.highlighted = next(i for i, (account, _) in enumerate(box.items) if account == COLLEGE)
            await pilot.press("enter")
            await async_wait_until(lambda: app.status.message.endswith("waits for Canvas; d drops it."))
            assert app.status.message.startswith(f"{COLLEGE}: Archive")
            await pilot.press("d")
            confirm = await async_wait_until(lambda: app.screen if isinstance(app.screen, ConfirmScreen) else None)
            assert any(line.startswith(f"{COLLEGE}: Archive") for line in confirm.lines), confirm.lines
            await pilot.press("y")
            await async_wait_until(lambda: outbox_count(app, COLLEGE) == 0)
            assert outbox_count(app, STATE) == 1
            await async_wait_until(lambda: [account for account, _ in box.items] == [STATE])
            await pilot.press("d")
            await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await async_wait_until(lambda: outbox_count(app, STATE) == 0)
            await async_wait_until(lambda: not box.items and "The Outbox is empty" in prompts(box)[0])
    finally:
        close_stores(app)


async def test_a_draft_of_each_school_is_listed_tagged_and_reopens_in_its_own_account(schools, tmp_path):
    app = two_school_app(schools, tmp_path)
    # The same key at both ("new"): each account's store keeps its own.
    bodies = {STATE: "Lab moved to Thursday", COLLEGE: "Office hours at the college"}
    for name, body in bodies.items():
        drafts_box.save(app.accounts.session(name).drafts,
                        Draft(kind="new", to=[RecipientRef("5", f"Someone at {name}")], body=body))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            assert "8 Drafts 2" in " ".join(prompts(app.query_one("#rail")))
            box = await shown(pilot, DraftsList, "8")
            assert sorted(account for account, _ in box.entries) == [COLLEGE, STATE]
            for line, (account, entry) in zip(prompts(box), box.entries):
                assert line[14:].startswith(account), line  # after its date: its account's tag
                assert bodies[account] in line
            for name in (COLLEGE, STATE):
                box.highlighted = next(i for i, (account, _) in enumerate(box.entries) if account == name)
                await pilot.press("enter")
                composer = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
                assert composer.session is app.accounts.session(name)  # it sends from its own account
                assert composer.draft.body == bodies[name]
                await pilot.press("escape")
                await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
                await settle(pilot)
            # d discards from its own store only.
            box.highlighted = next(i for i, (account, _) in enumerate(box.entries) if account == COLLEGE)
            await pilot.press("d")
            await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await async_wait_until(lambda: app.status.message == "Draft discarded.")
            assert app.accounts.session(COLLEGE).load_draft("new") is None
            assert app.accounts.session(STATE).load_draft("new").body == bodies[STATE]
            assert [account for account, _ in box.entries] == [STATE]
    finally:
        close_stores(app)


async def test_search_everywhere_finds_in_both_schools_tagged_and_a_college_hit_opens_the_college_conversation(
        schools, tmp_path):
    state, college = schools
    asked = {STATE: write_to_teacher(state, "Is the quokka essay due Friday?", "Essay"),
             COLLEGE: write_to_teacher(college, "The quokka census starts Monday", "Field trip")}
    app = two_school_app(schools, tmp_path)
    for name in (STATE, COLLEGE):
        app.accounts.session(name).search_index = SearchIndex.open(tmp_path / f"cache-{name}.sqlite3")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            indexers = app.main.search.indexers
            await async_wait_until(lambda: all(name in indexers and indexers[name].progress.finished
                                               for name in (STATE, COLLEGE)), timeout=20)
            await pilot.press("S")
            screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, SearchEverywhere) else None)
            screen.query_one("#words").value = "quokka"
            await async_wait_until(lambda: screen.shown_for == "quokka")
            assert {(account, hit.conversation_id) for account, hit in screen.found} == set(asked.items())
            dates = [hit.created_at for hit in screen.hits]
            assert dates == sorted(dates, reverse=True)
            results = screen.query_one("#results")
            for i, (account, _) in enumerate(screen.found):
                assert str(results.get_option_at_index(i).prompt).startswith(account)  # its tag first
            assert f"at {STATE} and " in str(screen.query_one("#found").render())

            # Enter on the college's hit: the college's conversation of that id, not State U's.
            results.highlighted = next(i for i, (account, _) in enumerate(screen.found) if account == COLLEGE)
            results.focus()
            await pilot.press("enter")
            cid = asked[COLLEGE]
            await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == cid)
            assert app.main.aim.opened_key() == (COLLEGE, cid)
            assert "The quokka census starts Monday" in [m.body for m in app.thread.conversation.messages]
    finally:
        close_stores(app)


def entries_of(school, item) -> list[str]:
    kind, _, number = item.context_code.partition("_")  # a course's or a group's
    with api(school) as client:
        answer = client.get(f"/api/v1/{kind}s/{number}/discussion_topics/{item.topic_id}/entries")
    return [entry["message"] for entry in answer.json()] if answer.status_code == 200 else []


async def test_activity_of_both_schools_merges_newest_first_tagged_and_a_college_item_opens_and_replies_there(
        schools, tmp_path):
    state, college = schools
    app = two_school_app(schools, tmp_path)
    words = "Posted from the college account"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            await pilot.press("6")
            activity = app.activity_list
            await async_wait_until(lambda: all(app.accounts.session(n).activity.loaded for n in (STATE, COLLEGE))
                                   and {account for account, _ in activity.tagged} == {STATE, COLLEGE})
            await settle(pilot)
            for name in (STATE, COLLEGE):  # every item of each school's Activity, and nothing else
                mine = [item.key for account, item in activity.tagged if account == name]
                assert mine == [item.key for item in app.accounts.session(name).activity.items]
            dates = [item.when for item in activity.items]
            assert dates == sorted(dates, reverse=True)  # newest first across both
            for i, (account, _) in enumerate(activity.tagged):
                assert str(activity.get_option_at_index(i).prompt)[2:].startswith(account)

            # Enter on a college item that follows a State U one: the college's discussion, at the college.
            index = next(i for i in range(1, len(activity.tagged))
                         if activity.tagged[i][0] == COLLEGE and activity.tagged[i - 1][0] == STATE)
            item = activity.tagged[index][1]
            activity.highlighted = index
            activity.focus()
            await pilot.press("enter")
            opened = app.accounts.session(COLLEGE).activity
            await async_wait_until(lambda: opened.current is not None and opened.current.topic.id == item.topic_id
                                   and app.main.aim.discussion_account == COLLEGE)
            await settle(pilot)
            assert f" · {COLLEGE}" in str(app.thread.query_one(".thread-header").render())

            # p goes back across accounts: the State U item before it, opened at State U.
            before = activity.tagged[index - 1][1]
            await pilot.press("p")
            state_activity = app.accounts.session(STATE).activity
            await async_wait_until(lambda: state_activity.current is not None
                                   and state_activity.current.topic.id == before.topic_id
                                   and app.main.aim.discussion_account == STATE)
            await pilot.press("n")
            await async_wait_until(lambda: app.main.aim.discussion_account == COLLEGE)

            # r: a reply in the college's discussion, posted at the college only.
            at_state = entries_of(state, item)
            await pilot.press("r")
            composer = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
            assert composer.session is app.accounts.session(COLLEGE)
            assert composer.draft.kind == "discussion_reply" and composer.draft.topic_id == item.topic_id
            await settle(pilot)
            await pilot.press(*words)
            await pilot.press("ctrl+s")
            await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
            await async_wait_until(lambda: any(words in message for message in entries_of(college, item)), timeout=20)
            assert entries_of(state, item) == at_state
    finally:
        close_stores(app)
