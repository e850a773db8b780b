"""The user's data file: drafts and the Outbox side by side, migrated per component, never thrown away."""

from __future__ import annotations

import json
import sqlite3
import stat

from tui_inbox.store.drafts import DraftStore

OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    content TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (account, key)
)
"""


def test_a_drafts_file_made_by_the_old_code_opens_with_its_drafts_and_gains_an_outbox(tmp_path):
    path = tmp_path / "drafts.sqlite3"
    old = sqlite3.connect(path)  # exactly what DraftStore wrote before schema versions
    old.execute("PRAGMA journal_mode=WAL")
    old.execute(OLD_SCHEMA)
    old.execute("INSERT INTO drafts VALUES ('acct', 'reply:7', ?, 1.0)", (json.dumps({"kind": "reply", "body": "Kept"}),))
    old.commit()
    old.close()
    notices: list[str] = []
    store = DraftStore(path, "acct", notice=notices.append)
    assert store.load("reply:7") == {"kind": "reply", "body": "Kept"}
    item = store.outbox.add("archive", [7])
    assert [i.position for i in store.outbox.items()] == [item.position]
    store.close()
    assert notices == []  # nothing set aside
    assert not list(tmp_path.glob("*.broken-*"))
    again = DraftStore(path, "acct")  # and opens again, migrated once
    assert again.load("reply:7")["body"] == "Kept"
    assert [i.kind for i in again.outbox.items()] == ["archive"]
    versions = dict(again._db.execute("SELECT component, version FROM schema_versions"))
    assert versions == {"drafts": 1, "outbox": 1}
    again.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_items_keep_their_order_and_their_account(tmp_path):
    path = tmp_path / "drafts.sqlite3"
    mine, theirs = DraftStore(path, "acct"), DraftStore(path, "other")
    mine.outbox.add("star", [1])
    theirs.outbox.add("delete", [9])
    mine.outbox.add("message", [2], {"kind": "reply", "conversation_id": 2, "body": "hi"})
    mine.outbox.add("read", [3, 4])
    assert [(i.kind, i.targets) for i in mine.outbox.items()] == [("star", [1]), ("message", [2]), ("read", [3, 4])]
    assert [i.kind for i in theirs.outbox.items()] == ["delete"]
    mine.close()
    theirs.close()


def test_a_message_moves_between_drafts_and_outbox_in_one_step(tmp_path):
    store = DraftStore(tmp_path / "drafts.sqlite3", "acct")
    draft = {"kind": "reply", "conversation_id": 5, "body": "Moving"}
    store.save("reply:5", draft)
    item = store.outbox.add("message", [5], draft, take_draft="reply:5")
    assert store.load("reply:5") is None  # in the Outbox now, not in both
    taken = store.outbox.take(item.position, to_draft="reply:5")
    assert taken is not None and store.load("reply:5") == draft  # back, and out of the Outbox
    assert store.outbox.items() == []
    assert store.outbox.take(item.position) is None  # only once
    # A message that failed goes back to Drafts, unless a newer draft holds the key: then it stays here.
    item = store.outbox.add("message", [5], draft)
    store.outbox.mark(item.position, "sending")
    assert store.outbox.settle(item.position, "conflict", "gone", to_draft="reply:5") is False
    assert store.load("reply:5") == draft
    assert store.outbox.get(item.position).state == "conflict"
    assert store.outbox.get(item.position).payload == draft
    store.close()


def test_a_broken_user_data_file_is_kept_aside_with_one_line(tmp_path):
    path = tmp_path / "drafts.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    notices: list[str] = []
    store = DraftStore(path, "acct", notice=notices.append)
    assert store.outbox.items() == []
    store.close()
    assert len(notices) == 1 and f"was kept as {tmp_path / 'drafts.sqlite3.broken-'}" in notices[0]  # where
    assert len(list(tmp_path.glob("drafts.sqlite3.broken-*"))) == 1
