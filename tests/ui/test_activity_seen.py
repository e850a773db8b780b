"""Activity's "new since you last looked" survives a restart, per account, in a private file.

Two app instances on one data folder, as a user quits and starts again: what the first
showed in Activity is not new in the second; what was posted in between is. The file is
0600 in a 0700 folder whatever the umask. A file that is not ours (garbage, the wrong
shape, too big) counts as a first run, said in one line: nothing from before is marked new,
because a broken file says nothing about what was seen, and hundreds of old items marked ●
would bury the few really new ones.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import settle, user_client
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.live_events import LiveEvent
from tui_inbox.inbox.session import InboxSession
from tui_inbox.inbox.activity import Activity, ActivityItem
from tui_inbox.store.activity_seen import MAX_BYTES, ActivitySeen, LastLook
from tui_inbox.ui.app import InboxApp
from tui_inbox.ui.widgets.activity_list import ActivityList

SIZE = (120, 36)
WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
LOOK = LastLook(WHEN, frozenset({"course_1:4:17"}))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Umask 0: the modes we check are the ones the code chose, not the ones the umask left."""
    before = os.umask(0)
    yield
    os.umask(before)


# -- the file ---------------------------------------------------------------------------------------------------

def test_each_account_keeps_its_own_last_look(tmp_path):
    path = tmp_path / "data" / "activity_seen.json"
    one, other = ActivitySeen(path, "account-1"), ActivitySeen(path, "account-2")
    assert one.load() is None and one.problem is None  # never looked: no file, no problem
    one.save(LOOK)
    other.save(LastLook(WHEN + timedelta(hours=1)))
    assert ActivitySeen(path, "account-1").load() == LOOK
    assert ActivitySeen(path, "account-2").load() == LastLook(WHEN + timedelta(hours=1))
    assert ActivitySeen(path, "account-3").load() is None


def test_the_file_is_0600_in_a_0700_folder_and_no_temporary_file_is_left(tmp_path, open_umask):
    folder = tmp_path / "data"
    ActivitySeen(folder / "activity_seen.json", "a").save(LOOK)
    assert mode(folder) == 0o700 and mode(folder / "activity_seen.json") == 0o600
    ActivitySeen(folder / "activity_seen.json", "a").save(LastLook(WHEN + timedelta(minutes=5)))  # replaced, still private
    assert mode(folder / "activity_seen.json") == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["activity_seen.json"]


@pytest.mark.parametrize("content, reason", [
    (b"\x00\xff not json", "not JSON"),
    (b'{"version": 1, "accounts": ', "not JSON"),  # cut short
    (b'{"version": 1, "accounts": {"a": {"until": "yesterday"}}}', '"accounts"'),
    (b'{"version": 1, "accounts": {"a": {"until": "2026-11-24T12:00:00"}}}', '"accounts"'),  # no offset: which zone?
    (b'{"version": 1, "accounts": {"a": {"until": "2026-11-24T12:00:00Z", "keys": "x"}}}', '"accounts"'),
    (b'{"version": 1, "accounts": {"a": "2026-11-24T12:00:00Z"}}', '"accounts"'),
    (b'["2026-11-24T12:00:00+00:00"]', '"accounts"'),
    (b'{"accounts": {"a": "' + b"9" * MAX_BYTES + b'"}}', "bigger than 256 KB"),
])
def test_a_file_that_is_not_ours_is_ignored_in_one_line_and_replaced_on_the_next_save(tmp_path, content, reason):
    path = tmp_path / "activity_seen.json"
    path.write_bytes(content)
    seen = ActivitySeen(path, "a")
    assert seen.load() is None
    assert seen.problem.startswith(f"{path}: ") and reason in seen.problem and "\n" not in seen.problem
    assert "Activity starts afresh" in seen.problem
    seen.save(LOOK)
    assert ActivitySeen(path, "a").load() == LOOK
    assert json.loads(path.read_text()) == {"version": 1, "accounts": {
        "a": {"until": WHEN.isoformat(), "keys": ["course_1:4:17"]}}}


def reply(entry_id: int, when: datetime) -> ActivityItem:
    return ActivityItem("reply", "course_1", 4, "Week 1", "Jane", "text", when, entry_id)


def test_a_reply_in_the_same_second_as_the_last_one_seen_is_new_after_a_restart(tmp_path):
    """Canvas's times are whole seconds: "newer than the last look" alone would miss it."""
    path = tmp_path / "activity_seen.json"
    report = SimpleNamespace(emit=lambda *args: None)
    before = Activity(None, None, report, ActivitySeen(path, "a"))
    for item in (reply(16, WHEN - timedelta(minutes=1)), reply(17, WHEN)):
        before._add(item)
    before.look()
    before.looked_away()

    after = Activity(None, None, report, ActivitySeen(path, "a"))
    for item in (reply(16, WHEN - timedelta(minutes=1)), reply(17, WHEN), reply(18, WHEN)):
        after._add(item)
    after.look()
    assert [item.entry_id for item in after.items if after.is_new(item)] == [18]


