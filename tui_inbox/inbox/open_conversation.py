"""The conversation open in the thread pane: one holder, shared by the parts that show or change it."""

from __future__ import annotations

from dataclasses import dataclass

from ..canvas.models import Conversation


@dataclass
class OpenConversation:
    conversation: Conversation | None = None

    def of(self, conversation_id: int | None) -> Conversation | None:
        """The open conversation if it is this one, else None."""
        current = self.conversation
        return current if current is not None and current.id == conversation_id else None
