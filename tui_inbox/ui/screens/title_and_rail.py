"""The title bar and the mailbox rail: what they say of the accounts shown, painted only when it changed.

The title names the mailbox, the course filter (and its account, with several) and the unread
count of the accounts shown; the rail each mailbox's count over those accounts, each account's
unread count and state (live, polling, offline, sign in again), and every account's courses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from ...inbox import drafts_box
from ...inbox.accounts import AccountState
from ...inbox.mailboxes import MAILBOXES
from ...inbox.text import one_line
from ..keys import display_key
from ..widgets.mailbox_rail import MailboxRail

if TYPE_CHECKING:
    from .main import InboxScreen


class TitleAndRail:
    def __init__(self, screen: "InboxScreen") -> None:
        self.screen = screen
        self.painted_title: tuple | None = None  # what the title shows now: a repaint only when it changes
        self.painted_rail: tuple | None = None

    def paint_title(self) -> None:
        session = self.screen.session
        shown = self.screen.aim.shown_accounts()
        counted = [self.screen.accounts.session(name).unread_count for name in shown]
        unread = sum(c for c in counted if c is not None) if any(c is not None for c in counted) else None
        filtered = self.screen.aim.filter_account
        filter_session = self.screen.accounts.session(filtered) if filtered else None
        filter_code = filter_session.filter_code if filter_session else None
        label = (self.screen.host.merged.account or "") if self.screen.aim.several else self.screen.host.account_label
        signature = (session.mailbox.id, filtered, filter_code, unread, label, not self.screen.rail_shown)
        if signature == self.painted_title:
            return  # a repaint of the whole screen costs more than this check
        self.painted_title = signature
        text = Text()
        text.append(" tui-inbox", style="bold")
        if label:
            text.append(f"  {label}", style="dim")
        text.append(f"  {session.mailbox.label}")
        if filter_session is not None and filter_code:
            name = one_line(filter_session.context_name(filter_code) or filter_code)
            text.append(f" · {name}" + (f" · {filtered}" if self.screen.aim.several else ""))
        if unread is not None:
            # Canvas counts unread conversations across the whole inbox, never by course: under a
            # course filter the count says so rather than pass for that course's.
            where = " in the whole inbox" if filter_code else ""
            text.append(f"  ({unread:,} unread{where})", style="bold")
        if not self.screen.rail_shown:
            key = display_key(self.screen.host.current_keys()["rail"].split(",")[0])
            text.append(f"  {key} shows the mailboxes", style="dim")
        self.screen.query_one("#title-bar", Static).update(text)

    def counts(self) -> dict[str, int | None]:
        """Each mailbox's count over the accounts shown: the sum of the counts known (an account that
        is offline with no cache has none, and no rows in the list either); None while none is known."""
        counts: dict[str, int | None] = {m.id: None for m in MAILBOXES}
        parts = [self.account_counts(self.screen.accounts.session(name)) for name in self.screen.aim.shown_accounts()]
        for box in list(counts) + ["outbox", "drafts"]:
            values = [value for part in parts if (value := part.get(box)) is not None]
            counts[box] = sum(values) if values else None
        return counts

    @staticmethod
    def account_counts(session) -> dict[str, int | None]:
        counts: dict[str, int | None] = {m.id: None for m in MAILBOXES}
        for view in session.views.values():
            if view.loaded and view.filter_code == session.filter_code:
                counts[view.mailbox.id] = view.total
        counts["unread"] = session.unread_count if session.filter_code is None else counts["unread"]
        counts["outbox"] = session.outbox.count if session.outbox is not None else None
        counts["drafts"] = drafts_box.count(session) if session.drafts is not None else None
        return counts

    def paint_rail(self) -> None:
        several = self.screen.aim.several
        contexts = []
        for member in self.screen.accounts:
            at = f" · {member.name}" if several else ""
            contexts += [((member.name, c.context_code), (c.course_code or c.name) + at) for c in member.session.courses]
            contexts += [((member.name, g.context_code), g.name + at) for g in member.session.groups]
        counts = self.counts()
        filtered = self.screen.aim.filter_account
        chosen = (filtered, self.screen.accounts.session(filtered).filter_code) if filtered else None
        lines = [(m.name, m.session.unread_count, self.account_state(m)) for m in self.screen.accounts] if several else []
        signature = (tuple(sorted(counts.items())), self.screen.session.mailbox.id, chosen, tuple(contexts), tuple(lines),
                     self.screen.host.merged.account)
        if signature == self.painted_rail:
            return
        self.painted_rail = signature
        self.screen.query_one(MailboxRail).update_counts(counts, self.screen.session.mailbox.id, chosen, contexts,
                                                  accounts=lines, narrowed=self.screen.host.merged.account)

    def account_state(self, member) -> str:
        """An account's state in the rail's words: live, polling, offline, sign in again…"""
        if member.state is AccountState.READY:
            keeper = member.session.keeper
            if keeper is not None and keeper.offline:
                return "offline"
            feed = self.screen.host.feeds.get(member.name)
            return feed.state.current.state.value if feed is not None else "ready"
        return member.state.value

