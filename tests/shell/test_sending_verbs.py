"""``tui-inbox send`` and ``reply`` as processes against the sandbox: sent once, where a script says,
taken back by Ctrl-C inside the undo-send delay, and seen by an app open on the same account."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.accounts_cli import cli, env_of
from tests.ui.test_live_app import live_app
from tests.waiting import async_wait_until, wait_until

JANE, ALICE = 10, 12


def config_of(tmp_path: Path, sandbox, *, delay: float = 0) -> None:
    (tmp_path / "config.toml").write_text(
        f'[[accounts]]\nname = "state"\nbase_url = "{sandbox.base_url}"\ntoken = "{sandbox.info.token_of("teacher")}"\n'
        f"[compose]\nsend_delay_seconds = {delay:g}\n")


def api(sandbox, user_id: int | None = None) -> httpx.Client:
    token = sandbox.info.token_of("teacher") if user_id is None else next(
        u["token"] for u in sandbox.info.users if u["id"] == user_id)
    return httpx.Client(base_url=sandbox.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"})


def messages_with(sandbox, user_id: int, text: str) -> list[tuple[int, int]]:
    """(conversation id, message id) of every message holding ``text`` that ``user_id`` can see."""
    found = []
    with api(sandbox, user_id) as client:
        for row in client.get("/api/v1/conversations", params={"per_page": 100, "scope": "inbox"}).json():
            thread = client.get(f"/api/v1/conversations/{row['id']}", params={"auto_mark_as_read": "0"}).json()
            found += [(row["id"], m["id"]) for m in thread["messages"] if text in m["body"]]
    return found


def test_send_to_a_person_by_id_and_by_name_goes_once_and_says_where(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    done = cli(tmp_path, "send", "--to", str(JANE), "--subject", "From a script", "--body", "Hello from cron", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["sent"] is True and len(answer["conversation_ids"]) == 1
    assert messages_with(sandbox, JANE, "Hello from cron") == [(answer["conversation_ids"][0], messages_with(
        sandbox, JANE, "Hello from cron")[0][1])]
    by_name = cli(tmp_path, "send", "--to", "Alice", "--body", "Hello Alice", "--mode", "new-each")
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout.startswith("Sent as a new conversation") and len(messages_with(sandbox, ALICE, "Hello Alice")) == 1


def test_the_body_comes_from_a_file_or_standard_input(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    note = tmp_path / "note.txt"
    note.write_text("Your grade is in.\nSee you Monday.\n")
    assert cli(tmp_path, "send", "--to", str(JANE), "--body-file", str(note)).returncode == 0
    assert cli(tmp_path, "send", "--to", str(JANE), "--subject", "stdin", answers="Piped body\n").returncode == 0
    assert len(messages_with(sandbox, JANE, "See you Monday.")) == 1
    assert len(messages_with(sandbox, JANE, "Piped body")) == 1


def test_mistakes_are_one_line_status_2_and_nothing_is_sent(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    nobody = cli(tmp_path, "send", "--to", "Nobodyxyz", "--body", "hi")
    assert nobody.returncode == 2 and "nobody of that name" in nobody.stderr and "Traceback" not in nobody.stderr
    empty = cli(tmp_path, "send", "--to", str(JANE), answers="")
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1
    missing = cli(tmp_path, "send", "--to", str(JANE), "--body-file", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2 and "missing.txt" in missing.stderr
    assert messages_with(sandbox, JANE, "hi") == []


def test_reply_goes_into_the_conversation_once(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    with api(sandbox) as client:
        lab = next(r for r in client.get("/api/v1/conversations", params={"per_page": 100}).json()
                   if r["subject"] == "Lab report extension")
    done = cli(tmp_path, "reply", str(lab["id"]), "--body", "Extension granted.", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conversation_ids"] == [lab["id"]]
    assert [cid for cid, _ in messages_with(sandbox, JANE, "Extension granted.")] == [lab["id"]]
    gone = cli(tmp_path, "reply", "987654", "--body", "anyone?")
    assert gone.returncode == 1 and gone.stderr.count("\n") == 1


def test_ctrl_c_inside_the_undo_delay_takes_the_message_back(sandbox, tmp_path):
    config_of(tmp_path, sandbox, delay=60)
    process = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"), "send",
                                "--to", str(JANE), "--body", "Sent by mistake"], env=env_of(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    wait_until(lambda: seen.append(process.stderr.readline()) or "Sending in 60 s" in seen[-1], timeout=60)
    process.send_signal(signal.SIGINT)  # as Ctrl-C on a terminal
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "not sent" in err and out == ""
    assert messages_with(sandbox, JANE, "Sent by mistake") == []


async def test_a_reply_sent_from_the_shell_while_the_app_is_open_shows_in_the_app_once(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.status.feed == "live")
        await async_wait_until(lambda: any(r.subject == "Lab report extension" for r in app.list.rows))
        lab = next(r for r in app.list.rows if r.subject == "Lab report extension")
        done = await asyncio.to_thread(cli, tmp_path, "reply", str(lab.id), "--body", "From my script")
        assert done.returncode == 0, done.stderr
        await async_wait_until(lambda: any(r.id == lab.id and "From my script" in (r.last_authored_message or "")
                                           for r in app.list.rows))
        assert [r.id for r in app.list.rows].count(lab.id) == 1
    assert len(messages_with(sandbox, JANE, "From my script")) == 1


async def test_a_new_message_sent_from_the_shell_while_the_app_is_open_shows_in_its_sent_mailbox_once(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    app = live_app(sandbox)
    async with app.run_test(size=(120, 32)):
        await async_wait_until(lambda: app.status.feed == "live")
        app.main.reading.switch_to("sent", None)
        await async_wait_until(lambda: app.session.view.loaded and app.session.mailbox.id == "sent" and app.list.rows)
        done = await asyncio.to_thread(cli, tmp_path, "send", "--to", str(JANE), "--subject", "Field trip forms",
                                       "--body", "Bring the signed form on Monday.", "--json")
        assert done.returncode == 0, done.stderr
        [landed] = json.loads(done.stdout)["conversation_ids"]
        await async_wait_until(lambda: any(r.id == landed and r.subject == "Field trip forms" for r in app.list.rows))
        assert [r.id for r in app.list.rows].count(landed) == 1
    assert [cid for cid, _ in messages_with(sandbox, JANE, "Bring the signed form on Monday.")] == [landed]
