"""``tui-inbox mcp`` run as a process and driven by the MCP SDK's own stdio client, against the sandbox.

What an assistant sees: the tools and what each says it changes, the rows and threads, the
search index's hits, a reply drafted into the app's Drafts (the app shows it in its composer),
a big change refused until its preview is confirmed, exactly the previewed conversations
changed, and undone. What it must never see: the Canvas token, in any result, error, resource
or line of the server's log (every one is scanned).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.accounts_cli import cli

TEACHER = 1


def config_of(tmp_path: Path, sandbox, *, delay: float | None = None) -> None:
    compose = f"\n[compose]\nsend_delay_seconds = {delay}\n" if delay is not None else ""
    (tmp_path / "config.toml").write_text(
        f'[[accounts]]\nname = "state"\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n'
        + compose)


def api(sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, timeout=20,
                        headers={"Authorization": f"Bearer {sandbox.info.token_of('teacher')}"})


def ids_in(sandbox, scope: str) -> list[int]:
    with api(sandbox) as client:
        answer = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true",
                                                             "per_page": 1})
        return answer.json()["conversation_ids"]


def state_of(sandbox, cid: int) -> dict:
    with api(sandbox) as client:
        return client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).json()


class Assistant:
    """The SDK's client session, keeping every text the server gave, for the token scan."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.seen: list[str] = []

    async def call(self, tool: str, **arguments) -> tuple[bool, dict | str]:
        """(whether it failed, its JSON answer or its one-line error)."""
        result = await self.session.call_tool(tool, arguments, read_timeout_seconds=timedelta(seconds=120))
        text = "".join(block.text for block in result.content if block.type == "text")
        self.seen.append(text)
        return (True, text) if result.isError else (False, json.loads(text))

    async def ok(self, tool: str, **arguments) -> dict:
        failed, answer = await self.call(tool, **arguments)
        assert not failed, answer
        return answer

    async def refused(self, tool: str, **arguments) -> str:
        failed, answer = await self.call(tool, **arguments)
        assert failed, answer
        return answer

    async def resource(self, uri: str) -> str:
        result = await self.session.read_resource(uri)
        text = "".join(getattr(block, "text", "") for block in result.contents)
        self.seen.append(text)
        return text


