"""The Textual app: rail, conversation list, thread, status bar; keys become inbox actions.

Widgets never call HTTP: every action runs an ``InboxSession`` coroutine in a worker,
and the session's change notices repaint the widgets.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, assert_never

import platformdirs
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from ..inbox.working_order import WorkingOrder
from ..inbox.changes import (AccountChanged, ActivityChanged, CameOnline, Change, CountsChanged, DiscussionShown, Failed,
                             OutboxChanged, OutboxSaid, RowsArrived, SelectionChanged, SendDone, SendsProgressed,
                             ThreadShown, ThreadUpdated, ViewChanged, WentOffline)
from ..inbox import drafts_box
from ..inbox.bulk_sends import overall
from ..inbox.compose import Draft, RecipientRef
from ..inbox.formatting import display_name, utcnow
from ..inbox.mailboxes import MAILBOXES
from ..inbox.notices import Notice
from ..inbox.session import InboxSession, Outcome
from ..inbox.text import one_line
from .keys import APP_KEYS, APP_ONLY_KEYS, LIST_KEYS, MOVE_KEYS, PANE_KEYS, THREAD_KEYS, bindings
from .moved_keys import MovedKeys
from .drafts_keys import DraftsKeys
from .outbox_keys import OutboxKeys
from .screens.background_send import Sent
from .widgets.activity_list import ActivityList
from .widgets.bulk_progress import BulkProgress
from .widgets.conversation_list import ConversationList
from .widgets.mailbox_rail import MailboxRail
from .widgets.drafts_list import DraftsList
from .widgets.outbox_list import OutboxList
from .widgets.status_bar import StatusBar
from .widgets.thread_view import ThreadView


class InboxList(ConversationList):
    BINDINGS = bindings(LIST_KEYS)


class InboxThread(ThreadView):
    BINDINGS = bindings(THREAD_KEYS)


class InboxActivity(ActivityList):
    BINDINGS = bindings(MOVE_KEYS)


class InboxRail(MailboxRail):
    BINDINGS = bindings(MOVE_KEYS)


class InboxApp(OutboxKeys, DraftsKeys, App):
    CSS_PATH = "app.tcss"
    TITLE = "tui-inbox"
    BINDINGS = bindings(APP_KEYS) + bindings(PANE_KEYS) + bindings(APP_ONLY_KEYS)

    def __init__(
        self,
        session: InboxSession,
        *,
        feed: Any = None,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        date_style: str = "relative",
        rail: str = "shown",
        downloads: Path | None = None,
        notify_mode: str = "notice",
        clock: Callable[[], datetime] = utcnow,
        account_label: str = "",
    ) -> None:
        super().__init__()
        self.session = session
        self.feed = feed
        self.keymap_overrides = dict(keymap or {})
        self.moved_keys = MovedKeys(self.keymap_overrides)
        self.date_style = date_style
        self.rail_mode = rail  # [ui] rail: shown, hidden or auto
        self.rail_choice: bool | None = None  # the rail key's choice this session, over the mode
        # The user's own downloads folder (XDG_DOWNLOAD_DIR on Linux), made on the first download if missing.
        self.downloads = downloads or Path(platformdirs.user_downloads_dir())
        self.notify_mode = notify_mode
        self.clock = clock
        self.account_label = account_label
        if theme:
            self.theme = theme
        self._unsubscribe = session.on_change(self._session_changed)
        self.search_mode = "narrow"
        self.select_matcher = None  # T's pattern as typed, compiled (None: empty or with a mistake)
        self._painted_title: tuple | None = None
        self._painted_rail: tuple | None = None
        self._panels_mounted = False  # Activity, the Outbox and the progress bars (mount_panels)
        self.after_first_frame: list[Callable[[], None]] = []  # what the command does once the screen is up
        self.farewell: list[str] = []  # lines for the terminal once the screen is gone (launch.run prints them)
        self._unsubscribe_feed: Callable[[], None] | None = None
        self.visual_anchor: int | None = None  # the conversation id the V range started on
        self.working_order = WorkingOrder()  # where n goes on from after an answer
        self.visual_base: dict[int, None] = {}
        self.visual_outside: set[int] = set()  # rows that arrived during the range: never in it
        self.search_indexer = None  # the background indexer (ui/indexing.py), when the session keeps an index
        self.indexer_waits = False  # it stopped for want of the network: it starts again when Canvas answers

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="title-bar")
        with Horizontal(id="body"):
            yield InboxRail(id="rail")
            with Vertical(id="main"):
                yield Input(placeholder="Pattern: words, is:unread, from:jane, course:bio, has:attachment, older:30d, -term",
                            id="search")
                yield Static(id="search-error")
                # The panes apart from the prompt: side by side when wide, the prompt still above them.
                with Vertical(id="panes"):
                    yield InboxList(
                        me=lambda: self.session.me_id,
                        clock=self.clock,
                        course_label=self.session.course_label,
                        date_style=self.date_style,
                        is_selected=self.is_selected,
                        id="list",
                    )
                    # Activity and the Outbox go here (mount_panels), hidden until chosen.
                    yield InboxThread(id="thread")
        # Triage's progress bar and the bulk sends' (Canvas batches) go here (mount_panels).
        yield StatusBar(clock=self.clock, id="status")

    def mount_panels(self) -> None:
        """Activity, the Outbox and the two progress bars: hidden at start, so mounted just after the
        first frame, or at once if something needs them sooner. Composing and styling them before it
        was about 25 ms of a start from the cache (benchmarks/start.py)."""
        if self._panels_mounted:
            return
        self._panels_mounted = True
        activity = InboxActivity(clock=self.clock, course_label=self.session.activity.course_label,
                                 is_new=self.session.activity.is_new, id="activity")
        outbox = OutboxList(subject_of=self.subject_of, id="outbox")
        drafts = DraftsList(id="drafts")
        activity.display = outbox.display = drafts.display = False
        self.query_one("#panes").mount(activity, outbox, drafts, before=self.thread)
        self.mount(BulkProgress(id="bulk"), BulkProgress(id="send-progress"), before=self.status)
        self.start_outbox_clock()

    @property
    def activity_list(self) -> InboxActivity:
        self.mount_panels()
        return self.query_one(InboxActivity)

    @property
    def outbox_list(self) -> OutboxList:
        self.mount_panels()
        return self.query_one(OutboxList)

    @property
    def drafts_list(self) -> DraftsList:
        self.mount_panels()
        return self.query_one(DraftsList)

    def progress_bar(self, which: str) -> BulkProgress:
        """``bulk`` (triage) or ``send-progress`` (bulk sends)."""
        self.mount_panels()
        return self.query_one(f"#{which}", BulkProgress)

    @property
    def list(self) -> InboxList:
        return self.query_one(InboxList)

    @property
    def thread(self) -> InboxThread:
        return self.query_one(InboxThread)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            # Before the key acts: the outcome it causes is the one held on the bar next.
            for bar in self.query(StatusBar):
                bar.key_pressed()
        await super().on_event(event)

    def is_selected(self, conversation_id: int) -> bool:
        return self.session.triage.is_selected(conversation_id)

    def on_mount(self) -> None:
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.query_one("#search").display = False
        self.query_one("#search-error").display = False
        self.call_after_refresh(self.mount_panels)
        for then in self.after_first_frame:
            self.call_after_refresh(then)
        self.list.focus()
        self.layout_for(self.size.width)
        self.paint_title()
        from .keys import display_key

        self.status.log_key = display_key(self.current_keys()["messages"].split(",")[0])
        self.status.running = "loading"
        if self.session.keeper is not None:
            self.session.keeper.expect_paint()  # the cache's first screen is painted before anything else runs
            self.session.start_from_cache()  # its rows are in the first frame
        self.start_session()

    def on_resize(self, event) -> None:
        self.layout_for(event.size.width)

    def layout_for(self, width: int) -> None:
        """Side by side when there is room (160 columns), list above thread when narrow (80)."""
        self.query_one("#main").set_class(width >= 140, "wide")
        self.show_rail(self.rail_wanted(width))

    def rail_wanted(self, width: int) -> bool:
        """Once the rail key is pressed its choice holds at every width, until pressed again."""
        if self.rail_choice is not None:
            return self.rail_choice
        if self.rail_mode == "hidden":
            return False
        return width >= (100 if self.rail_mode == "auto" else 70)

    def show_rail(self, shown: bool) -> None:
        rail = self.query_one("#rail")
        if rail.display == shown:
            return
        if not shown and self.focused is rail:
            (self.activity_list if self.in_activity else self.list).focus()
        rail.display = shown
        self.paint_title()  # the title says how to bring a hidden rail back

    def action_toggle_rail(self) -> None:
        self.rail_choice = not self.query_one("#rail").display
        self.show_rail(self.rail_choice)

    @work(exclusive=True, group="start")
    async def start_session(self) -> None:
        try:
            await self.session.start()
        except Exception as error:  # the status bar, not a traceback, tells the user
            self.status.running = ""
            self.status.show_error(str(error))
            return
        self.status.running = ""
        me = self.session.me
        self.status.show_message(f"Signed in as {display_name(me.short_name, me.name) if me else '?'}")
        for line in self.session.keeper.notices if self.session.keeper is not None else ():
            self.status.show_message(line)  # the cache was set aside and is rebuilt: said once
        for line in self.session.drafts.notices if self.session.drafts is not None else ():
            self.status.show_error(line)  # the drafts file was set aside: said once, with its new name
        if self.session.keeper is not None:
            await self.session.keeper.first_frame()
        if self.feed is not None:
            self.follow_feed()
        if self.session.search_index is not None:
            from .indexing import run_indexer

            run_indexer(self)

    # -- repainting from the session -----------------------------------------------------------
    def _session_changed(self, change: Change) -> None:
        if not self.is_running:
            return  # shutting down: a late update has no screen to paint
        try:
            self._paint_change(change)
        except NoMatches:
            pass  # the widgets are already gone (the app is closing)

    def _paint_change(self, change: Change) -> None:
        """Every kind of change the core reports (inbox/changes.py), each painted where it shows."""
        match change:
            case ViewChanged():
                self.paint_list()
                self.paint_title()  # the mailbox and course in the title change with the view
            case CountsChanged() | AccountChanged():
                self.paint_title()
                self.paint_rail()
            case ThreadShown():
                self.paint_thread()
            case ThreadUpdated():
                self.paint_thread(keep_scroll=True)  # a new message must not move what is being read
            case Failed(message):
                self.status.show_error(message)
            case ActivityChanged():
                self.paint_activity()
            case DiscussionShown():
                self.paint_discussion()
            case RowsArrived(ids):
                if self.visual_anchor is not None:
                    self.visual_outside |= ids
            case SendsProgressed():
                self.paint_sends()
            case SendDone(progress):
                people = f" to {progress.total} people" if progress.total else ""
                self.status.show_message(f"Sent “{progress.label}”{people}, one conversation each.")
            case OutboxChanged():
                self.paint_outbox()
                self.paint_drafts()  # a message moves between the Outbox and Drafts
            case OutboxSaid(line, failed):
                (self.status.show_error if failed else self.status.show_message)(line)
            case SelectionChanged():
                self.status.selection = self.session.triage.count
                self.list.refresh()
            case WentOffline(synced_at):
                from ..inbox.offline import offline_line

                self.status.stale = offline_line(synced_at)
                if self.feed is not None:
                    self.feed.poll_now()  # its polls then come every few seconds, and the first answered ends this
            case CameOnline():
                self.status.stale = ""
            case _:
                assert_never(change)

    def paint_sends(self) -> None:
        bar = self.progress_bar("send-progress")
        shown = overall(self.session.bulk.progress())
        if shown is None:
            bar.finish()
        else:
            bar.show_progress(shown)

    def paint_title(self) -> None:
        unread = self.session.unread_count
        rail_hidden = not self.query_one("#rail").display
        signature = (self.session.mailbox.id, self.session.filter_code, unread, self.account_label, rail_hidden)
        if signature == self._painted_title:
            return  # a repaint of the whole screen costs more than this check
        self._painted_title = signature
        text = Text()
        text.append(" tui-inbox", style="bold")
        if self.account_label:
            text.append(f"  {self.account_label}", style="dim")
        text.append(f"  {self.session.mailbox.label}")
        if self.session.filter_code:
            text.append(f" · {one_line(self.session.context_name(self.session.filter_code) or self.session.filter_code)}")
        if unread is not None:
            # Canvas counts unread conversations across the whole inbox, never by course: under a
            # course filter the count says so rather than pass for that course's.
            where = " in the whole inbox" if self.session.filter_code else ""
            text.append(f"  ({unread:,} unread{where})", style="bold")
        if rail_hidden:
            from .keys import display_key

            key = display_key(self.current_keys()["rail"].split(",")[0])
            text.append(f"  {key} shows the mailboxes", style="dim")
        self.query_one("#title-bar", Static).update(text)

    def counts(self) -> dict[str, int | None]:
        counts: dict[str, int | None] = {m.id: None for m in MAILBOXES}
        for view in self.session.views.values():
            if view.loaded and view.filter_code == self.session.filter_code:
                counts[view.mailbox.id] = view.total
        counts["unread"] = self.session.unread_count if self.session.filter_code is None else counts["unread"]
        counts["outbox"] = self.session.outbox.count if self.session.outbox is not None else None
        counts["drafts"] = drafts_box.count(self.session) if self.session.drafts is not None else None
        return counts

    def paint_rail(self) -> None:
        contexts = [(c.context_code, c.course_code or c.name) for c in self.session.courses]
        contexts += [(g.context_code, g.name) for g in self.session.groups]
        counts = self.counts()
        signature = (tuple(sorted(counts.items())), self.session.mailbox.id, self.session.filter_code, tuple(contexts))
        if signature == self._painted_rail:
            return
        self._painted_rail = signature
        self.query_one(MailboxRail).update_counts(counts, self.session.mailbox.id, self.session.filter_code, contexts)

    def paint_list(self) -> None:
        view = self.session.view
        keep = self.list.current.id if self.list.current else None
        self.list.empty_text = "Loading…" if not view.loaded else (
            f"Nothing matches {view.query!r}." if view.query else f"No conversations in {view.mailbox.label}.")
        self.list.sent_dates = view.mailbox.id == "sent"
        self.list.set_rows(view.rows, keep=keep)
        self.paint_match_count()
        keeper = self.session.keeper
        if keeper is not None and keeper.first_paint is not None and not keeper.first_paint.is_set() and view.rows:
            self.call_after_refresh(keeper.painted)
        self.paint_rail()

    @property
    def in_activity(self) -> bool:
        return self.session.mailbox.id == "activity"

    def paint_activity(self) -> None:
        activity = self.session.activity
        self.activity_list.show_items(activity.items, activity.loaded)

    def paint_discussion(self) -> None:
        current = self.session.activity.current
        if current is not None:
            self.thread.show_discussion(current, course=self.session.activity.course_label(current.context_code))

    def show_mailbox_widgets(self, activity: bool) -> None:
        """Activity replaces the conversation list; everything else is a conversation list."""
        was_activity = self.activity_list.display
        self.activity_list.display = activity
        self.list.display = not activity
        (self.activity_list if activity else self.list).focus()
        if activity and not was_activity:
            new = self.session.activity.look()
            if new:
                self.status.show_message(f"{new:,} new in Activity since you last looked (marked ●)")
        elif was_activity and not activity:
            self.session.activity.looked_away()
        if activity:
            self.paint_activity()

    @on(ActivityList.Opened)
    def activity_opened(self, event: ActivityList.Opened) -> None:
        self.run_action_worker("opening", self.session.activity.open(event.item))

    def paint_thread(self, keep_scroll: bool = False) -> None:
        current = self.session.current
        course = None
        if current is not None:
            course = current.context_name or self.session.context_name(current.context_code)
        self.thread.show(current, me=self.session.me_id, course=course, order=self.session.thread_order,
                         keep_scroll=keep_scroll)
        if current is None and self.focused is self.thread:
            self.list.focus()  # the thread closed (its conversation deleted): back to the list

    # -- running actions ---------------------------------------------------------------------
    def run_action_worker(self, label: str, coro) -> None:
        async def runner() -> None:
            self.status.running = label
            try:
                outcome = await coro
            except Exception as error:  # a bug must not take the screen down: say it in one line
                self.log.error(f"{label} failed: {error!r}")
                self.status.show_error(f"{label} failed: {error}")
                return
            finally:
                self.status.running = ""
            if isinstance(outcome, Outcome):
                # A refusal was already said through the session; saying it again is the same line.
                (self.status.show_message if outcome.ok else self.status.show_error)(outcome.message)

        self.run_worker(runner(), group="actions")

    def target(self) -> int | None:
        """The conversation an action applies to: the row under the cursor."""
        row = self.list.current
        if self.focused is self.thread and self.session.current is not None:
            return self.session.current.id
        return row.id if row else (self.session.current.id if self.session.current else None)

    # -- list events ------------------------------------------------------------------------
    @on(ConversationList.Opened)
    def opened(self, event: ConversationList.Opened) -> None:
        self.run_action_worker("opening", self.session.open(event.conversation.id))

    @on(MailboxRail.Chosen)
    def chosen(self, event: MailboxRail.Chosen) -> None:
        mailbox = event.mailbox or self.session.mailbox.id
        self.switch_to(mailbox, event.filter_code)

    def switch_to(self, mailbox: str, filter_code: Any = ...) -> None:
        self.clear_search()
        self.run_action_worker("loading", self.session.switch(mailbox, filter_code))
        self.paint_title()
        self.list.cursor = 0
        self.show_mailbox_widgets(mailbox == "activity")
        self.show_outbox(mailbox == "outbox")
        self.show_drafts(mailbox == "drafts")

    # -- actions --------------------------------------------------------------------------
    def action_mailbox(self, mailbox: str) -> None:
        self.switch_to(mailbox)

    def action_refresh(self) -> None:
        self.run_action_worker("refreshing", self.session.refresh())

    # -- acting on the selection (or the row under the cursor) ---------------------------------
    def run_triage(self, label: str, coro) -> None:
        """Run a triage action with the progress bar, ending with its outcome line."""
        bar = self.progress_bar("bulk")
        self.triage_started()  # u undoes the newer of this and a send waiting out its delay

        async def triaged() -> Outcome:
            try:
                line = await coro
            finally:
                bar.finish()
            return Outcome(not self.session.triage.last_failed, line)

        self.run_action_worker(label, triaged())

    def progress_reporter(self):
        bar = self.progress_bar("bulk")
        return lambda progress: self.call_later(bar.show_progress, progress)

    def triage_targets(self) -> list[int]:
        return self.session.triage.targets(self.target())

    def act(self, toggle: str, label: str) -> None:
        if self.in_activity:
            self.status.show_message("Activity holds discussions: Enter opens one, r replies.")
            return
        if self.session.mailbox.id == "outbox":
            self.status.show_message("The Outbox holds what waits for Canvas: Enter edits a message, d drops an item.")
            return
        if self.session.mailbox.id == "drafts":
            self.status.show_message("Drafts holds what you wrote and did not send: Enter reopens one, d discards it.")
            return
        ids = self.triage_targets()
        if not ids:
            self.status.show_message("Nothing to act on: move to a conversation or select some (x).")
            return
        self.stop_visual()
        self.run_triage(label, self.session.triage.act(toggle, ids, on_progress=self.progress_reporter()))

    def action_star(self) -> None:
        self.act("star", "starring")

    def action_archive(self) -> None:
        self.act("archive", "archiving")

    def action_toggle_read(self) -> None:
        self.act("read", "marking")

    def action_delete(self) -> None:
        ids = self.triage_targets()
        if not ids:
            return
        from .screens.confirm import ConfirmScreen
        from ..inbox.triage import plural

        triage = self.session.triage
        lines = [f"• {subject}" for subject in triage.preview(ids)]
        if len(ids) > len(lines):
            lines.append(f"…and {len(ids) - len(lines):,} more")
        lines.append("Delete cannot be undone: Canvas removes them from your view.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_visual()
                self.run_triage("deleting", triage.act("delete", ids, on_progress=self.progress_reporter()))

        self.push_screen(ConfirmScreen(f"Delete {plural(len(ids))}?", lines, confirm="Delete"), answered)

    def action_mute(self) -> None:
        # Private rows are left out by the triage (Canvas ignores subscribed on them), unsent.
        self.act("mute", "muting")

    def action_delete_message(self) -> None:
        """``d`` in the thread pane: the message under the message cursor, for me, after asking."""
        conversation = self.thread.conversation
        message = self.thread.cursor_message
        if conversation is None or message is None:
            self.status.show_message("No message under the cursor: open a conversation (Enter), then J/K.")
            return
        from .screens.confirm import ConfirmScreen
        from ..inbox.formatting import full_date
        from ..inbox.thread import author_names
        from .widgets.thread_text import first_line

        author = "" if message.generated else author_names(conversation).get(message.author_id or -1, "")
        author = author or (f"user {message.author_id}" if message.author_id and not message.generated else "Canvas")
        others = [m for m in conversation.messages or [] if m.id != message.id and not m.generated]
        lines = [f"{author}, {full_date(message.created_at)}:", f"  {first_line(message)}", ""]
        if others:
            lines.append("Canvas removes it from your view only; the others still have it. It cannot be undone.")
        else:
            lines.append("It is the last message: the conversation goes from your inbox too, as in Canvas. "
                         "It cannot be undone.")
        cid, mid = conversation.id, message.id

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_action_worker("deleting the message", self.session.remove_message(cid, mid))

        self.push_screen(ConfirmScreen(f"Delete this message from “{one_line(conversation.subject) or '(no subject)'}”?",
                                       lines, confirm="Delete message"), answered)

    def action_mark_all_read(self) -> None:
        from .screens.confirm import ConfirmScreen
        from ..inbox.triage import plural

        unread = [c.id for c in self.session.view.all() if c.workflow_state == "unread"]
        count = self.session.unread_count if self.session.unread_count is not None else len(unread)
        lines = [f"• {subject}" for subject in self.session.triage.preview(unread)]
        if count > len(lines):
            lines.append(f"…and {count - len(lines):,} more, in every mailbox and course")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_triage("marking all read", self.session.triage.mark_all_read())

        self.push_screen(ConfirmScreen(f"Mark {plural(count)} read?", lines, confirm="Mark read"), answered)

    def action_repeat(self) -> None:
        self.stop_visual()
        self.run_triage("repeating", self.session.triage.repeat(self.target(), on_progress=self.progress_reporter()))

    def action_select(self) -> None:
        row = self.list.current
        if row is not None:
            self.session.triage.toggle(row.id)
            self.list.move(1)

    def action_visual(self) -> None:
        if self.visual_anchor is not None:
            self.stop_visual()
            return
        row = self.list.current
        if row is None:
            return
        self.visual_anchor = row.id
        self.visual_base = dict(self.session.triage.selected)
        self.visual_outside = set()
        self.extend_visual()
        self.status.show_message("Visual range: j/k extend, V ends, Esc cancels", topic="visual")

    def extend_visual(self) -> None:
        """The range runs from the row V started on to the cursor, by conversation, so rows that
        arrive above it move it rather than stretch it; rows that arrived meanwhile stay out."""
        if self.visual_anchor is None:
            return
        anchor = self.session.view.position(self.visual_anchor)
        if anchor is None:  # the row the range started on has gone (archived elsewhere, deleted)
            self.stop_visual()
            return
        self.session.triage.select_range(self.visual_base, self.list.rows, anchor, self.list.cursor,
                                         outside=self.visual_outside)

    def stop_visual(self) -> None:
        self.visual_anchor = None
        self.visual_outside = set()
        self.status.withdraw("visual")  # its "j/k extend" no longer holds

    @on(ConversationList.Highlighted)
    def highlighted(self, event: ConversationList.Highlighted) -> None:
        # A row kept in the view only because it was open leaves once the cursor moves on.
        self.session.let_go(event.conversation.id if event.conversation else None)
        self.extend_visual()

    def action_select_all(self) -> None:
        async def select() -> str:
            count = await self.session.triage.select_all()
            return f"Selected all {count:,} in {self.session.view.mailbox.label}"

        self.stop_visual()
        self.run_triage("selecting", select())

    def action_select_pattern(self) -> None:
        self.search_mode = "select"
        search = self.query_one("#search", Input)
        search.placeholder = "Select by pattern (Enter selects, Esc cancels): is:unread from:jane older:30d ..."
        search.value = ""
        self.open_search_bar(search)

    def action_thread_order(self) -> None:
        self.session.thread_order = "newest" if self.session.thread_order == "oldest" else "oldest"
        self.paint_thread()
        self.status.show_message(f"Thread: {self.session.thread_order} first")

    def action_search(self) -> None:
        self.search_mode = "narrow"
        search = self.query_one("#search", Input)
        search.placeholder = "Narrow by pattern: words, is:unread, from:jane, course:bio, has:attachment, older:30d, -term"
        self.open_search_bar(search)

    def caught_up_by_text_field(self, event: events.Key) -> bool:
        """A character typed right after a key that opens a text field (``/``, ``T``, ``r``, ``c`` ...),
        before that field had the focus, went to the list and comes back up here unused (a field
        keeps the characters typed into it): it belongs at the end of what is being typed there,
        never to the list, where "m" would mark read and "d" ask to delete."""
        field = self.focused
        if not event.is_printable or not event.character:
            return False
        if isinstance(field, Input):
            field.insert_text_at_cursor(event.character)
        elif isinstance(field, TextArea) and not field.read_only:
            field.insert(event.character)
        else:
            return False
        event.stop()
        return True

    def open_search_bar(self, search: Input) -> None:
        """Show the bar with the focus in it now, not after the keys already waiting (``focus()``
        waits its turn): a pattern typed in one go must all go into the bar, none of it act on the list."""
        search.display = True
        self.screen.set_focus(search)

    def clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        search.display = False
        self.show_pattern_error(None)
        self.session.view.narrow("", None)

    def compile_pattern(self, text: str):
        from ..inbox.query import QueryError, compile_query

        try:
            index = self.session.search_index
            matcher = compile_query(text, me=self.session.me_id, now=self.clock, course_of=self.session.course_label,
                                    body_matching=index.body_matching if index is not None else None)
        except QueryError as error:
            # Under the character it names: the typed text starts after the input's border and
            # padding (3 cells), and a long pattern may be scrolled.
            from rich.cells import cell_len

            search = self.query_one("#search", Input)
            column = search.gutter.left + cell_len(text[:error.position]) - int(search.scroll_x)
            self.show_pattern_error(f"{' ' * max(0, column)}^ {error}")
            return None
        self.show_pattern_error(None)
        return matcher

    def show_pattern_error(self, message: str | None) -> None:
        error = self.query_one("#search-error", Static)
        error.update(Text(message or "", style="red"))
        error.display = bool(message)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        typed = event.value.strip()
        matcher = self.compile_pattern(event.value) if typed else None
        if not typed:
            self.show_pattern_error(None)
        if self.search_mode != "narrow":
            self.select_matcher = matcher
            self.paint_match_count()
            return
        # A pattern with a mistake narrows nothing: half of it ("/from" on the way to
        # "/from:jane") would hide rows behind an error that says the pattern means nothing.
        self.session.view.narrow(event.value if matcher else "", matcher)
        self.paint_list()  # and the count under the pattern

    def paint_match_count(self) -> None:
        """How many rows the pattern matches, under it: painted with the list, so it follows the view."""
        from ..inbox.searching import count_line

        search = self.query_one("#search", Input)
        view = self.session.view
        pattern = search.value
        if not search.display or not pattern.strip():
            subtitle = ""
        elif self.search_mode == "narrow":
            subtitle = count_line(len(view.rows), view, pattern, self.session.search_index)
        elif self.select_matcher is not None:  # T: what Enter would select, over the whole view
            subtitle = count_line(view.count(self.select_matcher), view, pattern, self.session.search_index)
        else:
            subtitle = ""  # a pattern with a mistake selects nothing: its error says why
        search.border_subtitle = subtitle

    @on(Input.Submitted, "#search")
    def search_done(self, event: Input.Submitted) -> None:
        if self.search_mode == "select":
            matcher = self.compile_pattern(event.value) if event.value.strip() else None
            if matcher is None:
                return  # the error stays where the pattern is typed
            rows = [c.id for c in self.session.view.all() if matcher(c)]
            self.session.triage.select(rows)
            event.input.display = False
            self.status.show_message(f"Selected {len(rows):,} matching {event.value.strip()!r}")
        else:
            self.list.cursor = 0  # on the first match, wherever the cursor was before the pattern
        self.list.focus()

    def on_key(self, event) -> None:
        """A key the config moved away, pressed where nothing holds it now: said once (moved_keys.py)."""
        if self.caught_up_by_text_field(event):
            return
        screen = self.screen
        if isinstance(screen, ModalScreen):  # help, a question, the palette: their own keys only
            return
        line = self.moved_keys.line_for(event.key, lambda: screen.active_bindings)
        if line is not None:  # on the composer's own status line when it covers the app's
            (self.status if screen is self.screen_stack[0] else screen).show_message(line)

    def check_action(self, action: str, parameters) -> bool | None:
        # Back acts on the main screen only: in the composer (Esc moved off closing it) it would clear a
        # selection out of sight, and the key, left to nothing, says where closing went (on_key).
        if action == "escape" and self.screen is not self.screen_stack[0]:
            return False
        return super().check_action(action, parameters)

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            if self.search_mode == "select":
                search.display = False
                self.show_pattern_error(None)
            else:
                self.clear_search()
                self.paint_list()
            self.list.focus()
        elif self.visual_anchor is not None:
            self.stop_visual()
            self.session.triage.select(self.visual_base, replace=True)
        elif self.session.triage.count:
            self.session.triage.clear()
        elif self.focused is self.thread:
            self.list.focus()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.current_keys()))

    def action_search_everywhere(self) -> None:
        from .indexing import open_search_everywhere

        open_search_everywhere(self)

    def action_messages(self) -> None:
        from .screens.messages import MessagesScreen

        self.push_screen(MessagesScreen(self.status.history))

    def current_keys(self) -> dict[str, str]:
        """Binding id -> keys in force (defaults with the config's [keys] applied)."""
        from .keys import ALL_KEYS

        keys = {k.id: k.keys for k in ALL_KEYS}
        keys.update(self.keymap_overrides)
        return keys

    def action_attachments(self) -> None:
        conversation = self.session.current
        messages = (conversation.messages or []) if conversation else []
        found = [a for m in messages for a in m.attachments]
        media = [m.media_comment for m in messages if m.media_comment is not None]
        if not found and not media:
            self.status.show_message("No attachments or media comments in the open conversation.")
            return
        from .screens.attachments import AttachmentsScreen

        def chosen(choice) -> None:
            if choice is not None:
                self.download_and_open(choice)

        self.push_screen(AttachmentsScreen(found, self.downloads, media), chosen)

    @work(group="downloads")
    async def download_and_open(self, choice) -> None:
        """Download an attachment or a media comment and open it, or open a media comment's link."""
        from ..canvas.models import MediaComment
        from ..inbox.media import media_title
        from ..inbox.opener import UnsafeLink, open_url, open_with_system
        from .screens.attachments import OpenLink

        if isinstance(choice, OpenLink):
            try:
                opened = await asyncio.to_thread(open_url, choice.media.url or "")
            except UnsafeLink as refused:
                self.status.show_error(str(refused))
                return
            self.status.show_message(f"Opened the {media_title(choice.media)} in the browser" if opened else
                                     f"No browser found: its link is {one_line(choice.media.url or '')}")
            return
        name = media_title(choice) if isinstance(choice, MediaComment) else one_line(choice.display_name)
        self.status.running = f"downloading {name}"
        path = await self.session.download(choice, self.downloads)
        self.status.running = ""
        if path is not None:
            opened = await asyncio.to_thread(open_with_system, path)
            self.status.show_message(f"Saved to {path}" + ("" if opened else " (no opener found)"))

    # -- moving between conversations from inside a thread ------------------------------------
    def action_next_conversation(self) -> None:
        self.step_open(1)

    def action_previous_conversation(self) -> None:
        self.step_open(-1)

    def open_position(self) -> int:
        """Where n/p/N count from: the open conversation's row, else the row under the cursor."""
        current = self.session.current
        position = self.session.view.position(current.id) if current is not None else None
        return self.list.cursor if position is None else position

    def step_open(self, step: int) -> None:
        """Open the conversation after (or before) the open one; the focus stays in its pane.
        After an answer, ``n`` goes on from where the answered one was (working_order.py)."""
        if self.in_activity:
            self.step_activity(step)
            return
        rows = self.list.rows
        if step > 0:
            here = self.session.current or self.list.current
            after = self.working_order.next_after(here.id if here else None, (r.id for r in rows))
            if after is not None:
                self.open_at(next(i for i, r in enumerate(rows) if r.id == after))
                return
        index = self.open_position() + step
        if not 0 <= index < len(rows):
            self.status.show_message("No more conversations in this view." if step > 0 else
                                     "This is the first conversation in this view.")
            return
        self.open_at(index)

    def open_at(self, index: int) -> None:
        self.list.cursor = index  # the cursor follows, so Esc back to the list lands on it
        self.run_action_worker("opening", self.session.open(self.list.rows[index].id))

    def action_next_unread(self) -> None:
        """neomutt's next-new: the next unread conversation in this view, opened; from the top
        again after the last."""
        if self.in_activity:
            self.next_new_activity()
            return
        rows = self.list.rows
        start = self.open_position()
        order = list(range(start + 1, len(rows))) + list(range(0, min(start + 1, len(rows))))
        current = self.session.current
        for index in order:
            row = rows[index]
            if row.workflow_state == "unread" and not (current is not None and row.id == current.id):
                self.open_at(index)
                if index <= start:
                    self.status.show_message("Back at the top of the view: the next unread is above.")
                return
        self.status.show_message(f"No unread conversations in {self.session.view.mailbox.label}.")

    def step_activity(self, step: int) -> None:
        activity = self.activity_list
        index = (activity.highlighted if activity.highlighted is not None else -1 if step > 0 else 0) + step
        if not 0 <= index < len(activity.items):
            self.status.show_message("No more items in Activity." if step > 0 else "This is the first item in Activity.")
            return
        self.open_activity_at(index)

    def open_activity_at(self, index: int) -> None:
        activity = self.activity_list
        activity.highlighted = index
        self.run_action_worker("opening", self.session.activity.open(activity.items[index]))

    def next_new_activity(self) -> None:
        activity = self.activity_list
        start = activity.highlighted if activity.highlighted is not None else -1
        count = len(activity.items)
        for index in [*range(start + 1, count), *range(0, max(0, start) + 1)]:
            if self.session.activity.is_new(activity.items[index]):
                self.open_activity_at(index)
                return
        self.status.show_message("Nothing new in Activity since you last looked.")

    def action_open_web(self) -> None:
        """The conversation (or the discussion, at its entry) in Canvas's web interface."""
        from ..inbox.web_links import conversation_url, discussion_url

        base = self.session.client.base_url
        if self.in_activity:
            current = self.session.activity.current
            item = self.activity_list.current
            if current is not None and (self.focused is self.thread or item is None):
                url = discussion_url(base, current.context_code, current.topic.id, html_url=current.topic.html_url,
                                     entry_id=current.focus_entry_id)
            elif item is not None:
                url = discussion_url(base, item.context_code, item.topic_id, entry_id=item.entry_id)
            else:
                url = None
            what = "discussion"
        else:
            cid = self.target()
            url = conversation_url(base, cid) if cid is not None else None
            what = "conversation"
        if url is None:
            self.status.show_message(f"Choose a {what} first.")
            return
        self.open_link(url, what)

    @work(group="downloads")
    async def open_link(self, url: str, what: str) -> None:
        from ..inbox.opener import UnsafeLink, open_url

        try:
            opened = await asyncio.to_thread(open_url, url)
        except UnsafeLink as refused:
            self.status.show_error(str(refused))
            return
        self.status.show_message(f"Opened the {what} in Canvas in the browser" if opened else
                                 f"No browser found: the {what} is at {one_line(url)}")

    # -- writing ---------------------------------------------------------------------------
    def open_composer(self, draft: Draft) -> None:
        from .screens.compose import ComposeScreen

        if draft.key in self.session.sending:  # opening it now could send the same text twice
            self.status.show_message("That message is still being sent: its outcome follows here.")
            return
        saved = self.session.load_draft(draft.key)
        if saved is not None:
            draft = saved

        def closed(outcome: Outcome | None) -> None:
            self.paint_drafts()  # kept, sent or discarded: Drafts and its count follow
            if outcome is not None and outcome.ok:
                self.say_sent(outcome)

        self.push_screen(ComposeScreen(self.session, draft), closed)

    def say_sent(self, outcome: Outcome) -> None:
        """A send's outcome on the status bar, with the key that opens where the message went."""
        if not outcome.ok:
            self.status.show_error(outcome.message)
            return
        line = outcome.message
        if outcome.conversation_id is not None:
            from .keys import display_key

            line += f" ({display_key(self.current_keys()['open_sent'].split(',')[0])} opens it)"
        self.status.show_message(line)

    @on(Sent)
    def sent_in_background(self, event: Sent) -> None:
        self.say_sent(event.outcome)

    def action_open_sent(self) -> None:
        cid = self.session.last_landing
        if cid is None:
            self.status.show_message("No message sent yet in this session.")
            return
        position = self.session.view.position(cid)
        if position is not None:
            self.list.cursor = position
        self.run_action_worker("opening", self.session.open(cid))

    def action_compose(self) -> None:
        filter_code = self.session.filter_code
        self.open_composer(Draft(kind="new", context_code=filter_code if filter_code and filter_code.startswith("course_") else None))

    def _answer(self, kind: str) -> None:
        cid = self.target()
        row = self.session.row(cid) if cid is not None else None
        if row is None:
            self.status.show_message("Choose a conversation first.")
            return
        subject = one_line(row.subject)
        draft = Draft(kind=kind, conversation_id=row.id, context_code=row.context_code)
        if kind == "forward":
            draft.subject = subject if subject.lower().startswith("fwd:") else f"Fwd: {subject}".strip()
            current = self.session.current if self.session.current and self.session.current.id == row.id else None
            draft.forward_message_ids = [m.id for m in (current.messages or [])] if current else []
            if current is None:
                self.status.show_message("Open the conversation first (Enter) to forward its messages.")
                return
        else:
            draft.subject = subject
            if kind == "add_people" and row.private:
                self.status.show_message("Canvas cannot add people to a private conversation; start a new one (c).")
                return
            if kind in ("reply", "reply_all"):
                # Sending it moves the conversation to the top: n should go on from here.
                self.working_order.answering(row.id, [r.id for r in self.list.rows])
                others = [p for p in row.participants if p.id != self.session.me_id]
                draft.to = [RecipientRef(str(p.id), display_name(p.name, p.full_name)) for p in others]
        self.open_composer(draft)

    def action_reply(self) -> None:
        if self.in_activity:
            self.reply_in_discussion()
            return
        self._answer("reply")

    def reply_in_discussion(self) -> None:
        current = self.session.activity.current
        item = self.activity_list.current
        if current is None and item is None:
            self.status.show_message("Choose an activity item first.")
            return
        if current is not None:
            code, topic_id, entry_id, title = current.context_code, current.topic.id, current.focus_entry_id, current.topic.title
            entry = current.view.find(entry_id) if entry_id else None
            author = current.view.participants.get(entry.user_id or -1, "") if entry else (current.topic.author_name or "")
        else:
            code, topic_id, entry_id, title, author = (item.context_code, item.topic_id, item.entry_id,
                                                       item.topic_title, item.author)
        draft = Draft(kind="discussion_reply", context_code=code, topic_id=topic_id, entry_id=entry_id,
                      subject=one_line(title), to=[RecipientRef("", one_line(author) or "the topic")])
        self.open_composer(draft)

    def action_reply_all(self) -> None:
        self._answer("reply_all")

    def action_forward(self) -> None:
        self._answer("forward")

    def action_add_people(self) -> None:
        self._answer("add_people")

    # -- the live feed ------------------------------------------------------------------------
    @work(group="reconcile")
    async def reconcile(self) -> None:
        await self.session.refresh()

    @work(group="feed")
    async def follow_feed(self) -> None:
        """Keep the inbox current: refetch what changed when the feed says so."""
        self._unsubscribe_feed = self.feed.state.subscribe(lambda status: self.paint_feed())
        self.feed.start()
        self.paint_feed()
        async for change in self.feed:
            try:
                await self.on_feed_change(change)
            except Exception as error:  # a bad update must not stop the feed
                self.show_failed_update(error)

    def nothing_to_paint(self) -> bool:
        """The app is quitting or its widgets are gone: a late update has nothing to paint on."""
        return not self.is_running or not self.screen.query(StatusBar)

    def show_failed_update(self, error: Exception) -> None:
        if not self.nothing_to_paint():
            self.status.show_error(f"Could not apply an update: {error}")

    async def on_feed_change(self, change) -> None:
        if change.kind in ("resync", "unread_count"):
            # Events may have been missed (or there are none): the current view and the count, again.
            await self.session.refresh()
            return
        event = change.event
        if event is None:
            return
        if event.is_conversation:
            conversation = await self.session.live.apply(event)
            notice = self.session.live.notice(event, conversation) if conversation is not None else None
            if notice:
                self.announce(notice)
        elif event.is_discussion:
            item = await self.session.activity.apply(event)
            if item is not None and item.author:
                self.announce(Notice("post", one_line(item.author), f"{one_line(item.author)} posted in {one_line(item.topic_title)}"))

    def announce(self, notice: Notice) -> None:
        """Who wrote, on the status bar (never over the thread, the composer or a dialog), with a bell
        or a desktop notification if asked; nothing at all for "none" ([live] notify)."""
        if self.notify_mode == "none" or self.nothing_to_paint():
            return  # silence asked for (the list still updates, nothing is said), or nothing to say it on
        self.status.show_notice(notice)  # names and subjects are server text: the bar shows them as text
        if self.notify_mode == "bell":
            self.bell()
        elif self.notify_mode == "desktop":
            from ..inbox.opener import desktop_notification

            desktop_notification("tui-inbox", notice.text)

    def paint_feed(self) -> None:
        if self.nothing_to_paint():
            return
        status = self.feed.state.current
        if status.state.value in ("live", "polling"):
            self.status.withdraw("network")  # Canvas answers again: "Cannot reach Canvas" no longer holds
            keeper = self.session.keeper
            if keeper is not None and keeper.offline and not keeper.busy:
                self.reconcile()  # started from the cache while offline: in step with Canvas now
            if self.session.outbox is not None:
                self.session.outbox.nudge()  # what waited in the Outbox goes now
            if self.indexer_waits:
                from .indexing import run_indexer

                run_indexer(self)  # carries on from what it had indexed
        if status.error and status.error != self.status.feed_detail:
            self.status.remember("feed", f"{status.state.value}: {status.error}")
        self.status.feed = status.state.value
        if status.error:
            self.status.feed_detail = status.error
        elif status.last_update_at is not None:
            self.status.feed_detail = f"updated {status.last_update_at.astimezone().strftime('%H:%M:%S')}"
        else:
            self.status.feed_detail = ""

    # -- command palette ------------------------------------------------------------------------
    def get_system_commands(self, screen):
        from .palette import commands

        yield from commands(self, screen, super().get_system_commands(screen))

    async def on_unmount(self) -> None:
        if self.session.mailbox.id == "activity":
            self.session.activity.looked_away()  # quitting from Activity is leaving it: what it showed was seen
        self._unsubscribe()
        if self._unsubscribe_feed is not None:
            self._unsubscribe_feed()
        if self.feed is not None:
            await self.feed.aclose()
        await self.session.aclose()
