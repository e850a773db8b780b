"""The account's facts: who is signed in, their courses and groups, and the unread count."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..canvas.models import Conversation, Course, Group, User


@dataclass
class Account:
    me: User | None = None
    courses: list[Course] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    unread_count: int | None = None

    @property
    def me_id(self) -> int:
        return self.me.id if self.me else 0

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