@asynccontextmanager
async def assistant(tmp_path: Path, sandbox):
    """``tui-inbox mcp`` as a client starts it; after, nothing it said (results, errors, resources,
    its standard error) holds the token."""
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"), "mcp"],
        env={"HOME": str(tmp_path / "home"), "TUI_INBOX_DATA": str(tmp_path / "data")})
    log = tmp_path / "mcp-stderr.txt"
    with open(log, "w") as errlog:
        async with stdio_client(server, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                client = Assistant(session)
                yield client
    token = sandbox.info.token_of("teacher")
    for text in client.seen + [log.read_text()]:
        assert token not in text


async def test_the_tools_each_say_what_they_change_on_canvas(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    async with assistant(tmp_path, sandbox) as client:
        tools = {tool.name: tool for tool in (await client.session.list_tools()).tools}
        templates = (await client.session.list_resource_templates()).resourceTemplates
    assert set(tools) == {"list_conversations", "read_conversation", "search_messages", "draft_reply", "send_message",
                          "triage", "undo"}
    for tool in tools.values():
        said = tool.description.casefold()
        assert "changes" in said and "canvas" in said, tool.name
    for reader in ("list_conversations", "read_conversation", "draft_reply"):
        assert "changes nothing on canvas" in tools[reader].description.casefold()
    assert "read-only" in tools["search_messages"].description.casefold()
    assert "not marked read" in tools["read_conversation"].description.casefold()
    assert "more than 20" in tools["triage"].description and "confirm_token" in tools["triage"].description
    assert [t.uriTemplate for t in templates] == ["conversation://{account}/{id}"]
    for reader in ("list_conversations", "search_messages"):
        assert tools[reader].annotations.readOnlyHint is True
    assert tools["read_conversation"].annotations.readOnlyHint is False  # mark_read can change it


async def test_it_lists_as_the_shell_does_and_reads_without_marking_read(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    unread = ids_in(sandbox, "unread")
    first, second = unread[0], unread[1]
    async with assistant(tmp_path, sandbox) as client:
        listed = await client.ok("list_conversations", limit=0)
        shell = json.loads(cli(tmp_path, "list", "--limit", "0", "--json").stdout)
        narrowed = await client.ok("list_conversations", pattern="is:unread", limit=0)
        thread = await client.ok("read_conversation", id=first)
        assert state_of(sandbox, first)["workflow_state"] == "unread"  # read, not marked read
        as_resource = json.loads(await client.resource(f"conversation://state/{first}"))
        assert state_of(sandbox, first)["workflow_state"] == "unread"
        await client.ok("read_conversation", id=second, mark_read=True)  # asked: marked read
        assert state_of(sandbox, second)["workflow_state"] == "read"
        missing = await client.refused("read_conversation", id=987654)
        wrong_account = await client.refused("list_conversations", account="stat")
    assert listed["conversations"] == shell and listed["count"] == len(shell)
    assert [row["id"] for row in narrowed["conversations"]] == unread[: len(narrowed["conversations"])]
    assert {row["id"] for row in narrowed["conversations"]} <= set(unread) and first in \
        {row["id"] for row in narrowed["conversations"]}
    assert thread["id"] == first and thread["messages"] and as_resource == thread
    assert "987654" in missing and "\n" not in missing
    assert "did you mean 'state'" in wrong_account


async def test_it_searches_the_index_read_only(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    async with assistant(tmp_path, sandbox) as client:
        before = await client.ok("search_messages", words="lab report")
        assert before == {"hits": [], "no_index_yet": ["state"]}
        assert cli(tmp_path, "index").returncode == 0
        found = await client.ok("search_messages", words="lab report")
    assert found["no_index_yet"] == []
    assert any(hit["subject"] == "Lab report extension" for hit in found["hits"])
    assert found["hits"] == json.loads(cli(tmp_path, "search", "lab", "report", "--json", "--limit", "20").stdout)


async def test_a_drafted_reply_is_in_the_apps_composer_when_the_user_presses_r(sandbox, tmp_path, utc):
    from textual.widgets import TextArea

    from tests.conftest import row_index
    from tests.waiting import async_wait_until
    from tui_inbox.config import Config
    from tui_inbox.inbox.text import one_line
    from tui_inbox.launch import Account, build_app
    from tui_inbox.ui.screens.compose import ComposeScreen

    config_of(tmp_path, sandbox)
    rows = json.loads(cli(tmp_path, "list", "--json").stdout)
    target = next(row for row in rows if row["workflow_state"] == "unread")
    text = "Thanks, Jane: the extension is fine. [b]Not markup[/b]"
    async with assistant(tmp_path, sandbox) as client:
        saved = await client.ok("draft_reply", id=target["id"], body=text)
        again = await client.refused("draft_reply", id=target["id"], body="something else")
    assert saved["sent"] is False and saved["draft_key"] == f"reply:{target['id']}"
    assert "already a draft" in again
    # Nothing sent, nothing marked read.
    after = state_of(sandbox, target["id"])
    assert after["workflow_state"] == "unread" and after["message_count"] == target["message_count"]

    data = tmp_path / "data"
    app = build_app(Config(), Account(sandbox.base_url, sandbox.info.token_of("teacher"), None, False),
                    user_id=TEACHER, drafts_path=data / "drafts.sqlite3")
    async with app.run_test(size=(120, 32)) as pilot:
        await async_wait_until(lambda: app.session.view.loaded and app.list.rows, timeout=60)
        await app.session.wait_loaded()
        index = row_index(app, one_line(target["subject"]))
        await pilot.press("g", *["j"] * index)
        await async_wait_until(lambda: app.list.cursor == index, timeout=60)
        await pilot.press("r")
        screen = await async_wait_until(lambda: app.screen if isinstance(app.screen, ComposeScreen) else None,
                                        timeout=60)
        await async_wait_until(lambda: screen.query("#body"), timeout=60)
        assert screen.query_one("#body", TextArea).text == text
        assert screen.draft.conversation_id == target["id"]


async def test_a_big_archive_is_refused_until_confirmed_then_exactly_those_change_and_undo_restores(make_sandbox,
                                                                                                     tmp_path):
    sandbox = make_sandbox(conversations=150)
    config_of(tmp_path, sandbox)
    archived_before = set(ids_in(sandbox, "archived"))
    starred_before = set(ids_in(sandbox, "starred"))
    chosen = [cid for cid in ids_in(sandbox, "inbox")][:100]
    assert len(chosen) == 100
    async with assistant(tmp_path, sandbox) as client:
        preview = await client.ok("triage", verb="archive", ids=chosen)
        assert preview["needs_confirmation"] is True and preview["count"] == 100
        assert sorted(row["id"] for row in preview["conversations"]) == sorted(chosen)
        assert set(ids_in(sandbox, "archived")) == archived_before  # nothing changed yet
        # A token for another verb, a made-up one, a used one: refused, nothing changes.
        token = preview["confirm_token"]
        assert "confirms archive of 100" in await client.refused("triage", verb="star", confirm_token=token)
        assert "used already" in await client.refused("triage", verb="archive", confirm_token=preview["confirm_token"])
        assert "not one this server gave" in await client.refused("triage", verb="archive", confirm_token="guess" * 4)
        assert set(ids_in(sandbox, "archived")) == archived_before and set(ids_in(sandbox, "starred")) == starred_before
        fresh = await client.ok("triage", verb="archive", ids=chosen)
        assert "confirm_token" in fresh and fresh["confirm_token"] != preview["confirm_token"]
        done = await client.ok("triage", verb="archive", confirm_token=fresh["confirm_token"])
        assert sorted(done["changed"]) == sorted(chosen) and done["failed"] == {} and done["undo"] is True
        assert set(ids_in(sandbox, "archived")) == archived_before | set(chosen)
        # Kept for undo in the shell's journal (what `tui-inbox undo` reads too), private, each state before.
        kept = tmp_path / "data" / "shell" / "last_change.json"
        assert kept.stat().st_mode & 0o777 == 0o600
        journal = json.loads(kept.read_text())
        assert journal["verb"] == "archive" and journal["accounts"][0]["user_id"] == TEACHER
        assert sorted(map(int, journal["accounts"][0]["before"])) == sorted(chosen)
        assert "used already" in await client.refused("triage", verb="archive", confirm_token=fresh["confirm_token"])
        undone = await client.ok("undo")
        assert sorted(undone["changed"]) == sorted(chosen)
        assert set(ids_in(sandbox, "archived")) == archived_before
        assert set(ids_in(sandbox, "starred")) == starred_before
        assert (await client.ok("undo"))["line"] == "Nothing to undo."


async def test_up_to_twenty_change_at_once_and_a_pattern_previews_what_it_matches(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    unread = ids_in(sandbox, "unread")
    starred = set(ids_in(sandbox, "starred"))
    few = [cid for cid in unread if cid not in starred][:3]
    async with assistant(tmp_path, sandbox) as client:
        done = await client.ok("triage", verb="star", ids=few)
        assert sorted(done["changed"]) == sorted(few) and "needs_confirmation" not in done
        assert set(ids_in(sandbox, "starred")) == starred | set(few)
        again = await client.ok("triage", verb="star", ids=few)
        assert again["changed"] == [] and again["already"] == 3
        # A delete is always previewed: it cannot be undone.
        delete = await client.ok("triage", verb="delete", ids=few[:1])
        assert delete["needs_confirmation"] and "cannot be undone" in delete["line"]
        # A pattern previews what / would show in that mailbox: here every unread conversation.
        matched = await client.ok("triage", verb="delete", pattern="is:unread")
        assert sorted(row["id"] for row in matched["conversations"]) == sorted(unread)
        assert matched["count"] == len(unread) and matched["needs_confirmation"]
        bad = await client.refused("triage", verb="archive", pattern="is:nonsense")
        neither = await client.refused("triage", verb="archive")
        assert sorted((await client.ok("undo"))["changed"]) == sorted(few)
    assert set(ids_in(sandbox, "starred")) == starred and sorted(ids_in(sandbox, "unread")) == sorted(unread)
    assert "is:unread" in bad and "ids or a pattern" in neither
    assert all(state_of(sandbox, cid)["workflow_state"] == "unread" for cid in few)  # starring marked nothing read


async def test_send_waits_in_the_outbox_undo_takes_it_back_and_wait_returns_where_it_went(sandbox, tmp_path):
    config_of(tmp_path, sandbox, delay=60)
    target = ids_in(sandbox, "inbox")[0]
    count = state_of(sandbox, target)["message_count"]
    async with assistant(tmp_path, sandbox) as client:
        queued = await client.ok("send_message", reply_to=target, body="On its way, unless undone.")
        assert queued["queued"] is True and queued["sent"] is False and queued["conversation_ids"] == [target]
        assert 0 < queued["undo_window_seconds"] <= 60 and queued["leaves_at"].endswith("Z")
        taken = await client.ok("undo")
        assert taken["undone"] is True and taken["sent"] is False
    assert state_of(sandbox, target)["message_count"] == count  # never sent, and the server's stop sent nothing
    config_of(tmp_path, sandbox, delay=0.2)
    async with assistant(tmp_path, sandbox) as client:
        sent = await client.ok("send_message", reply_to=target, body="Sent once.", wait=True)
    assert sent["sent"] is True and sent["conversation_ids"] == [target]
    thread = state_of(sandbox, target)
    assert thread["message_count"] == count + 1
    assert [m["body"] for m in thread["messages"]].count("Sent once.") == 1


async def test_one_journal_undo_takes_back_the_other_surfaces_change(sandbox, tmp_path):
    """``tui-inbox archive`` undone by the server's ``undo``, and the server's triage by ``tui-inbox undo``:
    one journal (shell/journal.py) and one set of rules (shell/changing.py) for both."""
    config_of(tmp_path, sandbox)
    archived_before = set(ids_in(sandbox, "archived"))
    starred_before = set(ids_in(sandbox, "starred"))
    inbox = ids_in(sandbox, "inbox")
    starred = next(cid for cid in inbox if cid in starred_before)  # starred before: stays starred after the undo
    plain = next(cid for cid in inbox if cid not in starred_before)
    async with assistant(tmp_path, sandbox) as client:
        shell = cli(tmp_path, "archive", str(starred), str(plain), "--json")
        assert shell.returncode == 0, shell.stderr
        assert set(ids_in(sandbox, "archived")) == archived_before | {starred, plain}
        undone = await client.ok("undo")
        assert sorted(undone["changed"]) == sorted([starred, plain]) and undone["failed"] == {}
        assert set(ids_in(sandbox, "archived")) == archived_before
        assert set(ids_in(sandbox, "starred")) == starred_before
        assert (await client.ok("undo"))["line"] == "Nothing to undo."

        unread = ids_in(sandbox, "unread")[:2]
        done = await client.ok("triage", verb="mark-read", ids=unread)
        assert sorted(done["changed"]) == sorted(unread) and done["undo"] is True
        assert all(state_of(sandbox, cid)["workflow_state"] == "read" for cid in unread)
        back = cli(tmp_path, "undo", "--json")
        assert back.returncode == 0, back.stderr
        assert sorted(row["id"] for row in json.loads(back.stdout)["restored"]) == sorted(unread)
        assert all(state_of(sandbox, cid)["workflow_state"] == "unread" for cid in unread)
        assert (await client.ok("undo"))["line"] == "Nothing to undo."
        assert cli(tmp_path, "undo").returncode == 1  # nothing left for the shell either
    assert set(ids_in(sandbox, "archived")) == archived_before and set(ids_in(sandbox, "starred")) == starred_before