# -- two runs of the app on one data folder ----------------------------------------------------------------------

def inbox_app(sandbox, data: Path) -> InboxApp:
    """The real app as a user starts it, without a live feed: Activity is filled from the API on start."""
    client = CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher"))
    seen = ActivitySeen(data / "activity_seen.json", "teacher-account")
    return InboxApp(InboxSession(client, activity_seen=seen))


async def look_at_activity(pilot) -> ActivityList:
    app = pilot.app
    await async_wait_until(lambda: app.session.me is not None and app.session.activity.loaded)
    await pilot.press("6")
    activity = app.query_one(ActivityList)
    await async_wait_until(lambda: activity.display and activity.items and app.focused is activity)
    await settle(pilot)
    return activity


def marked_new(activity: ActivityList) -> list:
    return [item for item in activity.items if str(activity.prompt(item)).startswith("● ")]


def post_reply(sandbox, text: str) -> dict:
    """A student replies to the course's newest topic, through the API."""
    with user_client(sandbox, "student") as student:
        topic = student.get("/api/v1/courses/1/discussion_topics").json()[0]
        entry = student.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                             data={"message": f"<p>{text}</p>"}).json()
    return entry | {"topic_id": topic["id"]}


def reply_event(entry: dict) -> LiveEvent:
    return LiveEvent.from_json({"metadata": {"event_name": "discussion_entry_created", "context_type": "Course",
                                             "context_id": "1"},
                                "body": {"discussion_topic_id": str(entry["topic_id"]),
                                         "discussion_entry_id": str(entry["id"])}})


async def test_after_a_restart_only_what_arrived_since_the_last_look_is_new(sandbox, tmp_path, open_umask):
    data = tmp_path / "data"
    first = inbox_app(sandbox, data)
    async with first.run_test(size=SIZE) as pilot:
        activity = await look_at_activity(pilot)
        assert marked_new(activity) == []  # the first look ever: nothing is new yet
        # A reply arrives while the user is in Activity (the live feed hands its event to the session).
        live = post_reply(sandbox, "Posted while you were looking")
        assert await first.session.activity.apply(reply_event(live)) is not None
        await async_wait_until(lambda: [item.entry_id for item in marked_new(activity)] == [live["id"]])
        seen_before = {item.key for item in activity.items}
        await pilot.press("q")  # quitting from Activity, as one does: what it showed counts as seen
    assert mode(data) == 0o700 and mode(data / "activity_seen.json") == 0o600

    entry = post_reply(sandbox, "Posted while the app was closed")

    second = inbox_app(sandbox, data)
    async with second.run_test(size=SIZE) as pilot:
        activity = await look_at_activity(pilot)
        assert seen_before <= {item.key for item in activity.items}  # the old items are all there...
        assert [item.entry_id for item in marked_new(activity)] == [entry["id"]]  # ...and only the new one is new
        assert second.status.message == "1 new in Activity since you last looked (marked ●)"
        await pilot.press("1")  # leaving Activity: the new one is seen too
        await async_wait_until(lambda: second.focused is second.list)

    third = inbox_app(sandbox, data)
    async with third.run_test(size=SIZE) as pilot:
        activity = await look_at_activity(pilot)
        assert marked_new(activity) == []


async def test_a_corrupt_file_starts_activity_afresh_with_one_line_saying_so(sandbox, tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "activity_seen.json").write_bytes(b"{ this is not what tui-inbox wrote")
    app = inbox_app(sandbox, data)
    async with app.run_test(size=SIZE) as pilot:
        activity = await look_at_activity(pilot)
        assert marked_new(activity) == []  # as on a first run
        problem = next(entry.text for entry in app.status.history
                       if entry.kind == "error" and "activity_seen.json" in entry.text)
        assert "not JSON" in problem and "Activity starts afresh" in problem and "Traceback" not in problem
        await pilot.press("1")
        await async_wait_until(lambda: app.focused is app.list)
    assert json.loads((data / "activity_seen.json").read_text())["accounts"]["teacher-account"]  # rewritten


async def test_a_data_folder_that_cannot_be_written_is_said_in_one_line_and_the_session_goes_on(sandbox, tmp_path):
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")
    app = inbox_app(sandbox, blocked)
    async with app.run_test(size=SIZE) as pilot:
        await look_at_activity(pilot)
        await pilot.press("1")
        await async_wait_until(lambda: app.focused is app.list)
        errors = [entry.text for entry in app.status.history if entry.kind == "error"]
        assert any(line.startswith("Could not keep what you have seen in Activity") and str(blocked) in line
                   for line in errors)
        assert all("\n" not in line and "Traceback" not in line for line in errors)
        await pilot.press("6")  # still usable: Activity shows again, nothing new
        await async_wait_until(lambda: app.query_one(ActivityList).display)
        assert marked_new(app.query_one(ActivityList)) == []
