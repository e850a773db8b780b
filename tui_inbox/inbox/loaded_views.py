"""The rows of every loaded mailbox view, and which view is on screen.

A change to a conversation reaches every loaded view at once: each gets the changed row where
it now belongs (a row leaves a mailbox it no longer belongs to and enters one it now belongs
to). What keeps the rows elsewhere (the local cache, the search index) watches them here.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from typing import Any, Iterable, Iterator

from .changes import RowsArrived, ViewChanged
from ..canvas.models import Conversation
from .mailboxes import BY_ID, INBOX, Mailbox
from .open_conversation import OpenConversation
from .ports import ChangeSink, RowsWatcher, SearchIndex
from .view import ConversationView

log = logging.getLogger("tui_inbox.inbox")


class LoadedViews:
    def __init__(self, opened: OpenConversation, emit: ChangeSink) -> None:
        self.opened = opened
        self.emit = emit
        self.views: dict[tuple[str, str | None], ConversationView] = {}
        self.mailbox: Mailbox = INBOX
        self.filter_code: str | None = None
        # Rows the user opened that no longer belong to the view they are looking at (read, in
        # Unread): they stay under the cursor until the user moves on, as in neomutt.
        self.lingering: set[int] = set()
        self.watchers: list[RowsWatcher] = []

    @property
    def view(self) -> ConversationView:
        key = (self.mailbox.id, self.filter_code)
        if key not in self.views:
            self.views[key] = ConversationView(self.mailbox, self.filter_code)
        return self.views[key]

    def go_to(self, mailbox_id: str, filter_code: str | None = ...) -> None:  # type: ignore[assignment]
        self.lingering = set()  # a row kept because it was open leaves when the user goes elsewhere
        self.mailbox = BY_ID.get(mailbox_id, INBOX)
        if filter_code is not ...:
            self.filter_code = filter_code

    def every_row(self) -> Iterator[Conversation]:
        """Every loaded row of every view (a conversation in two views comes twice)."""
        for view in self.views.values():
            yield from view.all()

    def unload(self, key: tuple[str, str | None]) -> None:
        """This view is stale (a sent message is in Sent): it is read again when shown."""
        view = self.views.get(key)
        if view is not None:
            view.loaded = False

    def watch(self, watcher: RowsWatcher) -> None:
        self.watchers.append(watcher)

    def unwatch(self, watcher: RowsWatcher) -> None:
        self.watchers.remove(watcher)

    # -- filling -------------------------------------------------------------------------------
    def fill(self, view: ConversationView, rows: list[Conversation], *, complete: bool) -> None:
        """A view's rows as Canvas gave them (``complete``: all of them, not a first page)."""
        view.replace(rows)
        for watcher in self.watchers:
            watcher.filled(view, complete=complete)

    def show_kept(self, view: ConversationView, rows: list[Conversation]) -> None:
        """A view's rows as the local cache keeps them: its keeper has them already, nobody is told."""
        view.replace(rows)
        self.emit(ViewChanged())

    # -- finding ---------------------------------------------------------------------------------
    def rows_of(self, conversation_id: int) -> list[tuple[ConversationView, Conversation]]:
        found = []
        for view in self.views.values():
            row = view.find(conversation_id)
            if row is not None:
                found.append((view, row))
        return found

    def row(self, conversation_id: int) -> Conversation | None:
        rows = self.rows_of(conversation_id)
        return rows[0][1] if rows else self.opened.of(conversation_id)

    # -- changing --------------------------------------------------------------------------------
    def update_many(self, ids: Iterable[int], **changes: Any) -> None:
        """Apply a change to these conversations on screen: every loaded view gets the changed rows
        where they now belong, and the open conversation changes with its row."""
        wanted = set(ids)
        latest: dict[int, Conversation] = {}
        for view in self.views.values():
            for row in view.find_many(wanted - latest.keys()):
                latest[row.id] = row
        self.place(dataclasses.replace(row, **changes) for row in latest.values())
        current = self.opened.conversation
        if current is not None and current.id in wanted:
            self.opened.conversation = dataclasses.replace(current, **changes)

    def place(self, rows: Iterable[Conversation]) -> None:
        """Put these rows, as they now are, in every loaded view that admits them (and out of the
        others): at once, at their place in Canvas's order. A row the user opened stays in the
        view they are looking at until they move on (``let_go``)."""
        rows = list(rows)
        arrived: set[int] = set()
        for view in self.views.values():
            if view.loaded and view.mailbox.scope is not None:
                arrived |= view.place(rows, keep=self.lingering if view is self.view else frozenset())
        for watcher in self.watchers:
            watcher.placed(self.views.values(), rows)
        if arrived:
            self.emit(RowsArrived(frozenset(arrived)))  # before the repaint: a visual range must not take them in
        self.emit(ViewChanged())

    def keep_open(self, conversation_id: int) -> None:
        """The user opened this row: it stays in the view until they move on (the one open before goes)."""
        self.let_go(conversation_id)
        self.lingering = {conversation_id}

    def let_go_all(self) -> None:
        """A view read afresh: no row stays in it for having been open."""
        self.lingering = set()

    def release(self, ids: Iterable[int]) -> None:
        """The user sends these away on purpose (archive, delete): nothing keeps them in the view."""
        self.lingering -= set(ids)

    def let_go(self, except_id: int | None = None) -> None:
        """The user moved on: rows kept only because they were open leave the view now."""
        leaving = self.lingering - {except_id}
        if not leaving:
            return
        self.lingering = self.lingering & {except_id}
        view = self.view
        drop = {row.id for row in view.find_many(leaving) if not view.admits(row)}
        if drop:
            view.remove(drop)
            self.emit(ViewChanged())

    def remove_everywhere(self, ids: Iterable[int]) -> None:
        drop = set(ids)
        self.lingering -= drop  # gone: nothing keeps it in a view
        for view in self.views.values():
            view.remove(drop)
        for watcher in self.watchers:
            watcher.removed(drop)
        self.emit(ViewChanged())


class IndexedRows:
    """The full-text index, watching the rows: a hit names the mailbox a conversation is in now,
    and a conversation gone for the user is no longer offered by search everywhere."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def filled(self, view: ConversationView, *, complete: bool) -> None:
        pass  # a thread goes in when it is opened (reading.py), not with its row

    def placed(self, views: Iterable[ConversationView], rows: list[Conversation]) -> None:
        self.index.restate(rows)

    def removed(self, ids: set[int]) -> None:
        try:
            self.index.forget(ids)
        except sqlite3.Error as error:
            log.warning("could not take conversations out of the search index: %s", error)
