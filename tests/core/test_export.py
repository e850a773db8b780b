"""``tui-inbox export``: whole threads into mbox, JSON or Markdown, read back as a user's tools read them."""

from __future__ import annotations

import json
import mailbox
import os
import stat
import subprocess
import sys

import httpx
import pytest

from tui_inbox import export_command
from tui_inbox.inbox import export as export_module
from tui_inbox.inbox import export_formats


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


@pytest.fixture
def export_cli(sandbox, tmp_path):
    """``tui-inbox export ...`` as a process, configured as the sandbox's teacher."""
    config = tmp_path / "config.toml"
    config.write_text(f'[canvas]\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n')
    env = {k: v for k, v in os.environ.items() if k != "CANVAS_TOKEN"}
    env.update(TUI_INBOX_CONFIG=str(config), TUI_INBOX_DATA=str(tmp_path / "data"), HOME=str(tmp_path))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "export", *args], capture_output=True,
                              text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)

    return run


def api(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, timeout=10,
                        headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"})


def every_conversation(client: httpx.Client) -> dict[int, dict]:
    found = {}
    for scope in ("inbox", "sent", "archived"):
        page = client.get("/api/v1/conversations", params={"scope": scope, "per_page": 100})
        while True:
            for row in page.json():
                found.setdefault(row["id"], row)
            if "next" not in page.links:
                break
            page = client.get(page.links["next"]["url"])
    return found


def test_the_command_line_names_what_the_exporter_knows():
    assert export_command.FORMATS == export_formats.FORMATS
    assert export_command.MAILBOXES == export_module.MAILBOXES


def test_an_mbox_export_opens_in_the_standard_mailbox_reader_whole_threads_threaded_nothing_marked_read(
        sandbox, export_cli, tmp_path):
    with api(sandbox) as client:
        unread_before = client.get("/api/v1/conversations/unread_count").json()
        rows = every_conversation(client)
        expected = sum(len(client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "false"})
                           .json()["messages"]) for cid in rows)
        target = tmp_path / "inbox.mbox"
        done = export_cli("--format", "mbox", str(target))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"Exported {len(rows):,} conversations ({expected:,} messages) to {target}"
        assert client.get("/api/v1/conversations/unread_count").json() == unread_before
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    box = mailbox.mbox(target)
    messages = list(box)
    assert len(messages) == expected
    by_id = {m["Message-ID"]: m for m in messages}
    replies = [m for m in messages if m["In-Reply-To"]]
    assert replies and all(m["In-Reply-To"] in by_id for m in replies)  # mutt can thread them
    # A conversation's emails share its subject and conversation header.
    for m in replies:
        parent = by_id[m["In-Reply-To"]]
        assert parent["X-Canvas-Conversation"] == m["X-Canvas-Conversation"] and parent["Subject"] == m["Subject"]
    attached = [m for m in messages if "Attached in Canvas:" in m.get_payload(decode=True).decode()]
    assert attached and "verifier" not in target.read_text(encoding="utf-8")  # listed, never a download link
    assert b"\x1b" not in target.read_bytes()


def test_a_json_export_of_one_course_since_a_date_holds_only_those_threads(sandbox, export_cli, tmp_path):
    target = tmp_path / "bio.json"
    done = export_cli("--course", "chem 210", "--since", "2000-01-01", "--format", "json", str(target))
    assert done.returncode == 0, done.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["conversations"] and {c["course"] for c in data["conversations"]} == {"CHEM 210"}
    first = data["conversations"][0]
    assert first["messages"] and {"author", "body", "created_at", "attachments"} <= set(first["messages"][0])
    assert all(m["author"]["name"] for c in data["conversations"] for m in c["messages"])
    with api(sandbox) as client:  # JSON keeps each body exactly as Canvas gave it
        thread = client.get(f"/api/v1/conversations/{first['id']}", params={"auto_mark_as_read": "false"}).json()
    assert {m["id"]: m["body"] for m in first["messages"]} == {m["id"]: m["body"] for m in thread["messages"]}
    dates = [c["messages"][-1]["created_at"] for c in data["conversations"]]
    assert dates == sorted(dates, reverse=True)  # newest first, as the Inbox lists them

    later = tmp_path / "none.json"
    assert export_cli("--since", "2099-01-01", "--format", "json", str(later)).returncode == 0
    assert json.loads(later.read_text(encoding="utf-8"))["conversations"] == []


def test_a_markdown_export_keeps_server_text_as_quoted_text(sandbox, export_cli, tmp_path):
    target = tmp_path / "dispute.md"
    assert export_cli("--format", "markdown", str(target)).returncode == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("Exported from Canvas on ")
    # The seed's subject with markup in it is a heading's text, escaped, not Markdown structure.
    assert "\\[@click=app.quit\\]Click me" in text
    assert "\x1b" not in text and "\x07" not in text  # the seed's escapes cannot drive a terminal that shows the file
    body_lines = [line for line in text.splitlines() if line.startswith("> ")]
    assert body_lines and not any(line.startswith("#") for line in text.splitlines()
                                  if not line.startswith(("# ", "## ")))


def test_an_existing_file_is_never_overwritten_and_mistakes_are_one_line(sandbox, export_cli, tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("mine")
    done = export_cli("--format", "json", str(target))
    assert done.returncode == 2 and target.read_text() == "mine"
    assert done.stderr.count("\n") == 1 and "never overwrites" in done.stderr and "Traceback" not in done.stderr

    done = export_cli("--course", "ART 999", "--format", "json", str(tmp_path / "x.json"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "ART 999" in done.stderr and "BIO 101" in done.stderr  # names the courses there are
    assert not (tmp_path / "x.json").exists()

    done = export_cli("--since", "last week", "--format", "json", str(tmp_path / "y.json"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "2026-10-01" in done.stderr

    done = export_cli("--format", "json", str(tmp_path / "no-such-folder" / "z.json"))
    assert done.returncode == 2 and "is not a folder" in done.stderr


def test_canvas_unreachable_is_one_line_and_writes_nothing(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[canvas]\nbase_url = "http://127.0.0.1:9"\ntoken = "7~x"\n')
    env = {**os.environ, "TUI_INBOX_CONFIG": str(config), "TUI_INBOX_DATA": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "tui_inbox.cli", "export", "--format", "mbox",
                           str(tmp_path / "out.mbox")], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "nothing was written" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out.mbox").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_course_takes_what_the_course_pattern_takes(sandbox, export_cli, tmp_path):
    """``--course BIO`` is BIO 101, as ``course:BIO`` is in the list; it once wanted the whole code."""
    from tui_inbox.inbox.query import course_holds

    by_code, by_part, by_name = tmp_path / "code.json", tmp_path / "part.json", tmp_path / "name.json"
    assert export_cli("--course", "BIO 101", "--format", "json", str(by_code)).returncode == 0
    done = export_cli("--course", "BIO", "--format", "json", str(by_part))
    assert done.returncode == 0, done.stderr
    assert export_cli("--course", "organic", "--format", "json", str(by_name)).returncode == 0
    exported = {path: json.loads(path.read_text(encoding="utf-8"))["conversations"]
                for path in (by_code, by_part, by_name)}
    assert exported[by_part] and [c["id"] for c in exported[by_part]] == [c["id"] for c in exported[by_code]]
    assert {c["course"] for c in exported[by_name]} == {"CHEM 210"}  # a word of Organic Chemistry
    assert course_holds("bio", "BIO 101", "Introduction to Biology", "course_1")
    assert not course_holds("bio", "HIST 150", "World History", "course_3")
