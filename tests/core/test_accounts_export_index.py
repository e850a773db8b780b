"""``tui-inbox export`` and ``tui-inbox index`` with several accounts: every account (each thread
marked with its own), or the one ``--account`` names. Real processes against two sandboxes, the
files read back with the tools a user reads them with, each school asked through its own API.
"""

from __future__ import annotations

import json
import mailbox

import httpx
import pytest

from tests.accounts_cli import NOW, cli, teacher_token, two_accounts
from tui_inbox.launch import account_key
from tui_inbox.store.paths import cache_path
from tui_inbox.store.search_index import SearchIndex


@pytest.fixture
def schools(make_sandbox, tmp_path):
    university, college = make_sandbox(now=NOW), make_sandbox(now=NOW, institution=2)
    (tmp_path / "config.toml").write_text(two_accounts(university, college))
    return university, college


def conversation_ids(sandbox) -> set[int]:
    """Every conversation of the teacher, as the school's API lists them."""
    with httpx.Client(base_url=sandbox.base_url, timeout=10,
                      headers={"Authorization": f"Bearer {teacher_token(sandbox)}"}) as client:
        found: set[int] = set()
        for scope in ("inbox", "sent", "archived"):
            body = client.get("/api/v1/conversations", params={"scope": scope, "include_all_conversation_ids": "true"})
            found |= set(body.json()["conversation_ids"])
        return found


def test_a_json_export_holds_every_accounts_threads_each_marked_newest_first(schools, tmp_path):
    university, college = schools
    target = tmp_path / "all.json"
    done = cli(tmp_path, "export", "--format", "json", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("from 2 accounts (state, city)")
    rows = json.loads(target.read_text(encoding="utf-8"))["conversations"]
    by_account = {name: {c["id"] for c in rows if c["account"] == name} for name in ("state", "city")}
    assert by_account == {"state": conversation_ids(university), "city": conversation_ids(college)}
    assert by_account["state"] & by_account["city"]  # the same ids at both: only the account tells them apart
    dates = [c["messages"][-1]["created_at"] for c in rows]
    assert dates == sorted(dates, reverse=True)
    # The file is never overwritten, with one account or several.
    again = cli(tmp_path, "export", "--format", "json", str(target))
    assert again.returncode == 2 and "never overwrites" in again.stderr


def test_an_mbox_of_two_accounts_keeps_each_thread_apart_and_says_its_account(schools, tmp_path):
    target = tmp_path / "all.mbox"
    done = cli(tmp_path, "export", "--format", "mbox", str(target))
    assert done.returncode == 0, done.stderr
    messages = list(mailbox.mbox(target))
    assert {m["X-Canvas-Account"] for m in messages} == {"state", "city"}
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids))  # colliding conversation ids, yet no two emails share an id
    by_id = {m["Message-ID"]: m for m in messages}
    for m in messages:
        if m["In-Reply-To"]:
            assert by_id[m["In-Reply-To"]]["X-Canvas-Account"] == m["X-Canvas-Account"]


def test_export_of_one_account_and_a_course_only_one_account_has(schools, tmp_path):
    university, college = schools
    target = tmp_path / "city.json"
    done = cli(tmp_path, "export", "--account", "CITY", "--format", "json", str(target))
    assert done.returncode == 0, done.stderr
    rows = json.loads(target.read_text(encoding="utf-8"))["conversations"]
    assert {c["id"] for c in rows} == conversation_ids(college) and "account" not in rows[0]
    bio = tmp_path / "bio.json"
    assert cli(tmp_path, "export", "--course", "BIO 101", "--format", "json", str(bio)).returncode == 0
    rows = json.loads(bio.read_text(encoding="utf-8"))["conversations"]
    # Canvas files a conversation in one of a course's groups under the course too (the group's
    # course joins its tags: app/helpers/conversations_helper.rb, infer_tags).
    assert rows and {(c["account"], c["course"]) for c in rows} == {("state", "BIO 101"), ("state", "Lab Group A")}
    nowhere = cli(tmp_path, "export", "--course", "ZZZ 999", "--format", "json", str(tmp_path / "z.json"))
    assert nowhere.returncode == 2 and "state: no course or group" in nowhere.stderr and "city: no course" in nowhere.stderr
    typo = cli(tmp_path, "export", "--account", "ctiy", "--format", "json", str(tmp_path / "x.json"))
    assert typo.returncode == 2
    assert typo.stderr.strip() == ("tui-inbox: export: no account 'ctiy' (did you mean 'city'?); the accounts are "
                                   "state, city (`tui-inbox accounts` lists them)")
    assert not (tmp_path / "z.json").exists() and not (tmp_path / "x.json").exists()


def test_index_does_every_account_in_turn_or_the_one_named(schools, tmp_path):
    university, college = schools
    done = cli(tmp_path, "index")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["state", "city"]
    assert all(" Indexed " in line and "fetched now" in line for line in lines)
    for sandbox in schools:
        user_id = next(u for u in sandbox.info.users if u["role"] == "teacher")["id"]
        index = SearchIndex.open(cache_path(tmp_path / "data", account_key(sandbox.base_url, user_id)))
        try:
            assert index.count() == min(len(conversation_ids(sandbox)), 1000)
        finally:
            index.close()
    one = cli(tmp_path, "index", "--account", "city")
    assert one.returncode == 0 and one.stderr.strip().startswith("Indexed ") and "(0 fetched now)" in one.stderr


def test_index_goes_on_past_an_account_that_is_down(schools, tmp_path):
    university, college = schools
    university.stop()
    done = cli(tmp_path, "index")
    assert done.returncode == 1
    first, second = done.stderr.strip().splitlines()
    assert first.startswith("state: ") and "Traceback" not in done.stderr
    assert second.startswith("city: Indexed ")
