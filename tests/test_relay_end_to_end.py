"""The relay end to end: the sandbox as Canvas Data Services, the relay, the app, over real loopback.

The first test runs the two commands as real processes: ``tui-inbox sandbox
--data-services`` POSTs every event, signed, to ``tui-inbox relay``, which verifies it
against the sandbox's JWKS, asks the sandbox (as its admin, masquerading) who may see
it, and streams it on /live to the app whose ``[live] url`` is the relay's.

Order of start: the relay needs the sandbox's admin token, which the sandbox prints
only once it serves, and the sandbox needs the relay's URL before it serves. So the
relay's port is reserved first, the sandbox starts with ``--data-services`` pointing
there (it emits nothing until someone writes), and the relay starts on that port with
the admin token from the sandbox's first line.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.relay_processes import Processes
from tests.waiting import async_wait_until
from tui_inbox.config import parse
from tui_inbox.launch import account_from, build_app
from tui_inbox.relay.nats_child import free_port

TEACHER, JANE, BOB, HIROSHI = 1, 10, 11, 2  # Hiroshi teaches World History only: no BIO 101, no shared thread


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def token(users: list[dict], user_id: int) -> str:
    return next(u["token"] for u in users if u["id"] == user_id)


def api(base_url: str, users: list[dict], user_id: int) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token(users, user_id)}"}, timeout=10)


class Listener:
    """A user's own websocket on the relay's /live, keeping every frame it receives."""

    def __init__(self, live_url: str, user_token: str) -> None:
        self.live_url, self.token = live_url, user_token
        self.frames: list[dict] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Listener":
        self.ws = await websockets.connect(self.live_url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                           open_timeout=10)
        self._task = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self.ws:
            self.frames.append(json.loads(frame))

    def names(self) -> list[tuple[str, str | None]]:
        return [(f["metadata"]["event_name"], f["body"].get("conversation_id") or f["body"].get("discussion_entry_id"))
                for f in self.frames]

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.ws.close()


def visible_lines(widget) -> list[str]:
    """What the widget paints, line by line."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_a_students_message_and_reply_reach_the_teachers_open_app_through_the_relay_and_no_one_else(
        processes, tmp_path, utc):
    relay_port = free_port()
    events_url = f"http://127.0.0.1:{relay_port}/canvas/live-events"
    sandbox = processes.start("sandbox", "sandbox", "--seed", "1", "--data-services", events_url,
                              "--ds-retry-base", "0.05").first_line()
    users, base = sandbox["users"], sandbox["base_url"]
    admin = next(u["token"] for u in users if u["role"] == "admin")
    relay_process = processes.start("relay", "relay", "--canvas-url", base, "--jwks-url", sandbox["jwks_url"],
                                    "--port", str(relay_port), TUI_INBOX_RELAY_ADMIN_TOKEN=admin)
    relay = relay_process.first_line()
    assert relay["events_url"] == events_url

    config = parse({"canvas": {"base_url": base, "token": token(users, TEACHER)},
                    "live": {"url": relay["live_url"], "poll_seconds": 600}})  # polling would hide a missing event
    app = build_app(config, account_from(config), user_id=TEACHER, drafts_path=tmp_path / "drafts.sqlite3")
    async with Listener(relay["live_url"], token(users, HIROSHI)) as hiroshi, app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.status.feed == "live" and app.session.view.loaded
                               and app.session.activity.loaded, timeout=15)
        lab = next(r for r in app.session.view.rows if r.subject == "Lab report extension")
        with api(base, users, JANE) as jane:
            assert HIROSHI not in {p["id"] for p in jane.get(f"/api/v1/conversations/{lab.id}").json()["participants"]}
            assert jane.post(f"/api/v1/conversations/{lab.id}/add_message",
                             data={"body": "Via relay"}).status_code == 200

        # The row moves to the top of the teacher's list, with the new message, on screen.
        top = await async_wait_until(lambda: next((line for line in visible_lines(app.list)[:1]
                                                   if "Lab report extension — Via relay" in line), None), timeout=10)
        assert top.startswith(" ●  Jane Doe") and " now " in top  # unread again, just now

        await pilot.press("6")  # Activity
        with api(base, users, JANE) as jane:
            topic = jane.get("/api/v1/courses/1/discussion_topics").json()[0]
            entry = jane.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                              data={"message": "<p>A reply through the relay</p>"}).json()
        activity = app.query_one("#activity")
        await async_wait_until(lambda: activity.items and activity.items[0].entry_id == entry["id"], timeout=10)
        assert activity.items[0].text == "A reply through the relay"

        # Hiroshi's connection was open all along and got neither. It does receive what is his:
        with api(base, users, BOB) as bob:
            his = bob.post("/api/v1/conversations", data={"recipients[]": [str(HIROSHI)], "subject": "For Hiroshi",
                                                          "body": "only yours"}).json()[0]
        await async_wait_until(lambda: ("conversation_created", str(his["id"])) in hiroshi.names(), timeout=10)
        assert {conversation for _, conversation in hiroshi.names()} == {str(his["id"])}

    await app.session.client.aclose()
    assert relay_process.stop() == 0
    assert admin not in relay_process.stderr() and "Via relay" not in relay_process.stderr()
