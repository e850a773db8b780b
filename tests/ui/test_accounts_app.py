"""Several Canvas accounts in one inbox, driven with keys: two schools over loopback HTTP
(tests/two_schools.py), each checked back through its own API.

What the sandboxes answer is their reading of canvas-lms's app/controllers/conversations_controller.rb
(index, batch_update, add_message); the second school is sandbox/second_school.py
(``--institution 2``). Nothing is added to the sandbox here.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import open_composer, press_quickly, settle
from tests.two_schools import (COLLEGE, STATE, Recording, Unplugged, accounts_shown, api, both_ready, close_stores,
                               scope_ids, start_schools, teacher_token, two_school_app, write_to_teacher)
from tests.waiting import async_wait_until
from tui_inbox.inbox.accounts import AccountState
from tui_inbox.ui.screens.compose import ComposeScreen

SIZE = (140, 40)


@pytest.fixture
def schools(make_sandbox):
    return start_schools(make_sandbox)


def line_text(app, index: int) -> str:
    lst = app.list
    lst.top = 0
    return lst.render_line(index).text


def index_of(app, account: str, at_least: int = 0) -> int:
    lst = app.list
    return next(i for i in range(at_least, len(lst.rows)) if lst.account(i) == account)


async def test_rows_of_both_schools_merge_newest_first_each_with_its_tag(schools, tmp_path):
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            lst = app.list
            accounts = [lst.account(i) for i in range(len(lst.rows))]
            assert set(accounts) == {STATE, COLLEGE}
            # Everything of each school's Inbox, and nothing else.
            for name, school in zip((STATE, COLLEGE), schools):
                mine = {lst.rows[i].id for i in range(len(lst.rows)) if accounts[i] == name}
                assert mine == scope_ids(school, "inbox")
            dates = [row.last_message_at for row in lst.rows]
            assert all(a >= b for a, b in zip(dates, dates[1:]) if a and b)  # newest first across both
            first_state, first_college = index_of(app, STATE), index_of(app, COLLEGE)
            assert line_text(app, first_state)[4:].startswith(STATE)
            assert line_text(app, first_college)[4:].startswith(COLLEGE)
            # The rail: each account, its unread count and its state.
            rail = " ".join(str(app.query_one("#rail").get_option_at_index(i).prompt)
                            for i in range(app.query_one("#rail").option_count))
            assert f"{STATE} {app.accounts.session(STATE).unread_count}" in rail
            assert f"{COLLEGE} {app.accounts.session(COLLEGE).unread_count}" in rail
    finally:
        close_stores(app)


async def test_x_on_a_row_of_each_school_then_a_archives_each_at_its_own_school_and_u_restores_both(schools, tmp_path):
    state, college = schools
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            lst = app.list
            picks = {}
            for name in (STATE, COLLEGE):
                index = index_of(app, name)
                picks[name] = lst.key(index)
                lst.cursor = index
                await pilot.press("x")
            assert app.status.selection == 2
            before = {STATE: scope_ids(state, "archived"), COLLEGE: scope_ids(college, "archived")}
            await pilot.press("a")
            await async_wait_until(lambda: not app.status.running and "Archived" in app.status.message)
            assert app.status.message == f"Archived 2 conversations (1 at {STATE}, 1 at {COLLEGE})"
            for name, school in ((STATE, state), (COLLEGE, college)):
                # Exactly its own row, at its own school: the same id at the other school is untouched.
                assert scope_ids(school, "archived") == before[name] | {picks[name][1]}
            shown = {lst.key(i) for i in range(len(lst.rows))}
            assert not shown & set(picks.values())
            await pilot.press("u")
            await async_wait_until(lambda: not app.status.running and app.status.message.startswith("Undone"))
            for name, school in ((STATE, state), (COLLEGE, college)):
                assert scope_ids(school, "archived") == before[name]
                assert picks[name][1] in scope_ids(school, "inbox")
            await settle(pilot)
            shown = {lst.key(i) for i in range(len(lst.rows))}
            assert set(picks.values()) <= shown
    finally:
        close_stores(app)


async def test_with_one_school_stopped_the_other_works_and_the_rail_says_offline(schools, tmp_path):
    state, college = schools
    await asyncio.to_thread(college.stop)
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            assert app.accounts.state_of(COLLEGE) is AccountState.OFFLINE
            assert app.accounts.state_of(STATE) is AccountState.READY
            rail = app.query_one("#rail")
            lines = [str(rail.get_option_at_index(i).prompt) for i in range(rail.option_count)]
            assert any(line.strip().startswith(COLLEGE) and line.endswith("offline") for line in lines), lines
            assert all(app.list.account(i) == STATE for i in range(len(app.list.rows)))
            # State U answers as ever: an archive there goes through at once.
            app.list.cursor = 0
            key = app.list.current_key
            await pilot.press("a")
            await async_wait_until(lambda: not app.status.running and app.status.message.startswith("Archived"))
            assert app.status.message == f"Archived 1 conversation at {STATE}"
            assert key[1] in scope_ids(state, "archived")
    finally:
        close_stores(app)


async def test_a_reply_from_a_college_row_reaches_the_college_only_and_no_token_crosses(schools, tmp_path):
    state, college = schools
    recordings: dict[str, Recording] = {}
    app = two_school_app(schools, tmp_path, recordings)
    body = "Answered from the college account."
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            index = next(i for i in range(len(app.list.rows))
                         if app.list.account(i) == COLLEGE and not app.list.rows[i].cannot_reply)
            app.list.cursor = index
            cid = app.list.current_key[1]
            await pilot.press("enter")
            await async_wait_until(lambda: app.thread.conversation is not None and app.thread.conversation.id == cid)
            await settle(pilot)
            composer = await open_composer(pilot, "r")
            assert f"from {COLLEGE}" in str(composer.query_one("#compose-title").render())
            await press_quickly(pilot, *body)
            await pilot.press("ctrl+s")
            await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen) and not app.status.running)
            await settle(pilot)
            assert app.status.message.startswith(f"{COLLEGE}: Reply sent")
    finally:
        close_stores(app)
    with api(college) as client:
        thread = client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "false"}).json()
    assert [m["body"] for m in thread["messages"]].count(body) == 1
    with api(state) as client:
        every = client.get("/api/v1/conversations", params={"scope": "sent", "per_page": 100}).json()
    assert all(body not in (c.get("last_authored_message") or "") for c in every)
    # Every request of each account went to its own school, with its own token.
    for name, school in ((STATE, state), (COLLEGE, college)):
        requests = recordings[name].requests
        assert requests
        for request in requests:
            assert request.url.port == int(school.base_url.rsplit(":", 1)[1].split("/")[0])
            assert request.headers["Authorization"] == f"Bearer {teacher_token(school)}"


async def test_a_school_unreachable_at_the_start_joins_the_inbox_once_it_answers(schools, tmp_path):
    """Offline at the start, the college is tried again (after pauses made short here): once it
    answers, its rows join the list and its rail line says so; State U was usable all along."""
    cable = Unplugged()
    app = two_school_app(schools, tmp_path, transports={COLLEGE: cable})
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.main.starting.restart_seconds = (0.05,)
            await both_ready(pilot)
            # Offline, or being tried again (every 0.05 s here: a try may be under way by now).
            assert app.accounts.state_of(COLLEGE) in (AccountState.OFFLINE, AccountState.STARTING)
            assert accounts_shown(app) == {STATE}
            cable.down = False
            await async_wait_until(lambda: app.accounts.state_of(COLLEGE) is AccountState.READY
                                   and COLLEGE in accounts_shown(app))
            await settle(pilot)
            assert f"Signed in as Maggie Okafor at {COLLEGE}" in [entry.text for entry in app.status.history]
            rail = app.query_one("#rail")
            lines = [str(rail.get_option_at_index(i).prompt) for i in range(rail.option_count)]
            assert not any(line.strip().startswith(COLLEGE) and line.endswith("offline") for line in lines), lines
    finally:
        close_stores(app)
        await cable.aclose()


async def test_a_new_message_asks_which_account_starting_on_the_one_whose_course_filters_the_list(schools, tmp_path):
    from textual.widgets import OptionList

    from tui_inbox.ui.screens.choose_account import ChooseAccountScreen

    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            course = app.accounts.session(COLLEGE).courses[0].context_code
            app.main.reading.switch_to("inbox", (COLLEGE, course))  # the rail's "BIOL … · river"
            await async_wait_until(lambda: app.list.rows and not app.status.running
                                   and accounts_shown(app) == {COLLEGE})
            await pilot.press("c")
            chooser = await async_wait_until(lambda: app.screen if isinstance(app.screen, ChooseAccountScreen) else None)
            await settle(pilot)
            assert chooser.query_one(OptionList).highlighted == 1  # river: the course's account
            await pilot.press("enter")
            composer = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None)
            assert f"from {COLLEGE}" in str(composer.query_one("#compose-title").render())
            assert composer.session is app.accounts.session(COLLEGE) and composer.draft.context_code == course
            await pilot.press("escape")
            await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))
            await pilot.press("c")
            await async_wait_until(lambda: isinstance(app.screen, ChooseAccountScreen))
            await pilot.press("escape")  # nothing is written
            await async_wait_until(lambda: not isinstance(app.screen, ChooseAccountScreen))
            assert app.screen is app.main
    finally:
        close_stores(app)


async def test_a_live_message_at_the_college_comes_in_with_its_tag_and_its_school_named(schools, tmp_path):
    """The college's account follows its live stream (the sandbox's /live, as in live-stream.md): a
    student writes there, and the row comes to the top with the college's tag; the notice says where."""
    from tui_inbox.live import LiveFeed

    college = schools[1]
    app = two_school_app(schools, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            client = app.accounts.session(COLLEGE).client
            app.feeds[COLLEGE] = LiveFeed(client, college.live_url, trusted_live_url=True)
            app.main.feed.follow(COLLEGE)  # after both_ready: a feed's worker follows until the app ends
            await async_wait_until(lambda: app.feeds[COLLEGE].state.current.state.value == "live")
            cid = await asyncio.to_thread(write_to_teacher, college, "Is the practical on Friday?", "Practical day")
            await async_wait_until(lambda: app.list.rows and app.list.key(0) == (COLLEGE, cid))
            assert line_text(app, 0)[4:].startswith(COLLEGE)
            notices = await async_wait_until(lambda: [e.text for e in app.status.history if e.kind == "notice"])
            assert notices[-1].startswith(f"{COLLEGE}: New message from ")
    finally:
        close_stores(app)


async def test_the_account_key_shows_one_account_then_the_next_then_all_again(schools, tmp_path):
    app = two_school_app(schools, tmp_path)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            everything = len(app.list.rows)
            unread = {name: app.accounts.session(name).unread_count for name in (STATE, COLLEGE)}
            for name in (STATE, COLLEGE):
                await pilot.press("A")
                await async_wait_until(lambda: accounts_shown(app) == {name})
                assert app.status.message == f"Showing {name} only"
                title = str(app.query_one("#title-bar").render())
                assert f"({unread[name]:,} unread)" in title  # the count follows the view
            await pilot.press("A")
            await async_wait_until(lambda: accounts_shown(app) == {STATE, COLLEGE} and len(app.list.rows) == everything)
            assert app.status.message == "Showing every account"
    finally:
        close_stores(app)


async def test_a_pattern_covers_every_account_and_account_name_keeps_one(schools, tmp_path):
    app = two_school_app(schools, tmp_path)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await both_ready(pilot)
            await pilot.press("slash")
            await press_quickly(pilot, *f"account:{COLLEGE}")
            await async_wait_until(lambda: app.list.rows and accounts_shown(app) == {COLLEGE})
            assert len(app.list.rows) == len(app.accounts.session(COLLEGE).view.all())
            await pilot.press("escape")
            await async_wait_until(lambda: accounts_shown(app) == {STATE, COLLEGE})
            await pilot.press("slash")
            await press_quickly(pilot, *"account:rivr")
            error = app.query_one("#search-error")
            await async_wait_until(lambda: "did you mean river?" in str(error.render()))
            assert accounts_shown(app) == {STATE, COLLEGE}  # a pattern with a mistake narrows nothing
    finally:
        close_stores(app)
