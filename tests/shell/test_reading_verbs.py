"""``tui-inbox list``, ``show``, ``unread`` and ``search`` run as processes against the sandbox over HTTP.

What a script sees: the JSON shapes, the exit status, one line on standard error for each
problem. And what it must not do: mark anything read unless asked, or write the store the app
keeps (the data folder is the same after the verbs as before).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from tests.accounts_cli import cli, env_of
from tui_inbox.store.cache import Cache
from tui_inbox.store.known_users import remember_user
from tui_inbox.store.paths import account_key, cache_path

TEACHER = 1


def config_of(tmp_path: Path, sandbox, name: str = "state") -> None:
    (tmp_path / "config.toml").write_text(
        f'[[accounts]]\nname = "{name}"\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n')


def api(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, timeout=10,
                        headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"})


def every_row(sandbox, scope: str) -> list[dict]:
    with api(sandbox) as client:
        rows, url, params = [], "/api/v1/conversations", {"scope": scope, "per_page": 50}
        while url:
            answer = client.get(url, params=params)
            rows += answer.json()
            url, params = answer.links.get("next", {}).get("url"), None
        return rows


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time, but SQLite's companion
    files, which a reader of a WAL database makes when the app has not (they are checked private)."""
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.name.endswith(("-shm", "-wal")):
            assert p.stat().st_mode & 0o077 == 0, f"{p} is readable by others"
            continue
        if p.is_file():
            files[str(p.relative_to(folder))] = (p.stat().st_size, p.stat().st_mtime_ns)
    return files


