"""The draft's life in the composer, without Textual: stages, saving, closing, sending, discarding.

Drafts go to a real drafts store in a temporary folder; the store is made to refuse a save the
way a full disk does (an OSError from the write). Timers are fired by hand: nothing waits.
"""

from __future__ import annotations

import errno
from datetime import datetime
from pathlib import Path

import pytest

from tui_inbox.inbox.compose import Draft, RecipientRef
from tui_inbox.inbox.draft_life import ComposerTiming, Disk, DraftLife, NotAllowed, Stage
from tui_inbox.store.drafts import DraftStore


class Keeper:
    """The session's drafts, as the composer sees them: a real store, which can be made full."""

    def __init__(self, path: Path) -> None:
        self.store = DraftStore(path, "acct")
        self.full = False

    def save_draft(self, draft: Draft) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        if draft.empty:
            self.store.delete(draft.key)
        else:
            self.store.save(draft.key, draft.to_dict())

    def discard_draft(self, draft: Draft) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.store.delete(draft.key)

    def body(self, key: str = "new") -> str | None:
        data = self.store.load(key)
        return None if data is None else data.get("body", "")


class Timers:
    """Timers fired by the test, not by time."""

    def __init__(self) -> None:
        self.due: list[tuple[float, object]] = []

    def schedule(self, delay: float, callback) -> object:
        entry = (delay, callback)
        self.due.append(entry)
        return lambda: self.due.remove(entry) if entry in self.due else None

    def fire(self) -> float:
        delay, callback = self.due.pop(0)
        callback()
        return delay


@pytest.fixture
def keeper(tmp_path):
    kept = Keeper(tmp_path / "drafts.sqlite3")
    yield kept
    kept.store.close()


@pytest.fixture
def timers():
    return Timers()


def life_of(draft: Draft, keeper: Keeper, timers: Timers, said: list | None = None, kept_before: bool = False,
            timing: ComposerTiming = ComposerTiming()) -> DraftLife:
    return DraftLife(draft, keeper, timers.schedule, lambda line, error: (said if said is not None else []).append(
        ("✖ " if error else "") + line), kept_before=kept_before, timing=timing)


def a_new_message() -> Draft:
    return Draft(kind="new", to=[RecipientRef("2", "Bob")], subject="Hi")


# -- saving as the user types ---------------------------------------------------------------------------------

def test_a_change_is_saved_once_the_interval_is_up_and_later_changes_ride_on_it(keeper, timers):
    draft = a_new_message()
    life = life_of(draft, keeper, timers, timing=ComposerTiming(save_interval=0.01))
    draft.body = "a"
    life.changed()
    draft.body = "ab"
    life.changed()  # a throttle: no second save is started
    assert life.stage is Stage.EDITING and life.disk is Disk.DUE and len(timers.due) == 1
    assert timers.fire() == 0.01
    assert keeper.body() == "ab" and life.disk is Disk.SAVED
    draft.body = "abc"
    life.changed()
    assert len(timers.due) == 1  # the next change starts the next save


def test_the_product_saves_at_most_0_15_s_behind_and_retries_every_2_s():
    assert ComposerTiming() == ComposerTiming(save_interval=0.15, retry_interval=2.0, search_delay=0.25)


def test_a_reply_back_as_it_opened_leaves_nothing_stored(keeper, timers):
    draft = Draft(kind="reply", conversation_id=7, subject="Re: x", to=[RecipientRef("2", "Bob")])
    life = life_of(draft, keeper, timers)
    draft.body = "typed"
    life.changed()
    timers.fire()
    assert keeper.body("reply:7") == "typed"
    draft.body = ""
    assert life.untouched
    life.changed()
    timers.fire()
    assert keeper.store.load("reply:7") is None


def test_a_draft_kept_before_is_never_untouched(keeper, timers):
    life = life_of(a_new_message(), keeper, timers, kept_before=True)
    assert not life.untouched


# -- a store that cannot keep the draft ----------------------------------------------------------------------

def test_a_refused_save_is_said_and_tried_again_until_the_store_takes_it(keeper, timers):
    said: list[str] = []
    draft = a_new_message()
    life = life_of(draft, keeper, timers, said, timing=ComposerTiming(retry_interval=0.02))
    keeper.full = True
    draft.body = "words"
    life.changed()
    timers.fire()
    assert life.disk is Disk.UNSAVABLE and life.save_error == "[Errno 28] No space left on device"
    assert said == ["✖ Could not save the draft: [Errno 28] No space left on device"]
    assert [delay for delay, _ in timers.due] == [0.02]
    keeper.full = False
    timers.fire()
    assert keeper.body() == "words" and life.disk is Disk.SAVED and life.save_error is None
    assert said[-1] == "The draft is saved now." and not timers.due


