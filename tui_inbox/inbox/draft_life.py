"""The life of a draft in the composer, as one state machine.

A draft is written (``EDITING``), sent while the composer stays open (``SENDING``) or after
it closed on the send (``SENDING_CLOSED``), and ends ``SENT``, ``CLOSED`` (kept: in the drafts
store, or in a file when the store could not take it) or ``DISCARDED``. A send that fails goes
back to ``EDITING`` with the text kept; when the composer had closed meanwhile, to ``CLOSED``.

Beside the stage runs the draft's place on disk (``Disk``): what is typed is written at most
``save_interval`` after the first unsaved change, however steady the typing (a throttle, not a
debounce: waiting for a pause lost everything to a crash during typing that never paused);
when the store refuses it (a full disk) it is tried again every ``retry_interval``, and the
composer does not close on it. A save is a write of a few hundred bytes to SQLite, well under
a millisecond (benchmarks/drafts_kill_after.py): there is no "saving" to wait for.

The message waiting out its undo delay is the Outbox's (inbox/outbox.py): to the composer it
is sent. No Textual here: timers come in through ``schedule``, so tests fire them at will.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Callable, Protocol

from . import draft_file
from .compose import Draft

log = logging.getLogger("tui_inbox.inbox.drafts")
# The most the stored draft lags behind the typing. Short, because a crash takes what is not
# yet written: at 0.5 s a burst typed then killed 0.3 s later was all lost.
SAVE_INTERVAL = 0.15
RETRY_SAVE = 2.0  # seconds between tries while the drafts file cannot be written (a full disk)
SEARCH_DELAY = 0.25  # seconds of quiet typing in To before recipients are searched


@dataclass(frozen=True)
class ComposerTiming:
    """The composer's timers; tests pass short ones, the product keeps these."""

    save_interval: float = SAVE_INTERVAL
    retry_interval: float = RETRY_SAVE
    search_delay: float = SEARCH_DELAY


class Stage(Enum):
    EDITING = "editing"
    SENDING = "sending"  # the composer open on it; the text is held
    SENDING_CLOSED = "sending, the composer closed"  # the app says the outcome
    SENT = "sent"  # Canvas took it, or the Outbox holds it for its undo delay
    CLOSED = "closed"  # the draft kept (stored, or written to a file), or a failed send's kept
    DISCARDED = "discarded"


class Disk(Enum):
    SAVED = "saved"  # the store holds the draft as it is (nothing, for one left as it opened)
    DUE = "save due"  # changed since: written within the save interval
    UNSAVABLE = "unsavable"  # the store refused the last save: tried again every retry interval


class NotAllowed(Exception):
    """A transition the draft's stage does not allow (a bug in the caller, never the user's doing)."""


class DraftKeeper(Protocol):
    """Where drafts are kept (the session's drafts store)."""

    def save_draft(self, draft: Draft) -> None: ...

    def discard_draft(self, draft: Draft) -> None: ...


Cancel = Callable[[], None]
Schedule = Callable[[float, Callable[[], None]], Cancel]  # run the callback after so many seconds
Say = Callable[[str, bool], None]  # a line for the user, and whether it is an error