def test_list_json_is_the_apis_scope_newest_first_and_changes_nothing(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    before = every_row(sandbox, "inbox")
    done = cli(tmp_path, "list", "--limit", "0", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [row["id"] for row in listed] == [row["id"] for row in before]
    first = listed[0]
    assert set(first) == {"account", "id", "subject", "workflow_state", "starred", "subscribed", "last_message",
                          "last_message_at", "message_count", "has_attachments", "course", "context_code",
                          "participants"}
    assert first["account"] == "state" and first["subject"] == before[0]["subject"]
    # Listing marks nothing read.
    assert [row["workflow_state"] for row in every_row(sandbox, "inbox")] == [row["workflow_state"] for row in before]


def test_list_narrows_by_mailbox_course_and_the_apps_patterns(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    archived = cli(tmp_path, "list", "--mailbox", "archived", "--limit", "0", "--json")
    assert [r["id"] for r in json.loads(archived.stdout)] == [r["id"] for r in every_row(sandbox, "archived")]
    # --course is Canvas's course filter (a group's conversations of the course too); --pattern then narrows.
    with api(sandbox) as client:
        bio = [c["id"] for c in client.get("/api/v1/courses").json() if "BIO" in c["course_code"]]
        in_bio = client.get("/api/v1/conversations", params=[("per_page", "100")] +
                            [("filter[]", f"course_{i}") for i in bio]).json()
    unread_bio = json.loads(cli(tmp_path, "list", "--course", "BIO", "--pattern", "is:unread", "--json").stdout)
    assert unread_bio and [r["id"] for r in unread_bio] == [r["id"] for r in in_bio if r["workflow_state"] == "unread"]
    jane = json.loads(cli(tmp_path, "list", "--pattern", "from:jane -lab", "--json", "--limit", "0").stdout)
    assert jane and all(any(p["name"] == "Jane" for p in r["participants"]) for r in jane)
    assert all("lab" not in r["subject"].casefold() for r in jane)
    limited = cli(tmp_path, "list", "--limit", "3")
    assert len(limited.stdout.splitlines()) == 3 and limited.stdout.count("\t") == 3 * 5


def test_list_text_is_one_line_per_row_with_no_escape_sequence_from_the_server(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    done = cli(tmp_path, "list", "--limit", "0")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert len(done.stdout.splitlines()) == len(every_row(sandbox, "inbox"))


def test_a_pattern_with_a_mistake_or_an_unknown_account_is_one_line_and_status_2(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    bad = cli(tmp_path, "list", "--pattern", "is:nonsense")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "is:unread" in bad.stderr
    nobody = cli(tmp_path, "list", "--account", "stat")
    assert nobody.returncode == 2 and "did you mean 'state'" in nobody.stderr and "Traceback" not in nobody.stderr
    no_id = cli(tmp_path, "show", "twelve")
    assert no_id.returncode == 2 and "not a conversation id" in no_id.stderr


def test_nothing_matching_is_status_1_with_an_empty_list(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    done = cli(tmp_path, "list", "--pattern", "subject:no-such-subject-anywhere", "--json")
    assert done.returncode == 1 and json.loads(done.stdout) == []


def test_show_does_not_mark_read_unless_asked(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    unread = next(r for r in every_row(sandbox, "inbox") if r["workflow_state"] == "unread")
    shown = cli(tmp_path, "show", str(unread["id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    thread = json.loads(shown.stdout)
    assert thread["id"] == unread["id"] and thread["messages"]
    assert thread["messages"][0]["created_at"] <= thread["messages"][-1]["created_at"]  # oldest first
    assert {"id", "created_at", "author", "body", "generated", "attachments", "forwarded_messages"} == set(thread["messages"][0])
    with api(sandbox) as client:
        state = client.get(f"/api/v1/conversations/{unread['id']}", params={"auto_mark_as_read": "0"}).json()
        assert state["workflow_state"] == "unread"
    assert cli(tmp_path, "show", str(unread["id"]), "--mark-read").returncode == 0
    with api(sandbox) as client:
        state = client.get(f"/api/v1/conversations/{unread['id']}", params={"auto_mark_as_read": "0"}).json()
        assert state["workflow_state"] == "read"


def test_show_of_a_conversation_that_is_not_there_is_one_line_and_status_1(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    done = cli(tmp_path, "show", "987654")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("tui-inbox show: 987654: ") and done.stderr.count("\n") == 1


def warm_cache(tmp_path: Path, sandbox, *, count: int, synced: datetime) -> Path:
    """The cache the app leaves behind: its user known, its unread count and when it was in step."""
    data = tmp_path / "data"
    token = sandbox.info.token_of("teacher")
    remember_user(data / "known_users.json", sandbox.base_url, token, TEACHER)
    cache = Cache(cache_path(data, account_key(sandbox.base_url, TEACHER)))
    cache.save_value("unread_count", count)
    cache.mark_synced(synced)
    cache.close()
    return data


def test_unread_answers_from_a_fresh_cache_else_from_canvas_and_writes_nothing(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    with api(sandbox) as client:
        canvas_count = int(client.get("/api/v1/conversations/unread_count").json()["unread_count"])  # a string, as Canvas sends it
    now = datetime.now(timezone.utc)
    data = warm_cache(tmp_path, sandbox, count=canvas_count + 5, synced=now)  # a count only the cache has
    before = snapshot(data)
    fresh = cli(tmp_path, "unread", "--json")
    assert fresh.returncode == 0, fresh.stderr
    answer = json.loads(fresh.stdout)
    assert answer["unread"] == canvas_count + 5
    assert answer["accounts"][0]["source"] == "cache" and answer["accounts"][0]["stale"] is False
    assert cli(tmp_path, "unread").stdout == f"{canvas_count + 5}\n"
    # Older than --max-age: Canvas is asked.
    asked = json.loads(cli(tmp_path, "unread", "--json", "--max-age", "0").stdout)
    assert asked["unread"] == canvas_count and asked["accounts"][0]["source"] == "canvas"
    assert snapshot(data) == before


def test_unread_when_canvas_cannot_be_reached_gives_the_cached_count_marked_stale(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    warm_cache(tmp_path, sandbox, count=7, synced=datetime.now(timezone.utc) - timedelta(hours=2))
    sandbox.stop()
    stale = cli(tmp_path, "unread", "--json")
    answer = json.loads(stale.stdout)
    assert stale.returncode == 0
    assert answer["unread"] == 7 and answer["accounts"][0]["stale"] is True and answer["accounts"][0]["error"]
    (tmp_path / "data" / "known_users.json").unlink()  # nothing known: no number at all
    none = cli(tmp_path, "unread")
    assert none.returncode == 1 and none.stdout == ""
    assert none.stderr.startswith("tui-inbox unread: state: ") and none.stderr.count("\n") == 1


def test_search_finds_what_the_index_holds_and_says_when_there_is_no_index(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    missing = cli(tmp_path, "search", "lab")
    assert missing.returncode == 1 and "tui-inbox index" in missing.stderr
    assert cli(tmp_path, "index").returncode == 0
    data = tmp_path / "data"
    before = snapshot(data)
    found = cli(tmp_path, "search", "lab", "report", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and all(hit["account"] == "state" for hit in hits)
    assert any(hit["subject"] == "Lab report extension" for hit in hits)
    assert set(hits[0]) == {"account", "conversation_id", "message_id", "subject", "author", "created_at", "mailbox",
                            "snippet"}
    lines = cli(tmp_path, "search", "lab", "report", "--ndjson").stdout.splitlines()
    assert [json.loads(line) for line in lines] == hits
    assert snapshot(data) == before
