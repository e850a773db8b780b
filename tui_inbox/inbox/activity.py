"""Activity: discussion topics, announcements and replies in the user's courses, newest first.

Filled on start from the recent entries of each course's recent topics (Canvas's events
say nothing about what happened while the app was closed), then kept current by the
``discussion_*`` live events. Each event is checked over REST before it is shown: a topic
the user cannot read answers 401/404 and the event is dropped. Posts are HTML; they are
shown as clean text.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .changes import ActivityChanged, DiscussionShown, Failed
from ..canvas import CanvasError
from ..canvas.models import DiscussionEntry, DiscussionTopic, DiscussionView
from ..store.activity_seen import LastLook
from .text import html_to_text, one_line

if TYPE_CHECKING:  # events arrive from the feed, made after the first frame
    from ..canvas.live_events import LiveEvent
    from ..canvas import CanvasClient
    from ..store.activity_seen import ActivitySeen
    from .account import Account
    from .ports import Reports

RECENT_TOPICS = 4  # per course, on start
MAX_ITEMS = 500


@dataclass
class ActivityItem:
    kind: str  # "announcement", "topic", "reply" (an entry; "graded reply" when submitted)
    context_code: str
    topic_id: int
    topic_title: str
    author: str
    text: str  # clean text, no HTML
    when: datetime | None
    entry_id: int | None = None
    graded: bool = False

    @property
    def key(self) -> str:
        return f"{self.context_code}:{self.topic_id}:{self.entry_id or 0}"


@dataclass
class OpenDiscussion:
    """A topic opened from Activity, with the entry the item named."""

    context_code: str
    topic: DiscussionTopic
    view: DiscussionView
    focus_entry_id: int | None


class Activity:
    def __init__(self, client: "CanvasClient", account: "Account", report: "Reports",
                 seen: "ActivitySeen | None" = None) -> None:
        self.client = client
        self.account = account  # the courses and groups whose discussions are read
        self.report = report
        self._seen = seen
        self.items: list[ActivityItem] = []
        self.loaded = False
        self.current: OpenDiscussion | None = None
        self._titles: dict[tuple[str, int], str] = {}
        # "New since you last looked", on Canvas's own clock (the newest item's time at the last
        # look, and the items of that second), so the machine's clock never matters; kept on disk
        # per account when ``seen`` is given. Before the first look ever, only what arrives while
        # the app runs counts as new.
        self.last_look: LastLook | None = seen.load() if seen is not None else None
        self._seen_problem = seen.problem if seen is not None else None  # said once Activity is there
        self.filled: LastLook | None = None  # the newest of what the start's fill found
        self.opened: set[str] = set()

    def look(self) -> int:
        """The user is looking at Activity now; returns how many items are new to them."""
        if self.last_look is None:
            self._remember(self.filled)
        new = sum(1 for item in self.items if self.is_new(item))
        if new:
            self.report.emit(ActivityChanged())
        return new

    def looked_away(self) -> None:
        """Leaving Activity: everything shown there now counts as seen next time."""
        edge, last = self._newest(), self.last_look
        if edge is not None:
            if last is None or edge.until > last.until:
                self._remember(edge)
            elif edge.until == last.until and not edge.keys <= last.keys:
                self._remember(LastLook(last.until, last.keys | edge.keys))
        self.opened.clear()

    def _newest(self) -> LastLook | None:
        """The newest time among the items, with every item of that second."""
        newest = max((item.when for item in self.items if item.when), default=None)
        if newest is None:
            return None
        return LastLook(newest, frozenset(item.key for item in self.items if item.when == newest))

    def _remember(self, look: LastLook | None) -> None:
        self.last_look = look
        if self._seen is None or look is None:
            return
        try:
            self._seen.save(look)
        except OSError as error:  # a full disk or a read-only folder: this session still knows
            self.report.emit(Failed(f"Could not keep what you have seen in Activity ({self._seen.path}: "
                                     f"{error.strerror or error}); it is kept until you quit"))

    def is_new(self, item: ActivityItem) -> bool:
        if item.key in self.opened or item.when is None:
            return False
        threshold = self.last_look or self.filled
        return (threshold is None or item.when > threshold.until
                or (item.when == threshold.until and item.key not in threshold.keys))

    def _add(self, item: ActivityItem) -> bool:
        if any(existing.key == item.key for existing in self.items):
            return False
        self.items.append(item)
        self.items.sort(key=lambda i: (i.when.timestamp() if i.when else 0.0), reverse=True)
        del self.items[MAX_ITEMS:]
        return True

    def course_label(self, code: str) -> str:
        return self.account.context_name(code) or code

    async def fill(self) -> None:
        """The recent activity of every course, read from the Discussions API."""
        codes = [c.context_code for c in self.account.courses if c.workflow_state != "completed"]
        codes += [g.context_code for g in self.account.groups]
        results = await asyncio.gather(*(self._fill_context(code) for code in codes), return_exceptions=True)
        for result in results:
            if isinstance(result, CanvasError):
                self.report.fail(result)
        self.filled = self._newest()
        self.loaded = True
        self.report.emit(ActivityChanged())
        if self._seen_problem:
            self.report.emit(Failed(self._seen_problem))
            self._seen_problem = None

    async def _fill_context(self, code: str) -> None:
        client = self.client
        topics = await client.get_discussion_topics(code, per_page=20)
        announcements = await client.get_discussion_topics(code, only_announcements=True, per_page=5)
        for topic in announcements + topics:
            self._titles[(code, topic.id)] = topic.title
            self._add(ActivityItem("announcement" if topic.is_announcement else "topic", code, topic.id,
                                   one_line(topic.title), one_line(topic.author_name or ""),
                                   html_to_text(topic.message), topic.posted_at))
        recent = sorted(topics, key=_recency, reverse=True)[:RECENT_TOPICS]
        for topic in recent:
            entries = await client.get_discussion_entries(code, topic.id)
            for entry in _walk(entries):
                self._add(self._entry_item(code, topic.id, topic.title, entry, entry.user_name or ""))

    def _entry_item(self, code: str, topic_id: int, title: str, entry: DiscussionEntry, author: str,
                    graded: bool = False) -> ActivityItem:
        return ActivityItem("reply", code, topic_id, one_line(title), one_line(author), html_to_text(entry.message),
                            entry.created_at, entry.id, graded)

    async def apply(self, event: LiveEvent) -> ActivityItem | None:
        """Add what a discussion event names, after checking over REST that the user may see it."""
        code = event.context_code
        if not event.is_discussion or code is None or event.topic_id is None:
            return None
        client = self.client
        try:
            if event.name.startswith("discussion_topic"):
                topic = await client.get_discussion_topic(code, event.topic_id)
                self._titles[(code, topic.id)] = topic.title
                item = ActivityItem("announcement" if topic.is_announcement else "topic", code, topic.id,
                                    one_line(topic.title), one_line(topic.author_name or ""),
                                    html_to_text(topic.message), topic.posted_at or event.time)
                if event.name == "discussion_topic_updated":
                    self.items = [i for i in self.items if not (i.entry_id is None and i.topic_id == topic.id
                                                               and i.context_code == code)]
            else:
                view = await client.get_discussion_view(code, event.topic_id)
                entry = view.find(event.entry_id) if event.entry_id is not None else None
                if entry is None:
                    return None
                title = self._titles.get((code, event.topic_id))
                if title is None:
                    title = (await client.get_discussion_topic(code, event.topic_id)).title
                    self._titles[(code, event.topic_id)] = title
                author = view.participants.get(entry.user_id or -1, "")
                item = self._entry_item(code, event.topic_id, title, entry, author,
                                        graded=event.name == "discussion_entry_submitted")
        except CanvasError:
            return None  # not visible to this user (or gone): nothing is shown
        if self._add(item):
            self.report.emit(ActivityChanged())
            return item
        return None

    async def open(self, item: ActivityItem) -> OpenDiscussion | None:
        client = self.client
        try:
            topic, view = await asyncio.gather(client.get_discussion_topic(item.context_code, item.topic_id),
                                               client.get_discussion_view(item.context_code, item.topic_id))
        except CanvasError as error:
            self.report.fail(error)
            return None
        self.current = OpenDiscussion(item.context_code, topic, view, item.entry_id)
        self.opened.add(item.key)
        self.report.emit(DiscussionShown(self.current))
        return self.current

    async def reply(self, message: str, context_code: str, topic_id: int, entry_id: int | None) -> DiscussionEntry:
        """Reply to the entry (or, without one, to the topic) and refresh the open discussion."""
        client = self.client
        if entry_id is None:
            entry = await client.post_discussion_entry(context_code, topic_id, message)
        else:
            entry = await client.post_entry_reply(context_code, topic_id, entry_id, message)
        if self.current is not None and self.current.topic.id == topic_id:
            self.current.view = await client.get_discussion_view(context_code, topic_id)
            self.current.focus_entry_id = entry.id
            self.report.emit(DiscussionShown(self.current))
        return entry


def _recency(topic: DiscussionTopic) -> float:
    when = topic.last_reply_at or topic.posted_at
    return when.timestamp() if when else 0.0


def _walk(entries: list[DiscussionEntry]):
    stack = list(entries)
    while stack:
        entry = stack.pop()
        yield entry
        stack.extend(entry.replies)