def test_the_composer_never_closes_on_text_that_is_on_no_disk(keeper, timers, tmp_path):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    keeper.full = True
    draft.body = "words"
    assert life.close() is False and life.stage is Stage.EDITING
    life.keep_trying()  # asked to stay: one retry due, not two
    assert len(timers.due) == 1
    written = life.rescue_to(tmp_path / "out.txt")
    assert written == tmp_path / "out.txt" and "words" in written.read_text()
    assert life.stage is Stage.CLOSED and not timers.due
    # The app then takes the screen down: nothing more to write, the text is in the file.
    assert life.save_now() is False
    assert life.rescue_anywhere([tmp_path], datetime(2026, 1, 2)) is None


def test_a_rescue_is_not_needed_once_the_store_takes_the_draft(keeper, timers, tmp_path):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    keeper.full = True
    draft.body = "words"
    assert not life.close()
    keeper.full = False
    assert life.rescue_to(tmp_path / "out.txt") is None
    assert life.stage is Stage.CLOSED and keeper.body() == "words" and not (tmp_path / "out.txt").exists()


def test_quitting_on_text_the_store_refused_writes_it_to_the_first_place_that_takes_it(keeper, timers, tmp_path):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    keeper.full = True
    draft.body = "words"
    life.changed()
    life.screen_gone()
    assert life.stage is Stage.CLOSED and not timers.due
    assert life.keeps_text_here and life.save_now() is False and not timers.due  # no retry once gone
    (tmp_path / "a-file").write_text("")  # a folder that cannot be: the next place is tried
    line = life.rescue_anywhere([tmp_path / "a-file", tmp_path], datetime(2026, 1, 2, 3, 4, 5))
    [where] = tmp_path.glob("tui-inbox-draft-*.txt")
    assert line == f"the draft could not be saved ([Errno 28] No space left on device); its text was written to {where}"
    assert "words" in where.read_text()


# -- sending -------------------------------------------------------------------------------------------------

def test_a_draft_with_a_problem_is_not_sent(keeper, timers):
    life = life_of(Draft(kind="new"), keeper, timers)
    assert life.send() == ["Add at least one recipient in To.", "Write a message first."]
    assert life.stage is Stage.EDITING


def test_sending_saves_first_then_holds_the_text_until_the_outcome(keeper, timers):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    draft.body = "hello"
    life.changed()
    assert life.send() == [] and life.stage is Stage.SENDING and life.sending
    assert keeper.body() == "hello" and not timers.due
    draft.context_code = "course_1"
    life.changed()  # while it is sent, nothing is saved: the text went with the send
    assert not timers.due and life.save_now() and keeper.store.load("new")["context_code"] is None
    with pytest.raises(NotAllowed):
        life.send()
    with pytest.raises(NotAllowed):
        life.discard()
    life.send_done(ok=True)
    assert life.stage is Stage.SENT and not life.open and not life.keeps_text_here


def test_a_failed_send_goes_back_to_editing_and_saves_again(keeper, timers):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    draft.body = "hello"
    life.send()
    draft.context_code = "course_1"
    life.send_done(ok=False)
    assert life.stage is Stage.EDITING and keeper.store.load("new")["context_code"] == "course_1"
    assert life.send() == [] and life.stage is Stage.SENDING  # it may be sent again


def test_closing_while_sending_leaves_the_send_going_and_its_outcome_ends_it(keeper, timers):
    for ok, end in ((True, Stage.SENT), (False, Stage.CLOSED)):
        draft = a_new_message()
        life = life_of(draft, keeper, timers)
        draft.body = "hello"
        life.send()
        assert life.close() is True and life.stage is Stage.SENDING_CLOSED and not life.open and life.sending
        with pytest.raises(NotAllowed):
            life.close()
        life.send_done(ok=ok)
        assert life.stage is end
        assert keeper.body() == "hello"  # saved as the send began: a failed send's text is kept


def test_an_outcome_without_a_send_is_refused(keeper, timers):
    life = life_of(a_new_message(), keeper, timers)
    with pytest.raises(NotAllowed, match="cannot finish sending a draft that is editing"):
        life.send_done(ok=True)


# -- discarding ----------------------------------------------------------------------------------------------

def test_discarding_deletes_the_draft_and_ends_it(keeper, timers):
    draft = a_new_message()
    life = life_of(draft, keeper, timers)
    draft.body = "gone soon"
    life.changed()
    life.save_now()
    draft.body = "gone soon!"
    life.changed()
    life.discard()
    assert life.stage is Stage.DISCARDED and keeper.store.load("new") is None and not timers.due
    life.changed()
    assert not timers.due and life.save_now() and keeper.store.load("new") is None
    with pytest.raises(NotAllowed):
        life.close()


def test_a_discard_the_store_refuses_keeps_the_draft_open(keeper, timers):
    life = life_of(a_new_message(), keeper, timers)
    keeper.full = True
    with pytest.raises(OSError):
        life.discard()
    assert life.stage is Stage.EDITING
