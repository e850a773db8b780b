"""The post a discussion reply answers: shown above the reply, since the reply is public.

Found in what the session already holds, never asked for: the discussion open in Activity
(the entry answered, or the topic itself), else the Activity item the reply was begun from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .compose import Draft
from .text import html_to_text, one_line

if TYPE_CHECKING:
    from .activity import Activity


@dataclass(frozen=True)
class Post:
    author: str
    text: str  # clean text, no HTML
    when: datetime | None
    is_topic: bool


def answered_post(activity: "Activity", draft: Draft) -> Post | None:
    """The entry (or topic) ``draft`` replies to, if the session holds it."""
    if draft.kind != "discussion_reply":
        return None
    current = activity.current
    if current is not None and current.topic.id == draft.topic_id and current.context_code == draft.context_code:
        if draft.entry_id:
            entry = current.view.find(draft.entry_id)
            if entry is not None:
                author = entry.user_name or current.view.participants.get(entry.user_id or -1, "")
                return Post(one_line(author) or "someone", html_to_text(entry.message), entry.created_at, False)
        else:
            topic = current.topic
            return Post(one_line(topic.author_name) or "someone", html_to_text(topic.message), topic.posted_at, True)
    for item in activity.items:
        if item.context_code == draft.context_code and item.topic_id == draft.topic_id \
                and (item.entry_id or None) == (draft.entry_id or None):
            return Post(one_line(item.author) or "someone", item.text, item.when, item.entry_id is None)
    return None
