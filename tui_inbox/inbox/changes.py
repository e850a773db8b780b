"""What the core tells the UI changed: one frozen value per kind of change.

The session (and the parts it assembles) hand these to its listeners (``InboxSession.on_change``);
the app handles them in one ``match`` that ends in ``assert_never``, so a kind added here and
handled nowhere fails the type check and the test that sends every kind. A listener reads what
it needs from the value, or from the session for what is current (the rows, the counts), never
from a string kind and an untyped detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Union

from ..canvas.models import Conversation

if TYPE_CHECKING:
    from .accounts import AccountState
    from .activity import OpenDiscussion
    from .bulk_sends import SendProgress


@dataclass(frozen=True, slots=True)
class ViewChanged:
    """The rows of the view on screen changed, or which view is on screen: the list and the title repaint."""


@dataclass(frozen=True, slots=True)
class CountsChanged:
    """The unread count changed: the title and the rail repaint."""


@dataclass(frozen=True, slots=True)
class AccountChanged:
    """Who is signed in, or their courses and groups, are known or changed: the title and the rail repaint."""


@dataclass(frozen=True, slots=True)
class ThreadShown:
    """The open conversation is now this one (None: no thread is open)."""

    conversation: Conversation | None


@dataclass(frozen=True, slots=True)
class ThreadUpdated:
    """The open conversation changed while it was open (a new message, muted, a message deleted):
    repaint it where the reader is, without moving what is being read."""

    conversation: Conversation | None


@dataclass(frozen=True, slots=True)
class RowsArrived:
    """Rows entered the view on their own (a live update): a visual range must not take them in."""

    ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Failed:
    """Something the user should read went wrong: one line for the status bar (and the composer).
    ``signed_out``: Canvas refused the account's token (its rail line says to sign in again)."""

    message: str
    signed_out: bool = False


@dataclass(frozen=True, slots=True)
class ActivityChanged:
    """Activity's items changed: its list repaints."""


@dataclass(frozen=True, slots=True)
class DiscussionShown:
    """A discussion is open in the thread pane (or was updated there)."""

    discussion: "OpenDiscussion | None"


@dataclass(frozen=True, slots=True)
class SendsProgressed:
    """A bulk send in the background moved on: its progress bar repaints."""


@dataclass(frozen=True, slots=True)
class SendDone:
    """A bulk send is delivered, to every one of its people."""

    progress: "SendProgress"


@dataclass(frozen=True, slots=True)
class OutboxChanged:
    """What waits in the Outbox changed: its mailbox and the rail repaint."""


@dataclass(frozen=True, slots=True)
class OutboxSaid:
    """An item of the Outbox was carried out (or could not be): its line, an error when ``failed``."""

    line: str
    failed: bool


@dataclass(frozen=True, slots=True)
class SelectionChanged:
    """The selection changed: its count and the list's marks repaint."""


@dataclass(frozen=True, slots=True)
class WentOffline:
    """Canvas cannot be reached: the list is the cache's, as of ``synced_at``."""

    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class CameOnline:
    """Canvas answers again."""


Change = Union[ViewChanged, CountsChanged, AccountChanged, ThreadShown, ThreadUpdated, RowsArrived, Failed,
               ActivityChanged, DiscussionShown, SendsProgressed, SendDone, OutboxChanged, OutboxSaid,
               SelectionChanged, WentOffline, CameOnline]


# -- several accounts (inbox/accounts.py): what the merged inbox tells the UI -------------------------
# Kept apart from ``Change``: one session never emits these, and the one-account app's handler
# stays as it is. A UI of several accounts handles ``MergedChange`` in its own ``match``.

@dataclass(frozen=True, slots=True)
class AccountChange:
    """One account's session changed (``change``, a ``Change`` as above): tagged with the account,
    so the UI repaints that account's part (and the merged list) once per burst."""

    account: str
    change: Change


@dataclass(frozen=True, slots=True)
class AccountStateChanged:
    """An account is now ready, offline, signed out or failed: its line in the rail repaints.
    ``detail`` is the one line that says why, when it is not ready."""

    account: str
    state: "AccountState"
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class MergedSelectionChanged:
    """The selection across accounts (inbox/merged_triage.py) changed: its count and marks repaint."""


MergedChange = Union[AccountChange, AccountStateChanged, MergedSelectionChanged]
