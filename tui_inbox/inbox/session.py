"""The inbox's core: the account, its mailboxes, the open conversation, and every action.

No widgets here. The UI calls these coroutines (in workers) and re-reads the state;
listeners registered with ``on_change`` hear what changed, so a live update arriving
while the user reads is shown without the UI polling. Each action changes the rows at
once, asks Canvas, and puts the rows back as they were if Canvas refuses; after every
change the unread count is fetched again, so the badge never lies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .changes import AccountChanged, Change, CountsChanged, Failed, RowsArrived, ThreadShown, ThreadUpdated, ViewChanged
from ..canvas import CanvasClient, CanvasError
from ..canvas.errors import NetworkError, NotFoundError
from ..canvas.models import Attachment, Conversation, Course, Group, MediaComment, Recipient, User
from ..store.activity_seen import ActivitySeen
from ..store.drafts import DraftStore
from ..canvas.http import retry_listener
from .compose import Draft
from .destination import forecast, landing
from .formatting import display_name, utcnow
from .mailboxes import BY_ID, INBOX, Mailbox
from .activity import Activity
from .bulk_sends import BulkSends, SendProgress, audience, label_of, must_be_bulk, sends_async
from .live_updates import LiveUpdates
from .matching import matches, words_of
from .text import one_line
from .outbox import Outbox
from .replying import already_in, is_last_message, name_people, reply_target
from .triage import Triage
from .view import ConversationView

if TYPE_CHECKING:
    from .offline import CacheKeeper

Listener = Callable[[Change], None]  # hears each change as it happens (changes.py)
RetryListener = Callable[[int, int, CanvasError], None]
log = logging.getLogger("tui_inbox.inbox")
LARGE_LOAD = 10_000
KNOWN_PEOPLE_OFFERED = 10  # at most this many people found by the app's own matching, per search
GONE = "That conversation is no longer in Canvas for you (deleted elsewhere?): it is gone here too."


@dataclass
class Outcome:
    """What an action ended with, in one line for the status bar (and, for a sent message, the
    conversation it went into, for the key that opens it)."""

    ok: bool
    message: str
    conversation_id: int | None = None
    to: str | None = None  # who a reply went to, named, when it was not everyone in the conversation


class AlreadyParticipants(CanvasError):
    """Everyone the user asked to add is in the conversation already: nothing was sent."""


class InboxSession:
    def __init__(
        self,
        client: CanvasClient,
        *,
        drafts: DraftStore | None = None,
        activity_seen: ActivitySeen | None = None,
        thread_order: str = "oldest",
        clock: Callable[[], datetime] = utcnow,
        first_page: int = 100,
        keeper: "CacheKeeper | None" = None,
        send_delay: float = 0.0,
        outbox_retry_seconds: float = 5.0,
    ) -> None:
        self.client = client
        # An answer's items that cannot be rows (an id that is not one) are left out: one line says so.
        client.on_skipped(lambda line: self.emit(Failed(line)))
        self.drafts = drafts
        self.thread_order = thread_order
        self.clock = clock
        self.first_page = first_page
        self.me: User | None = None
        self.courses: list[Course] = []
        self.groups: list[Group] = []
        self.unread_count: int | None = None
        self.mailbox: Mailbox = INBOX
        self.filter_code: str | None = None
        self.views: dict[tuple[str, str | None], ConversationView] = {}
        self.current: Conversation | None = None
        self.last_error: str | None = None
        self._listeners: list[Listener] = []
        self.triage = Triage(self)
        self.live = LiveUpdates(self)
        self.activity = Activity(self, activity_seen)
        self._loads: dict[tuple[str, str | None], asyncio.Task] = {}
        # Rows the user opened that no longer belong to the view they are looking at (read, in
        # Unread): they stay under the cursor until the user moves on, as in neomutt.
        self.lingering: set[int] = set()
        self.sending: set[str] = set()  # keys of drafts being sent right now
        self.last_landing: int | None = None  # the conversation the last new message went into
        self.bulk = BulkSends(client, self.emit, self._bulk_finished)
        # A course's members by role, asked once per course ({"course_1_students": 150}): the
        # composer says how many a "Students in BIO 101" reaches, and Canvas's rules depend on it.
        self._role_counts: dict[str, dict[str, int]] = {}
        # The local cache (inbox/offline.py): written as the views change, read at start and offline.
        self.keeper = keeper
        self._from_cache: bool | None = None  # whether start() began from the cache (None: not asked yet)
        if keeper is not None:
            self.on_change(keeper.heard)  # an open thread that changes (a live message) is kept as it now is
        # Offline actions and messages, and sends waiting out the undo delay (inbox/outbox.py).
        self.outbox = Outbox(drafts.outbox, client, self.emit, self._deliver_queued, send_delay=send_delay,
                             retry_seconds=outbox_retry_seconds, ready=lambda: self.me is not None) \
            if drafts is not None else None
        # The full-text index (store/search_index.py), when the app keeps one: an opened thread goes in at once.
        self.search_index = None

    # -- listening ---------------------------------------------------------------------
    def on_change(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken listener (the UI) must not turn a done action into a failure
                log.exception("an inbox listener failed on %s", type(change).__name__)

    def fail(self, error: Exception) -> Outcome:
        self.last_error = str(error)
        self.emit(Failed(self.last_error))
        return Outcome(False, self.last_error)

    # -- starting ----------------------------------------------------------------------
    @property
    def me_id(self) -> int:
        return self.me.id if self.me else 0

    @property
    def view(self) -> ConversationView:
        key = (self.mailbox.id, self.filter_code)
        if key not in self.views:
            self.views[key] = ConversationView(self.mailbox, self.filter_code)
        return self.views[key]

    async def start(self) -> None:
        """Who am I, my courses and groups, the unread count, and the inbox's first page.

        With a cache of this account's Inbox, that is painted first, without a request, and
        brought in step with Canvas in the background (inbox/offline.py)."""
        if self.outbox is not None:
            self.outbox.start()  # before any request: it is shown even if Canvas does not answer
        if self.start_from_cache():
            return
        self.me, self.courses, self.groups = await asyncio.gather(
            self.client.get_self(), self.client.get_courses(), self.client.get_groups()
        )
        self.emit(AccountChanged())
        if self.keeper is not None:
            self.keeper.account(self)
        if self.outbox is not None:
            self.outbox.nudge()  # who I am is known (the delivery check needs it): what waits goes now
        await asyncio.gather(self.refresh_unread(), self.load())
        self.follow_up()

    def start_from_cache(self) -> bool:
        """The last known account and Inbox from the cache, at once and with no request; False if
        there is none. A UI calls it before its first frame, so that frame has the rows (one frame
        rather than an empty one and then the rows); start() calls it too, and it acts once."""
        if self._from_cache is None:
            self._from_cache = self.keeper is not None and self.keeper.warm_start(self)
        return self._from_cache

    def follow_up(self) -> None:
        """What a start does once Canvas has answered: Activity and the bulk sends still running."""
        # Activity while the app was closed is not in any event: read it from the Discussions API.
        self._loads[("activity", None)] = asyncio.ensure_future(self.activity.fill())
        # Bulk sends Canvas is still delivering (sent before this start) are followed like new ones.
        self._loads[("bulk", None)] = asyncio.ensure_future(self.bulk.resume())

    def context_name(self, code: str | None) -> str | None:
        for course in self.courses:
            if course.context_code == code:
                return course.course_code or course.name
        for group in self.groups:
            if group.context_code == code:
                return group.name
        return None

    def course_label(self, conversation: Conversation) -> str | None:
        """The short course code for a row: from its context code, else from the course name Canvas gave."""
        label = self.context_name(conversation.context_code)
        if label is None and conversation.context_name:
            label = next((c.course_code for c in self.courses if c.name == conversation.context_name and c.course_code),
                         conversation.context_name)
        return label

    # -- mailboxes -----------------------------------------------------------------------
    async def switch(self, mailbox_id: str, filter_code: str | None = ...) -> ConversationView:  # type: ignore[assignment]
        self.triage.clear()  # a selection belongs to the view it was made in
        self.lingering = set()  # a row kept because it was open leaves when the user goes elsewhere
        self.mailbox = BY_ID.get(mailbox_id, INBOX)
        if filter_code is not ...:
            self.filter_code = filter_code
        self.emit(ViewChanged())
        if self.current is not None:
            # The list starts again at its top: the thread open before is not the row under the cursor.
            self.close_thread()
        view = self.view
        if self.mailbox.scope is None:
            return view  # Activity: not a conversation scope
        if not view.loaded:
            await self.load()
        return view

    async def load(self, *, force: bool = False) -> ConversationView:
        """The first page at once, then the whole scope in the background (kept in Canvas's order)."""
        view = self.view
        if (view.loaded and not force) or view.mailbox.scope is None:
            return view
        if not view.loaded and self.keeper is not None and self.keeper.restore(self, view):
            return view
        filters = [view.filter_code] if view.filter_code else None
        first = await self.client.get_conversations_page(view.mailbox.scope, filters, per_page=self.first_page)
        if not view.loaded or force:
            self.lingering = set()
            view.replace(first)
            if self.keeper is not None:
                self.keeper.filled(view, complete=len(first) < self.first_page)
            self.emit(ViewChanged())
        if len(first) >= self.first_page:
            previous = self._loads.pop(view.key, None)
            if previous:
                previous.cancel()
            self._loads[view.key] = asyncio.ensure_future(self._load_rest(view, filters))
        return view

    async def _load_rest(self, view: ConversationView, filters) -> None:
        try:
            everything = await self.client.load_conversations(view.mailbox.scope, filters)
        except CanvasError as error:
            self.fail(error)
            return
        self.fill(view, everything)

    def fill(self, view: ConversationView, rows: list[Conversation]) -> None:
        """Put a whole mailbox's rows in its view and tell the app."""
        view.replace(rows)
        if self.keeper is not None:
            self.keeper.filled(view, complete=True)
        if len(rows) >= LARGE_LOAD:
            # Tens of thousands of rows live as long as the view: leave them out of the
            # collector's full passes, which otherwise pause the app for half a second.
            gc.collect()
            gc.freeze()
        self.emit(ViewChanged())

    async def wait_loaded(self) -> None:
        """Wait for background loads (tests and benchmarks use this)."""
        while self._loads:
            key, task = next(iter(self._loads.items()))
            try:
                await task
            except asyncio.CancelledError:
                pass
            if self._loads.get(key) is task:
                del self._loads[key]

    async def refresh(self) -> None:
        """Reload the current view and the unread count (``ctrl+r``, and after a reconnect): with a
        cache, only what changed (inbox/reconcile.py)."""
        if self.keeper is not None and self.view.loaded:
            await self.keeper.refresh(self)
            return
        # Both at once, but one failure is one line: when Canvas cannot be reached both fail, and
        # the view's error (the caller's to say) stands for the count's too.
        loaded, counted = await asyncio.gather(self.load(force=True), self.client.unread_count(),
                                               return_exceptions=True)
        if isinstance(loaded, BaseException):
            raise loaded
        if isinstance(counted, CanvasError):
            self.fail(counted)
        elif isinstance(counted, BaseException):
            raise counted
        else:
            self._counted(counted)

    async def refresh_unread(self) -> None:
        try:
            count = await self.client.unread_count()
        except CanvasError as error:
            self.fail(error)
            return
        self._counted(count)

    def _counted(self, count: int) -> None:
        self.unread_count = count
        if self.keeper is not None:
            self.keeper.counted(self.unread_count)
        self.emit(CountsChanged())

    # -- reading ---------------------------------------------------------------------------
    async def open(self, conversation_id: int, *, mark_read: bool = True) -> Conversation | None:
        """Show a conversation's thread. One that cannot be shown is said in one line, and the
        thread pane is emptied rather than left on the conversation open before it."""
        try:
            conversation = await self.client.get_conversation(conversation_id, auto_mark_as_read=mark_read)
        except NetworkError as error:
            if self.keeper is None:
                self.fail(error)
                return self._not_shown(conversation_id)
            conversation = self.keeper.offline_thread(self, conversation_id)
            if conversation is None:
                return self._not_shown(conversation_id)
            mark_read = False  # nothing was marked read: Canvas did not hear of it
        except NotFoundError:
            # Gone for this user (deleted on another device, or they were taken out of it): the
            # row, the cached thread and a search hit that still name it must not offer it again.
            self.remove_everywhere([conversation_id])
            self.fail(NotFoundError(GONE))
            return self._not_shown(conversation_id)
        except CanvasError as error:
            self.fail(error)
            return self._not_shown(conversation_id)
        else:
            if self.keeper is not None:
                self.keeper.opened(conversation)
        self.current = conversation
        self.let_go(conversation_id)  # the row open before (if any) leaves now, if it no longer belongs
        self.lingering = {conversation_id}
        self.update_many([conversation_id], workflow_state=conversation.workflow_state)
        self.emit(ThreadShown(conversation))
        if mark_read:
            await self.refresh_unread()
        if self.search_index is not None:
            # After the thread is shown, in a thread: a conversation of 20,000 messages takes the
            # index 2.5 s to write, which held the screen unpainted on the event loop.
            try:
                await asyncio.to_thread(self.search_index.put, conversation)
            except sqlite3.Error as error:  # a full disk: the thread opens, search just lacks it
                log.warning("could not index conversation %s: %s", conversation_id, error)
        return conversation

    def close_thread(self) -> None:
        self.current = None
        self.emit(ThreadShown(None))

    def _not_shown(self, conversation_id: int) -> None:
        if self.current is not None and self.current.id != conversation_id:
            self.close_thread()  # the user asked for another one: this one is no longer what they look at
        return None

    def close_thread_if_gone(self) -> None:
        """The open conversation left the view (archived, another mailbox): the thread pane empties,
        so it never shows a conversation the list around it no longer has."""
        if self.current is not None and self.view.find(self.current.id) is None:
            self.close_thread()

    # -- changing state ----------------------------------------------------------------------
    def rows_of(self, conversation_id: int) -> list[tuple[ConversationView, Conversation]]:
        found = []
        for view in self.views.values():
            row = view.find(conversation_id)
            if row is not None:
                found.append((view, row))
        return found

    def update_many(self, ids: Iterable[int], **changes: Any) -> None:
        """Apply a change to these conversations on screen: every loaded view gets the changed rows
        where they now belong (a row leaves a mailbox it no longer belongs to and enters one it now
        belongs to)."""
        wanted = set(ids)
        latest: dict[int, Conversation] = {}
        for view in self.views.values():
            for row in view.find_many(wanted - latest.keys()):
                latest[row.id] = row
        self.place(dataclasses.replace(row, **changes) for row in latest.values())
        if self.current is not None and self.current.id in wanted:
            self.current = dataclasses.replace(self.current, **changes)

    def place(self, rows: Iterable[Conversation]) -> None:
        """Put these rows, as they now are, in every loaded view that admits them (and out of the
        others): at once, at their place in Canvas's order. A row the user opened stays in the
        view they are looking at until they move on (``let_go``)."""
        rows = list(rows)
        arrived: set[int] = set()
        for view in self.views.values():
            if view.loaded and view.mailbox.scope is not None:
                arrived |= view.place(rows, keep=self.lingering if view is self.view else frozenset())
        if self.keeper is not None:
            self.keeper.placed(self.views.values(), rows)
        if self.search_index is not None:
            self.search_index.restate(rows)  # a hit names the mailbox a conversation is in now
        if arrived:
            self.emit(RowsArrived(frozenset(arrived)))  # before the repaint: a visual range must not take them in
        self.emit(ViewChanged())

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
        if self.keeper is not None:
            self.keeper.removed(drop)
        if self.search_index is not None:
            try:
                self.search_index.forget(drop)  # gone for this user: search everywhere must not offer it
            except sqlite3.Error as error:
                log.warning("could not take conversations out of the search index: %s", error)
        self.emit(ViewChanged())

    def row(self, conversation_id: int) -> Conversation | None:
        rows = self.rows_of(conversation_id)
        return rows[0][1] if rows else (self.current if self.current and self.current.id == conversation_id else None)

    async def remove_message(self, conversation_id: int, message_id: int) -> Outcome:
        """Delete one message for me (Canvas's ``remove_messages``). When no message of a person
        is left, Canvas removes the generated ones too and the conversation is gone: its row
        leaves every view and its thread closes."""
        try:
            answer = await self.client.remove_messages(conversation_id, [message_id])
        except CanvasError as error:
            return self.fail(error)
        current = self.current if self.current is not None and self.current.id == conversation_id else None
        left = [m for m in (current.messages or []) if m.id != message_id] if current is not None else []
        if answer.message_count == 0 or (current is not None and is_last_message(current, message_id)):
            self.remove_everywhere([conversation_id])
            if current is not None:
                self.close_thread()
            await self.refresh_unread()
            return Outcome(True, "Message deleted; it was the last one, so the conversation is gone for you too.")
        # The row's preview, count and dates as Canvas has them now (its answer has no context_name).
        self.update_many([conversation_id], last_message=answer.last_message, last_message_at=answer.last_message_at,
                         last_authored_message=answer.last_authored_message,
                         last_authored_message_at=answer.last_authored_message_at,
                         message_count=answer.message_count, properties=answer.properties)
        if self.current is not None and self.current.id == conversation_id:
            self.current = dataclasses.replace(self.current, messages=left)
            self.emit(ThreadUpdated(self.current))
        await self.refresh_unread()
        return Outcome(True, f"Message deleted for you; {answer.message_count} left in the conversation.")

    # -- writing ---------------------------------------------------------------------------
    async def search_recipients(self, text: str, context: str | None = None) -> list[Recipient]:
        text = text.strip()
        if not text and not context:
            return []
        try:
            found = await self.client.search_recipients(text or None, context=context, per_page=20,
                                                        synthetic_contexts=bool(context and not text))
        except CanvasError as error:
            self.fail(error)
            return []
        if text and not context:
            words = words_of(text)
            found += self._known_people_canvas_missed(text, words, {r.id for r in found})
            found += await self._course_roles(words)
        return found

    def _known_people_canvas_missed(self, text: str, words: list[str], found: set[str]) -> list[Recipient]:
        """People of the loaded conversations whose name matches only without its accents
        ("zoe" for Zoë): Canvas matches the letters as typed and cannot have found them."""
        typed = text.casefold().split()
        seen: set[int] = {self.me_id}
        people = []
        for view in self.views.values():
            for row in view.all():
                for person in row.participants:
                    if person.id in seen:
                        continue
                    seen.add(person.id)
                    names = (person.full_name, person.name)
                    if (str(person.id) not in found and matches(words, *names)
                            and not all(any(w in n.casefold() for n in names) for w in typed)):
                        people.append(Recipient(id=str(person.id), name=person.name, full_name=person.full_name,
                                                type="user", user_count=None, context_name=None,
                                                common_courses=dict(person.common_courses), avatar_url=None))
                        if len(people) >= KNOWN_PEOPLE_OFFERED:
                            return people
        return people

    async def _course_roles(self, words: list[str]) -> list[Recipient]:
        """Whole courses by role ("Students in BIO 101"), with how many each reaches: matched by
        the course's name or code, or by the role ("Students" finds every course's students)."""
        wanted = []
        for course in self.courses:
            short = course.course_code or course.name
            roles = [(f"{course.context_code}_{suffix}", f"{label} in {short}")
                     for suffix, label in (("students", "Students"), ("teachers", "Teachers"), ("tas", "TAs"))]
            roles = [(code, label) for code, label in roles if matches(words, label, course.name)]
            if roles:
                wanted.append((course, roles))
        counts = await asyncio.gather(*(self.role_counts(course.context_code) for course, _ in wanted))
        found = []
        for (course, roles), by_role in zip(wanted, counts):
            for code, label in roles:
                count = None if by_role is None else by_role.get(code, 0)
                if count == 0:
                    continue  # nobody has that role there: nothing to send to
                found.append(Recipient(id=code, name=label, full_name=None, type="context", user_count=count,
                                       context_name=course.name, common_courses={}, avatar_url=None))
        return found

    async def role_counts(self, course_code: str) -> dict[str, int] | None:
        """A course's members by role, from search's synthetic contexts (``course_1_students`` and
        its ``user_count``); a role Canvas leaves out has nobody. None if Canvas could not be asked."""
        if course_code not in self._role_counts:
            try:
                found = await self.client.search_recipients(None, context=course_code, synthetic_contexts=True,
                                                            per_page=20)
            except CanvasError as error:
                log.warning("could not count the members of %s: %s", course_code, error)
                return None
            self._role_counts[course_code] = {r.id: r.user_count for r in found if r.user_count is not None}
        return self._role_counts[course_code]

    def save_draft(self, draft: Draft) -> None:
        if self.drafts is not None:
            if draft.empty:
                self.drafts.delete(draft.key)
            else:
                self.drafts.save(draft.key, draft.to_dict())

    def load_draft(self, key: str) -> Draft | None:
        if self.drafts is None:
            return None
        data = self.drafts.load(key)
        return Draft.from_dict(data) if data else None

    def discard_draft(self, draft: Draft) -> None:
        if self.drafts is not None:
            self.drafts.delete(draft.key)

    async def _upload(self, draft: Draft) -> list[int]:
        ids = []
        for path in draft.attachments:
            info = await self.client.upload_attachment(Path(path).expanduser())
            ids.append(info.id)
        return ids

    async def send(self, draft: Draft, on_retry: RetryListener | None = None) -> Outcome:
        """Send a draft once; on success it is discarded, on failure kept with the reason.

        ``on_retry`` hears each new attempt ("retrying (2 of 5)") of this send only. While the
        send runs, its draft is in ``sending``: it must not be opened and sent a second time.
        """
        problems = draft.problems()
        if problems:
            return self.fail(ValueError(problems[0]))
        if draft.key in self.sending:
            return Outcome(False, "This message is being sent already; its outcome follows.")
        outbox = self.outbox
        if outbox is not None and outbox.takes(draft) and (outbox.send_delay > 0 or outbox.backlog()):
            # It waits out the undo delay (or behind what is queued offline) in the Outbox, on disk.
            try:
                return Outcome(True, outbox.hold_message(draft, delay=outbox.send_delay))
            except sqlite3.Error as error:  # a full disk: it cannot wait on disk, so it does not leave
                return self.fail(sqlite3.Error(f"Not sent: the message could not wait in the Outbox ({error}); "
                                               "your text is still here"))
        self.sending.add(draft.key)
        listening = retry_listener.set(on_retry)
        try:
            return await self._send(draft)
        finally:
            retry_listener.reset(listening)
            self.sending.discard(draft.key)

    async def _send(self, draft: Draft) -> Outcome:
        try:
            outcome, conversation, after = await self.deliver(draft)
        except NetworkError as error:
            if not error.sent and self.outbox is not None and self.outbox.takes(draft):
                # Canvas cannot be reached and nothing left: the message waits in the Outbox.
                self.outbox.offline = True
                return Outcome(True, self.outbox.hold_message(draft, offline=True))
            return self.fail(error)
        except (CanvasError, OSError) as error:
            return self.fail(error)
        try:
            self.discard_draft(draft)
        except sqlite3.Error as error:  # sent all the same: say that its draft stays
            outcome = dataclasses.replace(outcome, message=f"{outcome.message} (its draft could not be "
                                                           f"removed: {error}; discard it from Drafts)")
        await self._settle_after(outcome, conversation, after)
        return outcome

    async def _deliver_queued(self, draft: Draft) -> str:
        """Send a message from the Outbox (it is not in Drafts: nothing to discard); raises CanvasError."""
        outcome, conversation, after = await self.deliver(draft)
        await self._settle_after(outcome, conversation, after)
        who = outcome.to or name_people([one_line(r.label) for r in draft.to]) or "the conversation"
        return f"Outbox: {outcome.message[0].lower()}{outcome.message[1:]} ({draft.title.lower()} to {who})"

    async def _settle_after(self, outcome: Outcome, conversation: Conversation | None, after: bool) -> None:
        if not after:
            return
        try:
            await self._after_send(conversation)
        except CanvasError as error:  # sent all the same: only the refresh after it failed
            self.last_error = str(error)
        if outcome.conversation_id is not None:
            self.last_landing = outcome.conversation_id

    async def deliver(self, draft: Draft) -> tuple[Outcome, Conversation | None, bool]:
        """Send a draft; raises CanvasError or OSError. Returns the outcome, the conversation it
        went into, and whether the views should be read again after it."""
        opened: int | None = None
        attachment_ids = await self._upload(draft)
        if draft.kind == "discussion_reply":
            await self.activity.reply(draft.body, draft.context_code or "", draft.topic_id or 0, draft.entry_id)
            return Outcome(True, "Reply posted"), None, False
        to = None
        if draft.kind == "add_people":
            conversation = await self._add_people(draft)
            message = "People added"
        elif draft.kind in ("reply", "reply_all"):
            conversation, to = await self._reply(draft, attachment_ids)
            message = "Reply sent"
        else:
            known = {row.id for view in self.views.values() for row in view.all()}  # to tell reused from new
            if must_be_bulk(draft):  # Canvas refuses more than 100 people otherwise
                draft.individual, draft.group_conversation = True, False
            created = await self.client.send_new(
                [r.id for r in draft.to], draft.body, author_id=self.me_id,
                subject=draft.subject or None, context_code=draft.context_code,
                group_conversation=draft.group_conversation or draft.individual,
                bulk_message=draft.individual, force_new=draft.force_new, attachment_ids=attachment_ids,
                forwarded_message_ids=draft.forward_message_ids,
                mode="async" if sends_async(draft) else None,
            )
            if created.batch_id is not None and not created.conversations:
                size = audience(draft)
                self.bulk.follow(created.batch_id, size, label_of(draft.subject, draft.body))
                return Outcome(True, f"Sending to {size} people in the background, one conversation each: "
                                     "the bar below follows it."), None, False
            went = landing(created.conversations, known)
            conversation = went.first
            opened = conversation.id if conversation is not None else None
            message = went.line
        return Outcome(True, message, opened, to=to), conversation, True

    def _bulk_finished(self, done: SendProgress) -> None:
        """A bulk send is delivered: Sent holds new conversations, read it again when shown."""
        sent = self.views.get(("sent", None))
        if sent is not None:
            sent.loaded = False
        if self.mailbox.id == "sent":
            self._loads[("sent-after-bulk", None)] = asyncio.ensure_future(self._reload_quietly())

    async def _reload_quietly(self) -> None:
        try:
            await self.load(force=True)
        except CanvasError as error:
            self.fail(error)

    def forecast(self, draft: Draft) -> str | None:
        """Before sending: the existing conversations a new message will go into, if the app can know."""
        rows = {row.id: row for view in self.views.values() for row in view.all() if row.private}
        return forecast(draft, list(rows.values()), self.me_id)

    async def _known_thread(self, conversation_id: int | None) -> Conversation | None:
        """The thread as the user last saw it: the open one, else asked of Canvas (never marking it read)."""
        if conversation_id is None:
            return None
        if self.current is not None and self.current.id == conversation_id and self.current.messages is not None:
            return self.current
        return await self.client.get_conversation(conversation_id, auto_mark_as_read=False)

    async def _reply(self, draft: Draft, attachment_ids: list[int]) -> tuple[Conversation, str | None]:
        """Send a reply; returns the conversation and, for a plain reply, the one person it went to.

        A plain reply goes to the last person other than the user who wrote (replying.py), even
        when it leaves the Outbox after the user moved on to another thread. Replying reads the
        conversation: Canvas leaves the author's copy as it was (conversation.rb
        ``update_participants`` only turns an archived one read), as if the user had not read
        what they answered, so the client marks it read, as opening it would.
        """
        known = await self._known_thread(draft.conversation_id)
        target = reply_target(known, self.me_id) if draft.kind == "reply" and known is not None else None
        since = max((m.id for m in known.messages or []), default=None) if known else None
        conversation = await self.client.send_reply(
            draft.conversation_id, draft.body, author_id=self.me_id, since_message_id=since,
            attachment_ids=attachment_ids, recipients=[target.id] if target is not None else None,
        )
        if conversation.unread:
            try:
                conversation = await self.client.update_conversation(conversation.id, workflow_state="read")
            except CanvasError as error:  # the reply went all the same
                self.last_error = str(error)
            else:
                self.update_many([conversation.id], workflow_state="read")
                await self.refresh_unread()
        return conversation, (display_name(target.name, target.full_name) if target is not None else None)

    async def _add_people(self, draft: Draft) -> Conversation:
        """Add only people who are not in the conversation yet: Canvas would add a line saying
        someone was added who was there all along. Nobody new is refused, with who is in it."""
        known = await self._known_thread(draft.conversation_id)
        present = set(already_in(known, [r.id for r in draft.to])) if known is not None else set()
        new = [r for r in draft.to if r.id not in present]
        if not new:
            names = name_people([one_line(r.label) for r in draft.to])
            raise AlreadyParticipants(f"{names} {'is' if len(draft.to) == 1 else 'are'} in this conversation "
                                      "already: nobody was added.")
        return await self.client.add_recipients(draft.conversation_id, [r.id for r in new])

    async def _after_send(self, conversation: Conversation | None) -> None:
        if conversation is not None and self.current is not None and conversation.id == self.current.id:
            await self.open(conversation.id, mark_read=False)
        sent = self.views.get(("sent", None))
        if sent is not None:
            sent.loaded = False
        if self.mailbox.id == "sent":
            await self.load(force=True)

    async def download(self, item: Attachment | MediaComment, folder: Path) -> Path | None:
        """Save an attachment (under the server's name) or a media comment (under its own) in
        ``folder``; None, with the reason on the status bar, when it cannot be."""
        if isinstance(item, MediaComment):
            from .media import kind_of, media_file_name
            from .text import one_line

            if not item.url:
                name = one_line(item.display_name or "")
                self.fail(ValueError(f"Canvas gave no download link for the {kind_of(item)} comment"
                                     + (f" “{name}”" if name else "") + ": play it in Canvas in a browser."))
                return None
            url, name = item.url, media_file_name(item)
        else:
            if not item.url:
                self.fail(ValueError(f"{item.display_name} has no download link."))
                return None
            url, name = item.url, None
        try:
            return await self.client.download(url, folder, name=name)
        except (CanvasError, OSError) as error:
            self.fail(error)
            return None

    async def aclose(self) -> None:
        if self.outbox is not None:
            await self.outbox.aclose()  # a message waiting out its undo delay is sent first
        await self.bulk.aclose()
        for task in self._loads.values():
            task.cancel()
        await asyncio.gather(*self._loads.values(), return_exceptions=True)
        self._loads.clear()
        if self.keeper is not None:
            self.keeper.close()
        if self.search_index is not None:
            # The cache file's last connection: closing it folds the write-ahead log back into the
            # file. Left open, a 100,000-row load's 50 MB log stayed for the next start to replay.
            self.search_index.close()
        if self.drafts is not None:
            # Last, after the Outbox's last writes: the drafts leave the log for the file, so a
            # damaged leftover log (or a lost one) cannot take them.
            try:
                self.drafts.fold()
            except sqlite3.Error as error:
                log.warning("the drafts log was not folded in: %s", error)

