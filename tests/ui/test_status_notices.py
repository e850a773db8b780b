"""Notices and status lines that inform without covering: on the status bar, fading, whole in the log.

The app's clock drives fading: each test that fades holds the time in a list and moves it on,
then waits for the bar to change (its interval reads the clock), never sleeping for it.
"""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from rich.console import Console
from textual.widgets._toast import Toast

from tests.conftest import FIXED_NOW, ready, settle
from tests.ui.test_ui_snapshots_live import StillFeed
from tests.waiting import async_wait_until
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.config import Config
from tui_inbox.inbox.notices import Notice, NoticeGroup
from tui_inbox.launch import Account, build_app
from tui_inbox.live.state import FeedState
from tui_inbox.ui.screens.messages import MessagesScreen
from tui_inbox.ui.widgets.mailbox_rail import MailboxRail

SIZE = (80, 24)
JANE = Notice("message", "Jane Doe", "New message from Jane Doe: Lab report extension")
BOBBY = Notice("message", "Bobby Tables", "New message from Bobby Tables: Quiz")


def moving_clock():
    """A clock the test moves on: ``now[0] += timedelta(...)``."""
    now = [FIXED_NOW]
    return now, (lambda: now[0])


def title(app) -> str:
    return str(app.query_one("#title-bar").content)


def test_notices_at_once_are_said_in_one_line_each_name_once():
    group = NoticeGroup()
    assert group.add(JANE) == JANE.text  # alone, the whole sentence
    assert group.add(BOBBY) == "2 new messages: Jane Doe, Bobby Tables"
    assert group.add(JANE) == "3 new messages: Jane Doe, Bobby Tables"
    assert group.add(Notice("post", "Ann Lee", "Ann Lee posted in Week 3")) == \
        "4 new messages and posts: Jane Doe, Bobby Tables, Ann Lee"
    group.clear()
    assert group.add(Notice("post", "Ann Lee", "Ann Lee posted in Week 3")) == "Ann Lee posted in Week 3"


async def test_a_notice_goes_to_the_status_bar_not_over_the_thread_and_fades_with_the_group(make_inbox_app):
    now, clock = moving_clock()
    app = make_inbox_app(clock=clock)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await async_wait_until(lambda: app.thread.conversation is not None)
        app.announce(JANE)
        app.announce(BOBBY)
        await pilot.pause()
        assert app.status.notice == "2 new messages: Jane Doe, Bobby Tables"
        assert "✉ 2 new messages: Jane Doe, Bobby Tables" in app.status.render().plain
        assert not app.screen.query(Toast)  # nothing drawn over the thread
        now[0] += timedelta(seconds=19)
        await pilot.pause()
        assert app.status.notice  # not yet
        now[0] += timedelta(seconds=2)
        await async_wait_until(lambda: not app.status.notice)
        app.announce(JANE)  # after the fade, a new notice stands alone again
        assert app.status.notice == JANE.text


async def test_notify_none_keeps_the_bar_and_the_log_quiet(make_inbox_app):
    app = make_inbox_app(notify_mode="none")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        app.announce(JANE)
        await pilot.pause()
        assert not app.status.notice and not app.screen.query(Toast)
        assert all(entry.kind != "notice" for entry in app.status.history)


