"""The app's side of search: the background indexer's worker and its progress, and opening a hit.

The indexer (inbox/indexer.py) runs in a Textual worker from the start, its progress on the
status bar until it is done; search everywhere's chosen hit opens its thread with the message
cursor on the message that matched.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ..canvas import CanvasError
from ..canvas.errors import NetworkError
from ..inbox.indexer import Indexer, IndexProgress
from ..store.search_index import Hit

if TYPE_CHECKING:
    from .app import InboxApp


def run_indexer(app: "InboxApp", limit: int | None = 1000) -> None:
    index = app.session.search_index
    if index is None:
        return

    def progressed(progress: IndexProgress) -> None:
        if not app.nothing_to_paint():  # the indexer may report once more as the app closes
            app.status.indexing = "" if progress.finished else progress.line()

    indexer = Indexer(app.session.client, index, limit=limit, on_progress=progressed)
    app.search_indexer = indexer

    async def run() -> None:
        app.indexer_waits = False
        try:
            await indexer.run()
        except NetworkError:
            # Offline (or the network dropped): nothing to say, the app says offline already.
            # It starts again when the feed hears Canvas (paint_feed), from what it indexed.
            app.indexer_waits = True
            if not app.nothing_to_paint():
                app.status.indexing = ""
        except (CanvasError, sqlite3.Error) as error:  # the next start carries on from what is indexed
            # sqlite3.Error: the data folder is full (or read-only); search keeps what it has.
            if not app.nothing_to_paint():
                app.status.indexing = ""
                app.status.show_error(f"Indexing for search stopped: {error}")

    app.run_worker(run(), group="indexer", exclusive=True)


def open_search_everywhere(app: "InboxApp") -> None:
    index = app.session.search_index
    if index is None:
        app.status.show_message("Search everywhere needs the local store, which this session does not keep.")
        return
    from .screens.search_everywhere import SearchEverywhere

    def chosen(hit: Hit | None) -> None:
        if hit is not None:
            app.run_action_worker("opening", open_hit(app, hit))

    progress = (lambda: app.search_indexer.progress) if app.search_indexer is not None else (lambda: None)
    app.push_screen(SearchEverywhere(index, progress), chosen)


async def open_hit(app: "InboxApp", hit: Hit) -> None:
    conversation = await app.session.open(hit.conversation_id)
    if conversation is None:
        return
    thread = app.thread
    # After the refresh that lays the thread out: then the hit's block, wherever it is in a long
    # thread, replaces the window shown first (the newest messages).
    thread.call_after_refresh(thread.show_message, hit.message_id)
    thread.focus()
