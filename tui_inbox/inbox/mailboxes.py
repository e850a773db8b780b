"""The mailboxes of the rail: Canvas's scopes, named as a user knows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mailbox:
    id: str
    label: str
    scope: str | None  # the Canvas scope; None for mailboxes that are not conversation scopes

    def contains(self, workflow_state: str, starred: bool) -> bool:
        """Whether a conversation in this state belongs here (for moving rows after an action)."""
        if self.id == "inbox":
            return workflow_state != "archived"
        if self.id == "unread":
            return workflow_state == "unread"
        if self.id == "starred":
            return starred
        if self.id == "archived":
            return workflow_state == "archived"
        return True  # sent holds everything the user wrote, whatever its state


INBOX = Mailbox("inbox", "Inbox", "inbox")
UNREAD = Mailbox("unread", "Unread", "unread")
STARRED = Mailbox("starred", "Starred", "starred")
SENT = Mailbox("sent", "Sent", "sent")
ARCHIVED = Mailbox("archived", "Archived", "archived")
ACTIVITY = Mailbox("activity", "Activity", None)  # discussions and announcements, not conversations
MAILBOXES = (INBOX, UNREAD, STARRED, SENT, ARCHIVED, ACTIVITY)
# What waits for Canvas (inbox/outbox.py): on the rail only while it holds something.
OUTBOX = Mailbox("outbox", "Outbox", None)
# What the user wrote and did not send (inbox/drafts_box.py): on the rail only while it holds something.
DRAFTS = Mailbox("drafts", "Drafts", None)
# Every mailbox in the order of its number key (1 ... 8), whether the rail shows it or not.
NUMBERED = MAILBOXES + (OUTBOX, DRAFTS)
BY_ID = {m.id: m for m in NUMBERED}
