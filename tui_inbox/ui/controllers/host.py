"""What the main screen and its controllers need of the app that runs them, and no more.

The app (ui/app.py) is this; naming it here, rather than importing it, keeps the controllers
and the screen free of the app, so each can be read, and changed, without it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Protocol

if TYPE_CHECKING:
    from textual.geometry import Size
    from textual.screen import Screen
    from textual.widget import Widget
    from textual.worker import Worker

    from ...inbox.accounts import Accounts
    from ...inbox.merged_activity import MergedActivity
    from ...inbox.merged_triage import MergedTriage
    from ...inbox.merged_view import MergedView
    from ...inbox.session import InboxSession


class Host(Protocol):
    accounts: Accounts
    """Every account's session (inbox/accounts.py): each change comes from one, tagged with its account."""
    session: InboxSession
    """The session of the account a key acts on (the row under the cursor's, or the open one's)."""
    feeds: dict[str, Any]
    """Each account's live feed (live/feed.py), by account; an account without one is not followed."""
    feed_makers: dict[str, Callable[[], Any]]
    """What makes an account's feed when it is first followed (after the first frame)."""
    merged: MergedView
    """The list's rows: every account's mailbox (or the one account it is narrowed to), newest first."""
    merged_triage: MergedTriage
    """The selection by (account, conversation id), and the actions on it."""
    merged_activity: MergedActivity
    """Activity of every account (or of the one the list is narrowed to), newest first."""
    clock: Callable[[], datetime]
    date_style: str
    """[ui] date_style: how the list writes dates."""
    rail_mode: str
    """[ui] rail: shown, hidden or auto (by the width)."""
    downloads: Path
    """Where attachments are saved."""
    notify_mode: str
    """[live] notify: notice, bell, desktop or none."""
    account_label: str

    @property
    def is_running(self) -> bool: ...
    @property
    def size(self) -> Size: ...
    @property
    def screen(self) -> Screen: ...
    @property
    def screen_stack(self) -> list[Screen]: ...
    @property
    def focused(self) -> Widget | None:
        """The focused widget of the screen on top (none of the main screen's, under the composer)."""
    @property
    def log(self) -> Any: ...

    def current_keys(self) -> dict[str, str]:
        """Binding id -> the keys in force (defaults with the config's [keys] applied)."""

    def on_feed_change(self, change: Any) -> Awaitable[None]:
        """One change from the feed, applied (the feed controller's, through the app: a test may wrap it)."""

    def push_screen(self, screen: Screen, callback: Callable[[Any], None] | None = None) -> Any: ...
    def run_worker(self, work: Any, *, group: str = "default", exclusive: bool = False) -> Worker: ...
    def call_later(self, callback: Callable[..., Any], *args: Any) -> bool: ...
    def call_after_refresh(self, callback: Callable[..., Any], *args: Any) -> bool: ...
    def set_interval(self, interval: float, callback: Callable[[], Any]) -> Any: ...

    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Any: ...
    def bell(self) -> None: ...
    def exit(self) -> None: ...
