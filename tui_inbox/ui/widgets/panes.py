"""The main screen's panes with the keys they listen for (ui/keys.py): the widgets themselves
know nothing of keys, so the table that the config remaps binds them here. Activity's pane is in
panels.py, with the others mounted after the first frame."""

from __future__ import annotations

from ..keys import LIST_KEYS, MOVE_KEYS, THREAD_KEYS, bindings
from .conversation_list import ConversationList
from .mailbox_rail import MailboxRail
from .thread_view import ThreadView


class InboxList(ConversationList):
    BINDINGS = bindings(LIST_KEYS)


class InboxThread(ThreadView):
    BINDINGS = bindings(THREAD_KEYS)


class InboxRail(MailboxRail):
    BINDINGS = bindings(MOVE_KEYS)
