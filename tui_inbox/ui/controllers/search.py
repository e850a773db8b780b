"""Search keys: the pattern prompt that narrows the view (``/``) or selects by pattern (``T``), its
mistakes shown under the character they name, its match count; search everywhere (``S``) over the
local index; and the background indexer that fills that index, its progress on the status bar.
"""

from __future__ import annotations

import sqlite3

from rich.text import Text
from textual.widgets import Input, Static

from ...canvas import CanvasError
from ...canvas.errors import NetworkError
from ...inbox.indexer import Indexer, IndexProgress
from ...store.search_index import Hit
from .base import Controller


class Search(Controller):
    def __init__(self, host, screen) -> None:
        super().__init__(host, screen)
        self.mode = "narrow"  # the prompt narrows the view, or (T) selects what matches
        self.select_matcher = None  # T's pattern as typed, compiled (None: empty or with a mistake)
        self.indexer: Indexer | None = None  # the background indexer, when the session keeps an index
        self.indexer_waits = False  # it stopped for want of the network: it starts again when Canvas answers

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
        self.session.view.narrow("", None)

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

    def compile_pattern(self, text: str):
        from ...inbox.query import QueryError, compile_query

        try:
            index = self.session.search_index
            matcher = compile_query(text, me=self.session.me_id, now=self.host.clock, course_of=self.session.course_label,
                                    body_matching=index.body_matching if index is not None else None)
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
        self.session.view.narrow(value if matcher else "", matcher)
        self.screen.paint_list()  # and the count under the pattern

    def submitted(self, value: str) -> None:
        if self.mode == "select":
            matcher = self.compile_pattern(value) if value.strip() else None
            if matcher is None:
                return  # the error stays where the pattern is typed
            rows = [c.id for c in self.session.view.all() if matcher(c)]
            self.session.triage.select(rows)
            self.screen.prompt_open = False
            self.status.show_message(f"Selected {len(rows):,} matching {value.strip()!r}")
        else:
            self.screen.list.cursor = 0  # on the first match, wherever the cursor was before the pattern
        self.screen.list.focus()

    def paint_match_count(self) -> None:
        """How many rows the pattern matches, under it: painted with the list, so it follows the view."""
        from ...inbox.searching import count_line

        search = self.prompt
        view = self.session.view
        pattern = search.value
        if not self.screen.prompt_open or not pattern.strip():
            subtitle = ""
        elif self.mode == "narrow":
            subtitle = count_line(len(view.rows), view, pattern, self.session.search_index)
        elif self.select_matcher is not None:  # T: what Enter would select, over the whole view
            subtitle = count_line(view.count(self.select_matcher), view, pattern, self.session.search_index)
        else:
            subtitle = ""  # a pattern with a mistake selects nothing: its error says why
        search.border_subtitle = subtitle

    # -- search everywhere, and the indexer behind it ---------------------------------------------
    def run_indexer(self, limit: int | None = 1000) -> None:
        """The indexer (inbox/indexer.py) in a worker from the start, its progress on the status bar
        until it is done."""
        index = self.session.search_index
        if index is None:
            return
        feed = self.screen.feed

        def progressed(progress: IndexProgress) -> None:
            if not feed.nothing_to_paint():  # the indexer may report once more as the app closes
                self.status.indexing = "" if progress.finished else progress.line()

        indexer = Indexer(self.session.client, index, limit=limit, on_progress=progressed)
        self.indexer = indexer

        async def run() -> None:
            self.indexer_waits = False
            try:
                await indexer.run()
            except NetworkError:
                # Offline (or the network dropped): nothing to say, the app says offline already.
                # It starts again when the feed hears Canvas (FeedUpdates.paint), from what it indexed.
                self.indexer_waits = True
                if not feed.nothing_to_paint():
                    self.status.indexing = ""
            except (CanvasError, sqlite3.Error) as error:  # the next start carries on from what is indexed
                # sqlite3.Error: the data folder is full (or read-only); search keeps what it has.
                if not feed.nothing_to_paint():
                    self.status.indexing = ""
                    self.status.show_error(f"Indexing for search stopped: {error}")

        self.host.run_worker(run(), group="indexer", exclusive=True)

    def everywhere(self) -> None:
        index = self.session.search_index
        if index is None:
            self.status.show_message("Search everywhere needs the local store, which this session does not keep.")
            return
        from ..screens.search_everywhere import SearchEverywhere

        def chosen(hit: Hit | None) -> None:
            if hit is not None:
                self.screen.run_action_worker("opening", self.open_hit(hit))

        # The progress of the indexer running then: it may start again (after offline) while the screen is up.
        progress = (lambda: self.indexer.progress) if self.indexer is not None else (lambda: None)
        self.host.push_screen(SearchEverywhere(index, progress), chosen)

    async def open_hit(self, hit: Hit) -> None:
        conversation = await self.session.open(hit.conversation_id)
        if conversation is None:
            return
        thread = self.screen.thread
        # After the refresh that lays the thread out: then the hit's block, wherever it is in a long
        # thread, replaces the window shown first (the newest messages).
        thread.call_after_refresh(thread.show_message, hit.message_id)
        thread.focus()