async def test_a_message_fades_after_a_while_once_seen_and_an_error_stays_longer(make_inbox_app):
    now, clock = moving_clock()
    app = make_inbox_app(clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        signed_in = app.status.message
        assert signed_in.startswith("Signed in as ")
        now[0] += timedelta(seconds=9)
        await pilot.pause()
        assert app.status.message == signed_in
        now[0] += timedelta(seconds=60)
        await pilot.pause()
        app.status.fade()
        assert app.status.message == signed_in  # no key pressed since: the user may not have seen it yet
        await pilot.press("j")
        await async_wait_until(lambda: not app.status.message)  # seen, and its time is past
        assert "Signed in" not in app.status.render().plain

        app.status.show_error("Canvas refused the change: you may not star this conversation.")
        await pilot.press("k")
        now[0] += timedelta(seconds=11)
        await pilot.pause()
        assert app.status.error  # an error is worth a longer look
        now[0] += timedelta(seconds=20)
        await async_wait_until(lambda: not app.status.error)


async def test_the_visual_range_line_goes_with_the_range(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("V", "j")
        assert app.status.message.startswith("Visual range")
        await pilot.press("escape")
        assert app.visual_anchor is None and app.status.message == ""
        await pilot.press("V")
        assert app.status.message.startswith("Visual range")
        await pilot.press("V")  # V again ends it too
        assert app.status.message == ""


async def test_cannot_reach_canvas_goes_once_canvas_answers_again(make_inbox_app, fixed_sandbox):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.session.client.http.retry = RetryPolicy(attempts=2, base=0.01)
        app.feed = StillFeed()  # its state is the real FeedStatus; the app paints it as the feed would
        await asyncio.to_thread(fixed_sandbox.stop)
        await pilot.press("ctrl+r")  # a read: an action would wait in the Outbox, with no error to show
        await async_wait_until(lambda: "Cannot reach Canvas" in app.status.error and not app.status.running)
        app.feed.state.set(FeedState.OFFLINE, app.status.error)
        app.paint_feed()
        assert "Cannot reach Canvas" in app.status.error  # still true: it stays
        app.feed.state.set(FeedState.LIVE, None, updated=True)
        app.paint_feed()
        assert app.status.error == "" and "✖" not in app.status.render().plain


async def test_another_error_stays_when_canvas_answers(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.feed = StillFeed()
        app.status.show_error("Canvas refused the change: you may not star this conversation.")
        app.feed.state.set(FeedState.LIVE, None, updated=True)
        app.paint_feed()
        assert app.status.error.startswith("Canvas refused")


async def test_a_long_error_is_cut_on_the_bar_and_whole_in_the_messages_log(make_inbox_app):
    app = make_inbox_app()
    long = ("Canvas answered 422 Unprocessable Entity for the reply to “Lab report extension”: "
            "the body is longer than the course allows; shorten it or attach it as a file, then send again.")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.status.show_error(long)
        await pilot.pause()
        bar = app.status.render().plain
        assert long not in bar and bar.endswith("  L messages")  # cut, and says where it is whole
        await pilot.press("L")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, MessagesScreen) else None)
        await settle(pilot)
        # What the log paints, read back as text at its width: the error whole, wrapped, not cut.
        console = Console(width=screen.query_one("#messages-log").size.width, file=io.StringIO())
        console.print(screen.table())
        painted = " ".join(console.file.getvalue().split())
        assert f"error {long}" in painted  # continuation lines are blank in the time and kind columns
        assert "Signed in as " in painted
        await pilot.press("escape")
        assert not isinstance(app.screen, MessagesScreen)


async def test_a_refused_live_url_stays_the_reason_while_polling(fixed_sandbox, tmp_path, utc):
    config = Config()
    account = Account(fixed_sandbox.base_url, fixed_sandbox.info.token_of("teacher"),
                      "wss://relay.example.org/live", trusted_live_url=False)
    app = build_app(config, account, user_id=1, drafts_path=tmp_path / "drafts.sqlite3", drafts_account="a")
    async with app.run_test(size=SIZE) as pilot:
        # Not ``ready``: the feed's worker runs as long as the app, so workers never all finish.
        # The first poll answers: polling, and still saying why not live.
        await async_wait_until(lambda: app.status.feed == "polling")
        await pilot.pause()
        assert app.status.feed_detail.startswith("Refusing to send the Canvas token to the live stream at "
                                                 "relay.example.org")
        assert any(e.kind == "feed" and "relay.example.org" in e.text for e in app.status.history)


async def test_the_unread_count_says_it_counts_the_whole_inbox_under_a_course_filter(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        unread = app.session.unread_count
        assert f"({unread:,} unread)" in title(app)
        rail = app.query_one(MailboxRail)
        await pilot.press("shift+tab")
        assert app.focused is rail
        rail.highlighted = rail.get_option_index("filter:course_1")
        await pilot.press("enter")
        await async_wait_until(lambda: app.session.filter_code == "course_1")
        await settle(pilot)
        assert "BIO 101" in title(app) or "Biology" in title(app)
        assert f"({unread:,} unread in the whole inbox)" in title(app)


async def test_a_live_update_that_comes_as_the_app_closes_is_dropped_quietly(make_inbox_app):
    """A notice or a feed change handled while the app quits has no status bar to paint: it must
    not fail (a failed worker at quit shows a traceback where the user's shell was)."""
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
    app.announce(JANE)
    app.paint_feed()
    app.show_failed_update(RuntimeError("late"))


async def test_the_users_own_outcome_stays_whole_beside_a_long_notice(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        app.announce(Notice("message", "Søren Kierkegaard-Hansen",
                            "2 new messages and posts: Søren Kierkegaard-Hansen, Uma Desai, Bobby Tables"))
        app.status.show_message("Sending in 4 s (u undoes)")
        await pilot.pause()
        line = app.status.render().plain
        assert "Sending in 4 s (u undoes)" in line and "✉" in line  # the notice is cut, not the countdown


async def test_the_users_own_outcome_stays_whole_beside_live_notices_until_the_next_key(make_inbox_app, monkeypatch):
    """The report: after ``w`` with no browser the URL line never showed (a notice came first and the
    line was cut); after archiving, the bar read "✉ 4 new messages" only."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    now, clock = moving_clock()
    app = make_inbox_app(clock=clock)
    async with app.run_test(size=(120, 24)) as pilot:  # wide enough for the link itself
        await ready(pilot)
        await pilot.press("w")
        said = await async_wait_until(lambda: app.status.message if app.status.message.startswith("No browser")
                                      else None)
        for _ in range(4):
            app.announce(JANE)
        now[0] += timedelta(seconds=15)  # past a message's fade (10 s), not a notice's (20 s); no key pressed
        await pilot.pause()
        app.status.fade()
        line = app.status.render().plain
        assert line.startswith(f"● offline  {said}")  # whole, first; the notice after it is what is cut
        assert app.status.notice == "4 new messages: Jane Doe"  # waiting beside it, not in its place

        await pilot.press("a")  # archive the row under the cursor
        archived = await async_wait_until(lambda: app.status.message if app.status.message.startswith("Archived")
                                          else None)
        app.announce(BOBBY)
        await pilot.pause()
        assert app.status.render().plain.startswith(f"● offline  {archived}")


async def test_the_notice_count_is_what_came_since_the_user_last_pressed_a_key(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.announce(JANE)
        app.announce(BOBBY)
        app.announce(JANE)
        assert app.status.notice == "3 new messages: Jane Doe, Bobby Tables"
        await pilot.press("j")  # the user has looked
        assert app.status.notice == "3 new messages: Jane Doe, Bobby Tables"  # still shown until it fades
        app.announce(BOBBY)
        assert app.status.notice == BOBBY.text  # one new since, not a fourth
