"""The main screen: the title, the mailbox rail, the pattern prompt, the panes and the status bar.

It lays them out (side by side when wide, the rail shown or not, which pane holds the mailbox:
reactives its watchers apply) and paints what the core says changed, in one ``match`` over
inbox/changes.py ending in ``assert_never``. The widgets' messages go to the controllers
(ui/controllers/), which turn keys into calls of the core; the app (ui/app.py) only assembles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input, Static

from ...inbox.bulk_sends import overall
from ...inbox.changes import (AccountChange, AccountChanged, AccountStateChanged, ActivityChanged, CameOnline, Change,
                              CountsChanged, DiscussionShown, Failed, MergedChange, MergedSelectionChanged,
                              OutboxChanged, OutboxSaid, RowsArrived, SelectionChanged, SendDone, SendsProgressed,
                              ThreadShown, ThreadUpdated, ViewChanged, WentOffline)
from ...inbox.session import Outcome
from ..controllers.drafts import DraftsMailbox
from ..controllers.feed import FeedUpdates
from ..controllers.host import Host
from ..controllers.outbox import OutboxMailbox
from ..controllers.reading import Reading
from ..controllers.search import Search
from ..controllers.settings import Settings
from ..controllers.starting import Starting
from ..controllers.triage import Triage
from ..controllers.writing import Writing
from .aim import Aim
from .title_and_rail import TitleAndRail
from ..keys import display_key
from ..widgets.conversation_list import ConversationList
from ..widgets.mailbox_rail import MailboxRail
from ..widgets.panes import InboxList, InboxRail, InboxThread
from ..widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from ..widgets.panels import ActivityList, BulkProgress, DraftsList, InboxActivity, OutboxList

PANELS = ("list", "activity", "outbox", "drafts")  # what can hold the mailbox, by the id of its pane


class InboxScreen(Screen):
    wide: var[bool] = var(False, init=False)
    """Side by side (list beside thread) when there is room, else the list above the thread."""
    rail_shown: var[bool] = var(True, init=False)
    """The mailbox rail, by [ui] rail and the width, or by the rail key once pressed."""
    panel: var[str] = var("list", init=False, always_update=True)
    """Which pane holds the mailbox (PANELS); set again on every switch, which moves the focus there."""
    prompt_open: var[bool] = var(False, init=False, toggle_class="-prompt-open")
    """The pattern prompt (``/`` narrows, ``T`` selects) is shown above the panes."""
    pattern_error: var[bool] = var(False, init=False, toggle_class="-pattern-error")
    """The line under the prompt says what is wrong with the pattern."""

    class Ready(Message):
        """Laid out, with the cache's rows in the first frame: the app starts the session."""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.rail_choice: bool | None = None  # the rail key's choice this session, over [ui] rail
        self.title_and_rail = TitleAndRail(self)
        self._list_paint_pending = False  # a ViewChanged waits for the next paint (paint_list_soon)
        self._panels_mounted = False  # Activity, the Outbox, Drafts and the progress bars (mount_panels)
        self._laid_out = False  # composed and mounted: the app's first resize may come before that
        self.aim = Aim(self)  # which account and conversation a key acts on
        self.triage = Triage(host, self)
        self.reading = Reading(host, self)
        self.writing = Writing(host, self)
        self.feed = FeedUpdates(host, self)
        self.outbox = OutboxMailbox(host, self)
        self.drafts = DraftsMailbox(host, self)
        self.search = Search(host, self)
        self.inbox_settings = Settings(host, self)  # the Inbox Settings key
        self.starting = Starting(host, self)

    @property
    def session(self):
        return self.host.session

    @property
    def accounts(self):
        return self.host.accounts

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
                        me=lambda account: self.accounts.session(account).me_id,
                        clock=self.host.clock,
                        course_label=lambda account, row: self.accounts.session(account).course_label(row),
                        date_style=self.host.date_style,
                        is_selected=self.host.merged_triage.is_selected,
                        id="list",
                    )
                    # Activity, the Outbox and Drafts go here (mount_panels), hidden until chosen.
                    yield InboxThread(id="thread")
        # Triage's progress bar and the bulk sends' (Canvas batches) go here (mount_panels).
        yield StatusBar(clock=self.host.clock, id="status")

    def mount_panels(self) -> None:
        """Activity, the Outbox, Drafts and the two progress bars: hidden at start, so mounted just
        after the first frame, or at once if something needs them sooner. Composing and styling them
        before it was about 25 ms of a start from the cache (benchmarks/start.py)."""
        if self._panels_mounted:
            return
        self._panels_mounted = True
        from ..widgets.panels import BulkProgress, DraftsList, InboxActivity, OutboxList

        merged = self.host.merged_activity
        activity = InboxActivity(clock=self.host.clock, course_label=merged.course_label, is_new=merged.is_new,
                                 id="activity")
        activity.set_tags(self.accounts.names)
        outbox = OutboxList(subject_of=self.outbox.subject_of, id="outbox")
        drafts = DraftsList(id="drafts")
        outbox.set_tags(self.accounts.names)
        drafts.set_tags(self.accounts.names)
        self.query_one("#panes").mount(activity, outbox, drafts, before=self.thread)
        self.mount(BulkProgress(id="bulk"), BulkProgress(id="send-progress"), before=self.status)
        self.outbox.start_clock()

    def on_mount(self) -> None:
        self.call_after_refresh(self.mount_panels)
        self.list.set_tags(self.accounts.names)
        self.list.focus()
        self._laid_out = True
        self.layout_for(self.host.size.width)
        self.paint_title()
        self.status.log_key = display_key(self.host.current_keys()["messages"].split(",")[0])
        self.status.running = "loading"
        for member in self.accounts:
            if member.session.keeper is not None:
                member.session.keeper.expect_paint()  # the cache's first screen is painted before anything else runs
                member.session.start_from_cache()  # its rows are in the first frame
        self.post_message(self.Ready())

    @property
    def list(self) -> InboxList:
        return self.query_one(InboxList)

    @property
    def thread(self) -> InboxThread:
        return self.query_one(InboxThread)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def activity_list(self) -> InboxActivity:
        self.mount_panels()
        return self.query_one("#activity")

    @property
    def outbox_list(self) -> OutboxList:
        self.mount_panels()
        return self.query_one("#outbox")

    @property
    def drafts_list(self) -> DraftsList:
        self.mount_panels()
        return self.query_one("#drafts")

    def progress_bar(self, which: str) -> BulkProgress:
        """``bulk`` (triage) or ``send-progress`` (bulk sends)."""
        self.mount_panels()
        return self.query_one(f"#{which}")

    def layout_for(self, width: int) -> None:
        """Side by side when there is room (160 columns), list above thread when narrow (80)."""
        if not self._laid_out:
            return  # on_mount lays it out for the width then
        self.wide = width >= 140
        self.rail_shown = self.rail_wanted(width)

    def watch_wide(self, wide: bool) -> None:
        self.query_one("#main").set_class(wide, "wide")

    def rail_wanted(self, width: int) -> bool:
        """Once the rail key is pressed its choice holds at every width, until pressed again."""
        if self.rail_choice is not None:
            return self.rail_choice
        if self.host.rail_mode == "hidden":
            return False
        return width >= (100 if self.host.rail_mode == "auto" else 70)

    def watch_rail_shown(self, shown: bool) -> None:
        rail = self.query_one("#rail")
        if not shown and self.host.focused is rail:
            (self.activity_list if self.in_activity else self.list).focus()
        self.set_class(not shown, "-rail-hidden")
        self.paint_title()  # the title says how to bring a hidden rail back

    def toggle_rail(self) -> None:
        self.rail_choice = not self.rail_shown
        self.rail_shown = self.rail_choice

    def watch_panel(self, was: str, panel: str) -> None:
        """Activity, the Outbox and Drafts each replace the conversation list while chosen (app.tcss)."""
        panes = {"list": self.list, "activity": self.activity_list, "outbox": self.outbox_list,
                 "drafts": self.drafts_list}
        for name in PANELS[1:]:
            self.set_class(panel == name, f"-{name}")
        panes[panel].focus()
        if panel == "activity" and was != "activity":
            new = self.host.merged_activity.look(self.aim.shown_accounts())
            if new:
                self.status.show_message(f"{new:,} new in Activity since you last looked (marked ●)")
        elif was == "activity" and panel != "activity":
            self.host.merged_activity.looked_away()
        if panel == "activity":
            self.paint_activity()
        elif panel == "outbox":
            self.paint_outbox()
        elif panel == "drafts":
            self.paint_drafts()

    @property
    def in_activity(self) -> bool:
        return self.session.mailbox.id == "activity"

    def run_action_worker(self, label: str, coro) -> None:
        """Run a session coroutine in a worker, its label on the status bar, its outcome after it."""
        async def runner() -> None:
            self.status.running = label
            try:
                outcome = await coro
            except Exception as error:  # a bug must not take the screen down: say it in one line
                self.host.log.error(f"{label} failed: {error!r}")
                self.status.show_error(f"{label} failed: {error}")
                return
            finally:
                self.status.running = ""
            if isinstance(outcome, Outcome):
                # A refusal was already said through the session; saying it again is the same line.
                (self.status.show_message if outcome.ok else self.status.show_error)(outcome.message)

        self.host.run_worker(runner(), group="actions")

    # -- the panes' messages, each to the controller it concerns --------------------------------
    @on(ConversationList.Opened)
    def conversation_opened(self, event: ConversationList.Opened) -> None:
        self.run_action_worker("opening", self.aim.open_conversation(event.key))

    @on(ConversationList.Highlighted)
    def conversation_highlighted(self, event: ConversationList.Highlighted) -> None:
        # A row kept in the view only because it was open leaves once the cursor moves on.
        for member in self.accounts:
            here = event.key is not None and event.key[0] == member.name
            member.session.let_go(event.key[1] if here else None)
        self.triage.extend_visual()

    # The panels' messages are handled by name (on_<widget>_<message>), as their classes are
    # imported only when the panels are mounted, after the first frame (mount_panels).
    def on_activity_list_opened(self, event: ActivityList.Opened) -> None:
        self.run_action_worker("opening", self.accounts.session(event.account).activity.open(event.item))

    @on(MailboxRail.Chosen)
    def mailbox_chosen(self, event: MailboxRail.Chosen) -> None:
        if event.account is not ...:
            self.reading.narrow_to_account(event.account)
            return
        self.reading.switch_to(event.mailbox or self.session.mailbox.id, event.filter_code)

    def on_outbox_list_opened(self, event: OutboxList.Opened) -> None:
        self.outbox.open_item(event.account, event.item)

    def on_outbox_list_drop(self, event: OutboxList.Drop) -> None:
        self.outbox.drop_item(event.account, event.item)

    def on_drafts_list_opened(self, event: DraftsList.Opened) -> None:
        self.drafts.reopen(event.account, event.entry)

    def on_drafts_list_discard(self, event: DraftsList.Discard) -> None:
        self.drafts.discard(event.account, event.entry)

    @on(Input.Changed, "#search")
    def pattern_changed(self, event: Input.Changed) -> None:
        self.search.changed(event.value)

    @on(Input.Submitted, "#search")
    def pattern_submitted(self, event: Input.Submitted) -> None:
        self.search.submitted(event.value)

    def back(self) -> None:
        """Esc: close the pattern prompt, else end the visual range, else clear the selection, else
        leave the thread for the list."""
        if self.search.close():
            self.list.focus()
        elif self.triage.visual_anchor is not None:
            self.triage.cancel_visual()
        elif self.host.merged_triage.count:
            self.host.merged_triage.clear()
        elif self.host.focused is self.thread:
            self.list.focus()

    # -- painting what changed -----------------------------------------------------------------
    def paint_change(self, change: MergedChange) -> None:
        """What the accounts report (inbox/changes.py): one account's change, an account's state, the selection."""
        match change:
            case AccountChange(account, inner):
                self.paint_account_change(account, inner)
            case AccountStateChanged():
                self.paint_title()
                self.paint_rail()
            case MergedSelectionChanged():
                self.status.selection = self.host.merged_triage.count
                self.list.refresh()
            case _:
                assert_never(change)

    def paint_account_change(self, account: str, change: Change) -> None:
        """Every kind of change one account's session reports, each painted where it shows."""
        match change:
            case ViewChanged():
                self.paint_list_soon()
            case CountsChanged() | AccountChanged():
                self.paint_title()
                self.paint_rail()
            case ThreadShown():
                if self.aim.thread_account in (None, account):
                    self.aim.thread_account = account
                    self.paint_thread()
            case ThreadUpdated():
                if self.aim.thread_account == account:
                    self.paint_thread(keep_scroll=True)  # a new message must not move what is being read
            case Failed(message):
                self.status.show_error(self.aim.at(account, message))
            case ActivityChanged():
                self.paint_activity()
            case DiscussionShown():
                self.paint_discussion(account)
            case RowsArrived(ids):
                self.triage.rows_arrived(frozenset((account, conversation_id) for conversation_id in ids))
            case SendsProgressed():
                self.paint_sends()
            case SendDone(progress):
                people = f" to {progress.total} people" if progress.total else ""
                self.status.show_message(self.aim.at(account, f"Sent “{progress.label}”{people}, one conversation each."))
            case OutboxChanged():
                self.paint_outbox()
                self.paint_drafts()  # a message moves between the Outbox and Drafts
            case OutboxSaid(line, failed):
                (self.status.show_error if failed else self.status.show_message)(self.aim.at(account, line))
            case SelectionChanged():
                self.list.refresh()
            case WentOffline(synced_at):
                from ...inbox.offline import offline_line

                if not self.aim.several:
                    self.status.stale = offline_line(synced_at)
                self.paint_rail()  # several accounts: the rail says which one is offline
                feed = self.host.feeds.get(account)
                if feed is not None:
                    feed.poll_now()  # its polls then come every few seconds, and the first answered ends this
            case CameOnline():
                if not self.aim.several:
                    self.status.stale = ""
                self.paint_rail()
            case _:
                assert_never(change)

    def paint_title(self) -> None:
        self.title_and_rail.paint_title()

    def paint_rail(self) -> None:
        self.title_and_rail.paint_rail()

    def counts(self) -> dict[str, int | None]:
        return self.title_and_rail.counts()

    def paint_list_soon(self) -> None:
        """Several changes of the rows can be reported in one go (parts of the core that each place
        their rows, one after another, with no wait between them). The list and the title are
        painted once for all of them, when the messages already waiting have been handled: before
        the next frame, so the user never sees a state in between, and a burst costs one paint."""
        if not self._list_paint_pending:
            self._list_paint_pending = True
            self.call_later(self._paint_pending_list)

    def _paint_pending_list(self) -> None:
        if self._list_paint_pending:  # not already painted by a direct paint_list
            self.paint_list()

    def paint_list(self) -> None:
        self._list_paint_pending = False
        merged = self.host.merged
        merged.refresh()
        view = self.session.view
        keep = self.list.current_key
        self.list.empty_text = "Loading…" if not merged.loaded else (
            f"Nothing matches {view.query!r}." if view.query else f"No conversations in {view.mailbox.label}.")
        self.list.sent_dates = view.mailbox.id == "sent"
        self.list.set_rows(merged.rows, keep=keep)
        self.search.paint_match_count()
        for member in self.accounts:
            keeper = member.session.keeper
            if keeper is not None and keeper.first_paint is not None and not keeper.first_paint.is_set() and len(merged):
                self.host.call_after_refresh(keeper.painted)
        self.paint_rail()
        self.paint_title()  # the mailbox and course in the title change with the view

    def paint_thread(self, keep_scroll: bool = False) -> None:
        session = self.accounts.session(self.aim.thread_account) if self.aim.thread_account else self.session
        current = session.current
        course = None
        if current is not None:
            course = current.context_name or session.context_name(current.context_code)
            if self.aim.several:
                course = f"{course or ''} · {self.aim.thread_account}".strip(" ·")
        self.thread.show(current, me=session.me_id, course=course, order=session.thread_order,
                         keep_scroll=keep_scroll)
        if current is None and self.host.focused is self.thread:
            self.list.focus()  # the thread closed (its conversation deleted): back to the list

    def paint_activity(self) -> None:
        merged, names = self.host.merged_activity, self.aim.shown_accounts()
        self.activity_list.show_items(merged.items(names), merged.loaded(names))

    def paint_discussion(self, account: str | None = None) -> None:
        account = account or self.aim.focus_account()
        activity = self.accounts.session(account).activity
        current = activity.current
        if current is not None:
            self.aim.discussion_account = account
            course = activity.course_label(current.context_code)
            self.thread.show_discussion(current, course=f"{course} · {account}" if self.aim.several else course)

    def paint_sends(self) -> None:
        bar = self.progress_bar("send-progress")
        shown = overall(self.session.bulk.progress())
        if shown is None:
            bar.finish()
        else:
            bar.show_progress(shown)

    def paint_outbox(self) -> None:
        self.paint_rail()
        box, items = self.outbox_list, self.outbox.shown_items()
        if self.panel == "outbox" and items is not None:
            box.show_items(items)

    def paint_drafts(self) -> None:
        self.paint_rail()
        box = self.drafts_list
        if self.panel == "drafts":
            box.show_entries(self.drafts.shown_entries())