class DraftLife:
    """One draft from the composer opening to its end. Unless the user ``kept_before`` it, the
    draft as it opened is remembered: a reply comes with its subject and people filled in, and
    closing it unchanged must leave nothing stored."""

    def __init__(self, draft: Draft, keeper: DraftKeeper, schedule: Schedule, say: Say, *,
                 kept_before: bool, timing: ComposerTiming = ComposerTiming()) -> None:
        self.draft = draft
        self.keeper = keeper
        self.schedule = schedule
        self.say = say
        self.timing = timing
        self.stage = Stage.EDITING
        self.disk = Disk.SAVED
        self.save_error: str | None = None  # why the last save failed; None while the draft is on disk
        self._pristine = None if kept_before else deepcopy(draft)
        self._cancel: Cancel | None = None  # the save (or retry) due
        self._rescued: str | None = None  # the body last written to a file elsewhere

    # -- what the stage allows ------------------------------------------------------------------
    @property
    def untouched(self) -> bool:
        """Nothing of the user's is in this draft: it is as it opened, and was not kept before."""
        return self._pristine is not None and self.draft == self._pristine

    @property
    def sending(self) -> bool:
        return self.stage in (Stage.SENDING, Stage.SENDING_CLOSED)

    @property
    def open(self) -> bool:
        """The composer is on screen for it: the user may still act on the draft."""
        return self.stage in (Stage.EDITING, Stage.SENDING)

    @property
    def keeps_text_here(self) -> bool:
        """The composer, not a send, answers for the text: it must be saved when the screen goes."""
        return self.stage in (Stage.EDITING, Stage.CLOSED)

    def _require(self, *stages: Stage, doing: str) -> None:
        if self.stage not in stages:
            raise NotAllowed(f"cannot {doing} a draft that is {self.stage.value}")

    # -- saving ---------------------------------------------------------------------------------
    def changed(self) -> None:
        """Something in the draft changed: saved within ``save_interval``, typing or not. While
        it is sent the text went with the send (saved as it began; again if the send fails)."""
        if self.stage is not Stage.EDITING:
            return
        # A throttle: later changes ride on the save already due, which writes the draft as it
        # is then; the next change after it starts the next one.
        if self._cancel is None:
            self.disk = Disk.DUE if self.disk is Disk.SAVED else self.disk
            self._cancel = self.schedule(self.timing.save_interval, self.save_now)

    def _stop_timer(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    def save_now(self) -> bool:
        """Write the draft as it is now; False (and said) when the store could not keep it."""
        self._stop_timer()
        if not self.keeps_text_here:
            # Sending: a save then could put back the draft of a message delivered meanwhile;
            # sent or discarded: there is no draft left to keep.
            return True
        try:
            if self.untouched:  # back as it opened (or never changed): no draft of the user's to keep
                self.keeper.discard_draft(self.draft)
            else:
                self.keeper.save_draft(self.draft)
        except Exception as error:  # a full disk must not lose the screen: say it, and try again
            self.save_error = str(error) or type(error).__name__
            self.disk = Disk.UNSAVABLE
            self.say(f"Could not save the draft: {self.save_error}", True)
            if self.stage is Stage.EDITING:
                self.keep_trying()
            return False
        self.disk = Disk.SAVED
        if self.save_error is not None:
            self.save_error = None
            self.say("The draft is saved now.", False)
        return True

    def keep_trying(self) -> None:
        """The store refused the draft: try again every ``retry_interval`` until it takes it."""
        if self._cancel is None and self.stage is Stage.EDITING:
            self._cancel = self.schedule(self.timing.retry_interval, self.save_now)

    # -- closing ----------------------------------------------------------------------------------
    def close(self) -> bool:
        """The user closes the composer. Editing: True once the draft is on disk (CLOSED); False
        leaves it EDITING, for the text is on no disk (never close on it). Sending: the send goes
        on without the composer (SENDING_CLOSED)."""
        self._require(Stage.EDITING, Stage.SENDING, doing="close")
        if self.stage is Stage.SENDING:
            self.stage = Stage.SENDING_CLOSED
            return True
        if not self.save_now():
            return False
        self.stage = Stage.CLOSED
        return True

    def rescue_to(self, path: Path) -> Path | None:
        """Closing on text the store would not take, to a file at ``path`` the user chose: None
        when the store took it meanwhile (kept as any other), else where it was written. An
        OSError leaves it EDITING."""
        self._require(Stage.EDITING, doing="rescue")
        if self.save_now():
            self.stage = Stage.CLOSED
            return None
        written = draft_file.write(self.draft, path)
        self._rescued = self.draft.body
        self._stop_timer()
        self.stage = Stage.CLOSED
        return written

    def screen_gone(self) -> None:
        """The composer is taken down (ctrl+q, the app closing) without the user closing it."""
        if self.stage is Stage.EDITING:
            self._stop_timer()
            self.stage = Stage.CLOSED

    def rescue_anywhere(self, places: list[Path], now: datetime) -> str | None:
        """The app is quitting on text the store could not take: write it to a file in the first
        of ``places`` that takes it. The line to leave on the terminal once the app is gone (it
        is logged too); None when there was nothing to write."""
        if self.untouched or self.draft.empty or self._rescued == self.draft.body:
            return None
        for place in places:
            try:
                written = draft_file.write(self.draft, draft_file.default_path(place, now))
            except OSError:
                continue
            line = f"the draft could not be saved ({self.save_error}); its text was written to {written}"
            log.warning(line)
            return line
        log.error("the draft could not be saved (%s) nor written to a file", self.save_error)
        return (f"the draft could not be saved ({self.save_error}), "
                "nor written to a file: what was typed since the last save is lost")

    # -- discarding --------------------------------------------------------------------------------
    def discard(self) -> None:
        """Throw the draft away (after the user said yes). The store's error is raised, and the
        draft stays EDITING: it is still there."""
        self._require(Stage.EDITING, doing="discard")
        self._stop_timer()
        self.keeper.discard_draft(self.draft)
        self.stage = Stage.DISCARDED

    # -- sending -------------------------------------------------------------------------------------
    def send(self) -> list[str]:
        """Start sending: what stops it, in words (then it stays EDITING), or [] and SENDING, with
        the draft saved first so that the text is on disk if the app dies while it is sent."""
        self._require(Stage.EDITING, doing="send")
        problems = self.draft.problems()
        if problems:
            return problems
        self.save_now()
        self.stage = Stage.SENDING
        return []

    def send_done(self, ok: bool) -> None:
        """The send's outcome. Failed with the composer open: back to EDITING, saved again."""
        self._require(Stage.SENDING, Stage.SENDING_CLOSED, doing="finish sending")
        if ok:
            self.stage = Stage.SENT
        elif self.stage is Stage.SENDING_CLOSED:
            self.stage = Stage.CLOSED  # saved when the send began: the draft is kept
        else:
            self.stage = Stage.EDITING
            self.save_now()
