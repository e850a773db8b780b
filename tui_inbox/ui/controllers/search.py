"""Search keys: the pattern prompt that narrows the view (``/``) or selects by pattern (``T``), its
mistakes shown under the character they name, its match count; search everywhere (``S``) over the
local index; and the background indexer that fills that index, its progress on the status bar.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Input, Static

from ...canvas import CanvasError
from ...canvas.errors import NetworkError
from .base import Controller

if TYPE_CHECKING:  # the indexers start after the first frame, with their modules
    from ...inbox.indexer import Indexer, IndexProgress
    from ...store.search_index import Hit


class Search(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.mode = "narrow"  # the prompt narrows the view, or (T) selects what matches
        self.select_matcher = None  # T's pattern as typed, compiled (None: empty or with a mistake)
        self.indexers: dict[str, Indexer] = {}  # each account's background indexer, when it keeps an index
        self.waiting: set[str] = set()  # accounts whose indexer stopped for want of the network: it starts again when Canvas answers

    @property
    def indexer(self) -> Indexer | None:
        """The first account's indexer (the one there is, with one account)."""
        return self.indexers.get(self.host.accounts.names[0])

    @property
    def indexer_waits(self) -> bool:
        return bool(self.waiting)

    @property
    def prompt(self) -> Input:
        return self.screen.query_one("#search", Input)

    def narrow(self) -> None:
        self.mode = "narrow"
        search = self.prompt
        search.placeholder = "Narrow by pattern: words, is:unread, from:jane, course:bio, has:attachment, older:30d, -term"
        self.open_prompt(search)

    def select_by_pattern(self) -> None:
        self.mode = "select"
        search = self.prompt
        search.placeholder = "Select by pattern (Enter selects, Esc cancels): is:unread from:jane older:30d ..."
        search.value = ""
        self.open_prompt(search)

    def open_prompt(self, search: Input) -> None:
        """Show the prompt with the focus in it now, not after the keys already waiting (``focus()``
        waits its turn): a pattern typed in one go must all go into it, none of it act on the list."""
        self.screen.prompt_open = True
        self.host.screen.set_focus(search)

    def clear(self) -> None:
        search = self.prompt
        if search.value:
            search.value = ""
        self.screen.prompt_open = False
        self.show_pattern_error(None)
        for member in self.host.accounts:
            member.session.view.narrow("", None)

    def close(self) -> bool:
        """Esc: the prompt closes (a narrowing pattern is let go); False when it was not open."""
        if not self.screen.prompt_open:
            return False
        if self.mode == "select":
            self.screen.prompt_open = False
            self.show_pattern_error(None)
        else:
            self.clear()
            self.screen.paint_list()
        return True

    def compile_pattern(self, text: str) -> dict | None:
        """The pattern as each account's predicate (its own "me", courses and index), or None, its
        mistake shown under it."""
        from ...inbox.query import QueryError, compile_query

        names = self.host.accounts.names
        try:
            matcher = {}
            for member in self.host.accounts:
                session, index = member.session, member.session.search_index
                matcher[member.name] = compile_query(
                    text, me=session.me_id, now=self.host.clock, course_of=session.course_label,
                    body_matching=index.body_matching if index is not None else None,
                    account=member.name, accounts=names if len(names) > 1 else ())
        except QueryError as error:
            # Under the character it names: the typed text starts after the input's border and
            # padding (3 cells), and a long pattern may be scrolled.
            from rich.cells import cell_len

            search = self.prompt
            column = search.gutter.left + cell_len(text[:error.position]) - int(search.scroll_x)
            self.show_pattern_error(f"{' ' * max(0, column)}^ {error}")
            return None
        self.show_pattern_error(None)
        return matcher

    def show_pattern_error(self, message: str | None) -> None:
        error = self.screen.query_one("#search-error", Static)
        error.update(Text(message or "", style="red"))
        self.screen.pattern_error = bool(message)

    def changed(self, value: str) -> None:
        typed = value.strip()
        matcher = self.compile_pattern(value) if typed else None
        if not typed:
            self.show_pattern_error(None)
        if self.mode != "narrow":
            self.select_matcher = matcher
            self.paint_match_count()
            return
        # A pattern with a mistake narrows nothing: half of it ("/from" on the way to
        # "/from:jane") would hide rows behind an error that says the pattern means nothing.
        for member in self.host.accounts:
            member.session.view.narrow(value if matcher else "", matcher[member.name] if matcher else None)
        self.screen.paint_list()  # and the count under the pattern

    def submitted(self, value: str) -> None:
        if self.mode == "select":
            matcher = self.compile_pattern(value) if value.strip() else None
            if matcher is None:
                return  # the error stays where the pattern is typed
            rows = [(name, c.id) for name in self.screen.aim.shown_accounts()
                    for c in self.host.accounts.session(name).view.all() if matcher[name](c)]
            self.host.merged_triage.select(rows)
            self.screen.prompt_open = False
            self.status.show_message(f"Selected {len(rows):,} matching {value.strip()!r}")
        else:
            self.screen.list.cursor = 0  # on the first match, wherever the cursor was before the pattern
        self.screen.list.focus()

    def paint_match_count(self) -> None:
        """How many rows the pattern matches, under it: painted with the list, so it follows the view."""
        search = self.prompt
        shown = [self.host.accounts.session(name) for name in self.screen.aim.shown_accounts()]
        views = [(session.view, session.search_index) for session in shown]
        pattern = search.value
        if not self.screen.prompt_open or not pattern.strip():
            search.border_subtitle = ""  # as at start: searching.py waits for the first pattern
            return
        from ...inbox.searching import count_line

        if self.mode == "narrow":
            subtitle = count_line(sum(len(view.rows) for view, _ in views), views, pattern)
        elif self.select_matcher is not None:  # T: what Enter would select, over the whole view
            names = self.screen.aim.shown_accounts()
            matching = sum(view.count(self.select_matcher[name]) for name, (view, _) in zip(names, views))
            subtitle = count_line(matching, views, pattern)
        else:
            subtitle = ""  # a pattern with a mistake selects nothing: its error says why
        search.border_subtitle = subtitle

    # -- search everywhere, and the indexer behind it ---------------------------------------------
    def run_indexer(self, account: str | None = None, limit: int | None = 1000) -> None:
        """Each account's indexer (inbox/indexer.py; or this account's) in a worker from the start,
        its progress on the status bar until it is done."""
        for name in [account] if account else list(self.waiting) or self.host.accounts.names:
            self.run_account_indexer(name, limit)

    def run_account_indexer(self, account: str, limit: int | None) -> None:
        from ...inbox.indexer import Indexer  # after the first frame, as the indexers start then

        session = self.host.accounts.session(account)
        index = session.search_index
        if index is None:
            return
        feed = self.screen.feed

        def progressed(progress: IndexProgress) -> None:
            if not feed.nothing_to_paint():  # the indexer may report once more as the app closes
                self.status.indexing = "" if progress.finished else progress.line()

        indexer = Indexer(session.client, index, limit=limit, on_progress=progressed)
        self.indexers[account] = indexer

        async def run() -> None:
            self.waiting.discard(account)
            try:
                await indexer.run()
            except NetworkError:
                # Offline (or the network dropped): nothing to say, the app says offline already.
                # It starts again when the feed hears Canvas (FeedUpdates.paint), from what it indexed.
                self.waiting.add(account)
                if not feed.nothing_to_paint():
                    self.status.indexing = ""
            except (CanvasError, sqlite3.Error) as error:  # the next start carries on from what is indexed
                # sqlite3.Error: the data folder is full (or read-only); search keeps what it has.
                if not feed.nothing_to_paint():
                    self.status.indexing = ""
                    self.status.show_error(self.screen.aim.at(account, f"Indexing for search stopped: {error}"))

        self.host.run_worker(run(), group=f"indexer {account}", exclusive=True)

    def everywhere(self) -> None:
        """``S``: every shown account's index at once (one, when the list is narrowed to it)."""
        accounts = self.host.accounts
        indexes = [(name, index) for name in self.screen.aim.shown_accounts()
                   if (index := accounts.session(name).search_index) is not None]
        if not indexes:
            self.status.show_message("Search everywhere needs the local store, which this session does not keep.")
            return
        from ..screens.search_everywhere import SearchEverywhere

        def chosen(tagged) -> None:
            if tagged is not None:
                account, hit = tagged
                self.screen.run_action_worker("opening", self.open_hit(hit, account))

        def progress(account: str):
            # The progress of the indexer running then: it may start again (after offline) while the screen is up.
            indexer = self.indexers.get(account)
            return indexer.progress if indexer is not None else None

        self.host.push_screen(SearchEverywhere(indexes, progress, self.host.accounts.names), chosen)

    async def open_hit(self, hit: Hit, account: str) -> None:
        """The hit's conversation, opened in its own account, at the message that matched."""
        conversation = await self.screen.aim.open_conversation((account, hit.conversation_id))
        if conversation is None:
            return
        thread = self.screen.thread
        # After the refresh that lays the thread out: then the hit's block, wherever it is in a long
        # thread, replaces the window shown first (the newest messages).
        thread.call_after_refresh(thread.show_message, hit.message_id)
        thread.focus()
