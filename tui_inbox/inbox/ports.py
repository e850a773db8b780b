"""The narrow ports the core's parts are built from: each part names only what it uses of the
others, and the session (session.py) hands it the object that does it.

The shared state has its own small modules: the account's facts (account.py), the open
conversation (open_conversation.py), the loaded views (loaded_views.py), the work left running
(background.py) and the change channel (channel.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from ..canvas.models import Conversation, DiscussionEntry
from .changes import Change
from .outcome import Outcome
from .view import ConversationView

if TYPE_CHECKING:
    from .activity import Activity
    from .triage import Done

ChangeSink = Callable[[Change], None]  # hears each change (changes.py) as it happens


class Reports(Protocol):
    """Where a part tells what changed and says what failed (channel.py)."""

    def emit(self, change: Change) -> None: ...

    def fail(self, error: Exception) -> Outcome: ...

    def note(self, error: Exception) -> None: ...


class Counting(Protocol):
    """The unread count read again after a change, so the badge never lies (loading.py)."""

    async def refresh_unread(self) -> None: ...


class Loading(Counting, Protocol):
    """A view read again from Canvas (loading.py)."""

    async def load(self, *, force: bool = False) -> ConversationView: ...

    async def refresh(self) -> None: ...


class ThreadPane(Protocol):
    """The open thread, opened and closed (reading.py)."""

    async def open(self, conversation_id: int, *, mark_read: bool = True) -> Conversation | None: ...

    def close_thread(self) -> None: ...

    def close_thread_if_gone(self) -> None: ...


class RowsWatcher(Protocol):
    """What keeps the loaded rows elsewhere (the local cache, the search index): told of every change."""

    def filled(self, view: ConversationView, *, complete: bool) -> None: ...

    def placed(self, views: Iterable[ConversationView], rows: list[Conversation]) -> None: ...

    def removed(self, ids: set[int]) -> None: ...


class SearchIndex(Protocol):
    """The full-text index (store/search_index.py), as the core writes it."""

    def put(self, conversation: Conversation) -> None: ...

    def restate(self, conversations: Iterable[Conversation]) -> None: ...

    def forget(self, conversation_ids: Iterable[int]) -> None: ...

    def close(self) -> None: ...


class ThreadCache(Protocol):
    """Threads kept on disk (offline.py): written when opened, read when Canvas cannot be reached."""

    def opened(self, conversation: Conversation) -> None: ...

    def offline_thread(self, conversation_id: int) -> Conversation | None: ...


class CachedViews(Protocol):
    """Views kept on disk (offline.py): a view not loaded yet comes from there, and is brought in
    step with Canvas by asking only what changed."""

    def restore(self, view: ConversationView) -> bool: ...

    async def refresh(self) -> bool: ...


class DiscussionReplies(Protocol):
    """Replying in a discussion open in Activity (activity.py)."""

    async def reply(self, message: str, context_code: str, topic_id: int, entry_id: int | None) -> DiscussionEntry: ...


class BulkFollowing(Protocol):
    """A bulk send Canvas delivers in the background, followed until it is done (bulk_sends.py)."""

    def follow(self, batch_id: int, total: int | None, label: str) -> None: ...


class AccountTriage(Protocol):
    """One account's actions on its rows (triage.py), as the actions across accounts use them."""

    last_failed: bool

    @property
    def last(self) -> "Done | None": ...  # the action ``undo`` would put back, if any

    def choose_verb(self, toggle: str, ids: list[int]) -> str: ...

    async def act(self, toggle: str, ids: list[int], *, verb: str | None = None) -> str: ...

    async def undo(self) -> str: ...


class AccountInbox(Protocol):
    """One account's inbox (session.py ``InboxSession``), as several accounts side by side use it
    (accounts.py, merged_view.py, merged_triage.py): it is built by the caller, whole, per account."""

    @property
    def view(self) -> ConversationView: ...

    @property
    def unread_count(self) -> int | None: ...

    @property
    def triage(self) -> AccountTriage: ...

    @property
    def activity(self) -> "Activity": ...

    def on_change(self, listener: ChangeSink) -> Callable[[], None]: ...

    def row(self, conversation_id: int) -> Conversation | None: ...

    async def start(self) -> None: ...

    async def switch(self, mailbox_id: str, filter_code: str | None = ...) -> ConversationView: ...

    async def wait_loaded(self) -> None: ...

    async def aclose(self) -> None: ...
