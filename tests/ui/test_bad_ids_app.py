"""The app against a server that sends conversation ids no Canvas sends (2**70, "abc", null, true).

Before, an id of 2**70 ended the app with ``OverflowError`` in the search index's ``is_current``
(SQLite's integers are 64-bit), and the others were read as 0. Now such a row is left out, the
others are listed and indexed, and one line on the status bar says what was left out. A hostile
loopback server (tests/hostile_server.py) plays Canvas: the sandbox never sends such ids.
"""

from __future__ import annotations

from tests.hostile_server import HostileServer, json_answer
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient
from tui_inbox.inbox.session import InboxSession
from tui_inbox.store.drafts import DraftStore
from tui_inbox.store.search_index import SearchIndex
from tui_inbox.ui.app import InboxApp

ME = {"id": 1, "name": "Margaret Okafor", "short_name": "Margaret Okafor"}


def conversation(cid, subject: str) -> dict:
    return {"id": cid, "subject": subject, "workflow_state": "read", "last_message": "hello",
            "last_message_at": "2026-03-01T10:00:00Z", "message_count": 1,
            "participants": [{"id": 1, "name": "Margaret Okafor"}, {"id": 2, "name": "Jane Doe"}]}


def thread(cid: int, subject: str) -> dict:
    return {**conversation(cid, subject), "messages": [{"id": cid * 10, "body": f"body of {subject}", "author_id": 2,
                                                        "created_at": "2026-03-01T10:00:00Z"}]}


async def test_rows_with_ids_out_of_range_are_left_out_with_one_line_and_the_app_keeps_running(tmp_path):
    rows = [conversation(1, "Lab report"), conversation(2**70, "Too big"), conversation("abc", "Letters"),
            conversation(None, "Nothing"), conversation(True, "True"), conversation(2, "Field trip")]
    routes = {"/api/v1/users/self": json_answer(ME), "/api/v1/courses": json_answer([]),
              "/api/v1/users/self/groups": json_answer([]), "/api/v1/conversations": json_answer(rows),
              "/api/v1/conversations/unread_count": json_answer({"unread_count": "0"}),
              "/api/v1/conversations/1": json_answer(thread(1, "Lab report")),
              "/api/v1/conversations/2": json_answer(thread(2, "Field trip"))}
    async with HostileServer(routes) as server:
        client = CanvasClient(server.base_url, "a-token")
        session = InboxSession(client, drafts=DraftStore(tmp_path / "drafts.sqlite3", "acct"))
        session.search_index = SearchIndex.open(tmp_path / "cache.sqlite3")
        app = InboxApp(session)
        async with app.run_test(size=(120, 32)):
            await async_wait_until(lambda: session.view.loaded and app.list.rows)
            assert sorted(row.subject for row in app.list.rows) == ["Field trip", "Lab report"]
            await async_wait_until(lambda: "Left out 4 conversations" in app.status.error)
            assert f"127.0.0.1:{server.port}" in app.status.error
            await async_wait_until(lambda: session.search_index.count() == 2)  # both indexed, no crash
            assert app.is_running
