"""``tui-inbox archive|star|mark-read|... `` and ``undo`` run as processes against the sandbox over HTTP.

What a script sees (the JSON, the exit status, one line on standard error per problem) and what
Canvas then holds, read through the API: a dry run changes nothing, a change touches exactly
what was previewed, an undo puts back exactly what changed, more than 20 need --yes off a
terminal, and an app open on the account sees the change without a restart.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.accounts_cli import cli, env_of
from tests.shell.test_reading_verbs import TEACHER, api, config_of, every_row
from tests.waiting import async_wait_until

PATTERN = "course:BIO older:30d"


def states(sandbox) -> dict[int, tuple[str, bool, bool]]:
    """Every conversation of the teacher (inbox, archived, sent) with its state, as the API has it."""
    found = {}
    for scope in ("inbox", "archived", "sent"):
        for row in every_row(sandbox, scope):
            found[row["id"]] = (row["workflow_state"], row["starred"], row["subscribed"])
    return found


def one(sandbox, cid: int) -> dict:
    with api(sandbox) as client:
        return client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).json()


def put(sandbox, cid: int, **fields: str) -> None:
    with api(sandbox) as client:
        answer = client.put(f"/api/v1/conversations/{cid}", data={f"conversation[{k}]": v for k, v in fields.items()})
        assert answer.status_code == 200


def as_json(done: subprocess.CompletedProcess):
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def test_archive_by_pattern_previews_then_archives_exactly_those_and_undo_puts_them_back(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    listed = [row["id"] for row in as_json(cli(tmp_path, "list", "--pattern", PATTERN, "--limit", "0", "--json"))]
    assert len(listed) > 20
    # One starred and one unread among them: the undo must put back exactly these, not just "unarchive".
    put(sandbox, listed[0], starred="true")
    put(sandbox, listed[1], workflow_state="unread")
    before = states(sandbox)

    preview = cli(tmp_path, "archive", "--pattern", PATTERN, "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    shown = json.loads(preview.stdout)
    assert shown["verb"] == "archive" and shown["count"] == len(listed) and shown["undo"] is True
    assert [row["id"] for row in shown["would_change"]] == listed
    assert all(row["account"] == "state" for row in shown["would_change"])
    assert states(sandbox) == before  # the dry run changed nothing
    text = cli(tmp_path, "archive", "--pattern", PATTERN, "--dry-run")
    assert len(text.stdout.splitlines()) == len(listed)
    assert f"would archive {len(listed)} conversations" in text.stderr

    # More than 20, off a terminal, without --yes: refused, one line, nothing sent.
    refused = cli(tmp_path, "archive", "--pattern", PATTERN)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "--yes" in refused.stderr
    assert states(sandbox) == before

    done = cli(tmp_path, "archive", "--pattern", PATTERN, "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress off a terminal: a script's log has only its problems
    outcome = json.loads(done.stdout)
    assert [item["id"] for item in outcome["changed"]] == listed
    assert outcome["failed"] == [] and outcome["undo"] is True
    after = states(sandbox)
    assert {cid for cid in after if after[cid] != before[cid]} == set(listed)  # exactly those
    assert all(after[cid][0] == "archived" for cid in listed)
    assert after[listed[0]][1] is True  # still starred
    # The journal is private: 0600 in a 0700 folder.
    journal = tmp_path / "data" / "shell" / "last_change.json"
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.parent.stat().st_mode) == 0o700
    assert sandbox.info.token_of("teacher") not in journal.read_text()

    undone = cli(tmp_path, "undo", "--json")
    assert undone.returncode == 0, undone.stderr
    assert sorted(item["id"] for item in as_json(undone)["restored"]) == sorted(listed)
    assert states(sandbox) == before  # each as it was: the unread one unread, the starred one starred
    again = cli(tmp_path, "undo")
    assert again.returncode == 1 and again.stdout == "" and "nothing to undo" in again.stderr


def test_a_terminal_is_asked_before_more_than_20_change(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    before = states(sandbox)

    def answered(answer: bytes) -> subprocess.CompletedProcess:
        master, slave = os.openpty()  # standard input a terminal: the verb may ask
        try:
            process = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"),
                                        "mark-read", "--pattern", "older:1d"], stdin=slave, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env_of(tmp_path), text=True)
            os.write(master, answer)
            out, err = process.communicate(timeout=120)
        finally:
            os.close(slave)
            os.close(master)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    unread = [cid for cid, (state, _, _) in before.items() if state == "unread"]
    no = answered(b"n\n")
    assert no.returncode == 1 and "conversations read? [y/N]" in no.stderr
    assert "nothing was changed" in no.stderr and "more (--dry-run lists them all)" in no.stderr
    assert states(sandbox) == before
    yes = answered(b"y\n")
    assert yes.returncode == 0, yes.stderr
    assert yes.stdout.startswith("Marked read ")
    after = states(sandbox)
    assert sum(1 for cid in unread if after[cid][0] == "read") > 20


def test_ids_that_are_not_in_the_account_change_nothing(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    real = next(row for row in every_row(sandbox, "inbox") if not row["starred"])
    done = cli(tmp_path, "star", str(real["id"]), "987654", "987655")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "987654, 987655" in done.stderr and "nothing was changed" in done.stderr
    assert one(sandbox, real["id"])["starred"] is False
    neither = cli(tmp_path, "star")
    assert neither.returncode == 2 and "--pattern" in neither.stderr
    both = cli(tmp_path, "star", str(real["id"]), "--pattern", "is:unread")
    assert both.returncode == 2 and "not both" in both.stderr
    assert cli(tmp_path, "archive", "--pattern", "   ").returncode == 2


def test_ids_need_the_account_when_there_are_several(sandbox, tmp_path):
    token = sandbox.info.token_of("teacher")
    (tmp_path / "config.toml").write_text(
        f'[[accounts]]\nname = "state"\nbase_url = "{sandbox.base_url}"\ntoken = "{token}"\n'
        f'[[accounts]]\nname = "other"\nbase_url = "{sandbox.base_url}/"\ntoken = "{token}"\n')
    cid = every_row(sandbox, "inbox")[0]["id"]
    done = cli(tmp_path, "archive", str(cid))
    assert done.returncode == 2 and "--account" in done.stderr
    assert one(sandbox, cid)["workflow_state"] != "archived"


def test_each_verb_changes_canvas_and_what_is_already_so_is_left_alone(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    rows = every_row(sandbox, "inbox")
    read = next(r for r in rows if r["workflow_state"] == "read" and not r["starred"] and not r["private"])
    cid = str(read["id"])

    def run(*args: str) -> dict:
        done = cli(tmp_path, *args, cid, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert [c["id"] for c in run("star")["changed"]] == [read["id"]] and one(sandbox, read["id"])["starred"] is True
    twice = run("star")
    assert twice["changed"] == [] and twice["unchanged"] == [{"account": "state", "id": read["id"],
                                                              "reason": "already starred"}]
    run("unstar")
    assert one(sandbox, read["id"])["starred"] is False
    run("mark-unread")
    assert one(sandbox, read["id"])["workflow_state"] == "unread"
    run("mark-read")
    assert one(sandbox, read["id"])["workflow_state"] == "read"
    run("archive")
    assert one(sandbox, read["id"])["workflow_state"] == "archived"
    # Canvas's mark-read would take it out of the archive: an archived conversation is read already.
    stays = run("mark-read")
    assert stays["changed"] == [] and stays["unchanged"][0]["reason"] == "already read (archived)"
    assert one(sandbox, read["id"])["workflow_state"] == "archived"
    run("unarchive")
    assert one(sandbox, read["id"])["workflow_state"] == "read"
    # Mute: group conversations only; Canvas marks a muted one read, and undo makes it unread again.
    group = next(r for r in rows if not r["private"] and r["workflow_state"] == "unread")
    private = next(r for r in rows if r["private"])
    muted = cli(tmp_path, "mute", str(group["id"]), "--json")
    assert muted.returncode == 0, muted.stderr
    assert one(sandbox, group["id"])["subscribed"] is False
    assert cli(tmp_path, "undo").returncode == 0
    assert (one(sandbox, group["id"])["subscribed"], one(sandbox, group["id"])["workflow_state"]) == (True, "unread")
    left = json.loads(cli(tmp_path, "mute", str(private["id"]), "--json").stdout)
    assert left["changed"] == [] and "private" in left["unchanged"][0]["reason"]
    assert one(sandbox, private["id"])["subscribed"] is True
    text = cli(tmp_path, "unmute", str(group["id"]))
    assert text.returncode == 0 and text.stdout == "Nothing to change: 1 not muted\n"


def test_delete_says_it_cannot_be_undone_before_and_after(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    cid = every_row(sandbox, "inbox")[-1]["id"]
    preview = cli(tmp_path, "delete", str(cid), "--dry-run", "--json")
    assert preview.returncode == 0 and json.loads(preview.stdout)["undo"] is False
    assert "delete cannot be undone" in preview.stderr
    assert one(sandbox, cid)["id"] == cid  # still there
    done = cli(tmp_path, "delete", str(cid))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Deleted 1 conversation\n" and "delete cannot be undone" in done.stderr
    with api(sandbox) as client:
        assert client.get(f"/api/v1/conversations/{cid}", params={"auto_mark_as_read": "0"}).status_code == 404
    undo = cli(tmp_path, "undo")
    assert undo.returncode == 1 and "delete cannot be undone" in undo.stderr


async def test_an_app_open_on_the_account_sees_the_change_without_a_restart(sandbox, tmp_path, monkeypatch):
    import asyncio

    from tui_inbox.config import Config
    from tui_inbox.launch import Account, build_app
    from tui_inbox.store.instance_lock import hold, is_held
    from tui_inbox.store.known_users import remember_user
    from tui_inbox.store.paths import account_folder, account_key

    config_of(tmp_path, sandbox)
    data = tmp_path / "data"
    monkeypatch.setenv("TUI_INBOX_DATA", str(data))
    token = sandbox.info.token_of("teacher")
    remember_user(data / "known_users.json", sandbox.base_url, token, TEACHER)
    folder = account_folder(data, account_key(sandbox.base_url, TEACHER))
    folder.mkdir(parents=True, exist_ok=True)
    lock = hold(folder)  # the app's instance lock, as `tui-inbox` holds it while the app runs
    config = Config()
    config.live.poll_seconds = 0.2  # no live stream: the poll of the unread count notices the change
    app = build_app(config, Account(sandbox.base_url, token, None, False, name="state"), user_id=TEACHER,
                    drafts_path=data / "drafts.sqlite3", drafts_account="acct", store_folder=data)
    target = next(row for row in every_row(sandbox, "inbox") if row["workflow_state"] == "unread")["id"]
    try:
        async with app.run_test(size=(120, 32)):
            await async_wait_until(lambda: app.session.view.loaded and any(r.id == target for r in app.list.rows),
                                   timeout=60)
            done = await asyncio.to_thread(cli, tmp_path, "archive", str(target), "--json")
            assert done.returncode == 0, done.stderr
            assert [item["id"] for item in json.loads(done.stdout)["changed"]] == [target]
            await async_wait_until(lambda: all(r.id != target for r in app.list.rows), timeout=60)
            assert is_held(folder)  # the verb neither needed nor took the app's lock
    finally:
        lock.release()
    assert one(sandbox, target)["workflow_state"] == "archived"


def test_a_pattern_over_several_accounts_changes_each_on_its_own_canvas_and_undo_puts_back_both(make_sandbox,
                                                                                                 tmp_path):
    from tests.accounts_cli import two_accounts
    from tests.two_schools import start_schools

    university, college = start_schools(make_sandbox)
    (tmp_path / "config.toml").write_text(two_accounts(university, college))
    schools = {"state": university, "city": college}
    before = {name: states(school) for name, school in schools.items()}
    unread = {name: {cid for cid, (state, starred, _) in found.items() if state == "unread" and not starred}
              for name, found in before.items()}
    assert unread["state"] and unread["city"]
    done = cli(tmp_path, "star", "--pattern", "is:unread", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    changed = json.loads(done.stdout)["changed"]
    for name, school in schools.items():
        mine = {item["id"] for item in changed if item["account"] == name}
        assert mine == unread[name]
        after = states(school)
        assert {cid for cid in after if after[cid] != before[name][cid]} == mine  # on its own Canvas only
    assert cli(tmp_path, "undo").returncode == 0
    assert {name: states(school) for name, school in schools.items()} == before


def test_a_pattern_that_matches_nothing_is_status_1_and_empty_lists(sandbox, tmp_path):
    config_of(tmp_path, sandbox)
    done = cli(tmp_path, "archive", "--pattern", "subject:no-such-subject-anywhere", "--json")
    assert done.returncode == 1 and "nothing matches" in done.stderr
    assert json.loads(done.stdout) == {"verb": "archive", "changed": [], "failed": [], "unchanged": [], "undo": False}
    assert not (tmp_path / "data" / "shell" / "last_change.json").exists()  # no change, nothing to undo
