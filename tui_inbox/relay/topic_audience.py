"""Who may see a discussion topic, as Canvas decides it, and so where its events go.

``discussion_entry_*`` events name the topic and its course or group, never whether the
topic is a draft, posted later or for some sections only; ``discussion_topic_*`` events
say its state but not its sections. So the router asks Canvas for the topic (with the
admin token: an account admin reads every course) and remembers the answer until the
topic changes (``discussion_topic_updated``) or an age limit passes.

The rules are ``DiscussionTopic#visible_for?`` and ``low_level_locked_for?`` in canvas-lms
(app/models/discussion_topic.rb):
- a draft, or a post whose ``delayed_post_at`` is still ahead: the course's teachers, TAs
  and designers only (their own subject);
- a section-specific topic: the users of those sections, and the staff;
- otherwise every member of the course or group.
A group's topic that is not for its members yet goes to the staff of the group's course.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from ..canvas import CanvasClient, NotFoundError, PermissionDenied
from .expiring_cache import ExpiringCache
from .subjects import course_staff_subject, course_subject, group_subject, section_subject

log = logging.getLogger("tui_inbox.relay.topic_audience")

# A topic's visibility changes with an event the router hears (and tells the other
# instances of); the age limit only bounds how long a missed one can matter.
MAX_AGE_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class TopicFacts:
    context_type: str  # "Course" or "Group"
    context_id: int
    staff_course_id: int | None  # the course whose staff see it whatever its state
    published: bool
    delayed_post_at: datetime | None
    section_ids: tuple[int, ...]

    def staff_only(self, now: datetime) -> bool:
        """A draft, or a post whose time has not come: for the staff alone."""
        return not self.published or (self.delayed_post_at is not None and self.delayed_post_at > now)

    def subjects(self, now: datetime) -> list[str]:
        staff = [course_staff_subject(self.staff_course_id)] if self.staff_course_id is not None else []
        if self.staff_only(now):
            return staff
        if self.section_ids:
            return [section_subject(s) for s in self.section_ids] + staff
        if self.context_type == "Course":
            return [course_subject(self.context_id)]
        return [group_subject(self.context_id)]


TopicCache = ExpiringCache[int, TopicFacts]


def new_topic_cache() -> TopicCache:
    return ExpiringCache(max_age=MAX_AGE_SECONDS)


async def fetch_topic_facts(canvas: CanvasClient, context_type: str, context_id: int, topic_id: int,
                            now: datetime) -> TopicFacts | None:
    """The topic's facts, or None when Canvas will not show it to the admin (deleted, or no right to it).

    Any other failure raises, so the event is routed again later.
    """
    code = f"{context_type.lower()}_{context_id}"
    try:
        topic = await canvas.get_discussion_topic(code, topic_id, include=("sections",))
    except (NotFoundError, PermissionDenied) as exc:
        log.warning("discussion topic %d of %s: Canvas will not show it (HTTP %s): not delivered",
                    topic_id, code, getattr(exc, "status", "?"))
        return None
    facts = TopicFacts(context_type, context_id, context_id if context_type == "Course" else None,
                       topic.published, topic.delayed_post_at, topic.section_ids)
    if context_type == "Group" and facts.staff_only(now):
        # Only now is the group's course needed: a topic its members may see goes to the group.
        try:
            facts = dataclasses.replace(facts, staff_course_id=(await canvas.get_group(context_id)).course_id)
        except (NotFoundError, PermissionDenied):
            pass  # nobody: the group's course cannot be known, and its members may not see it
    return facts
