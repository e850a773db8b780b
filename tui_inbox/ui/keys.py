"""Every key of the app in one table: default keys, binding ids (what ``[keys]`` remaps), help text.

The config's ``[keys]`` table maps these ids to other keys (``archive = "e"``); the help
screen and the command palette read this table, so they always show the keys in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    description: str
    show: bool = True
    group: str = "Inbox"


APP_KEYS = [
    Key("compose", "c", "compose", "Compose a new message", group="Write"),
    Key("reply", "r", "reply", "Reply", group="Write"),
    Key("reply_all", "R", "reply_all", "Reply all", group="Write"),
    Key("forward", "f", "forward", "Forward", group="Write"),
    Key("add_people", "plus", "add_people", "Add people to a group conversation", group="Write"),
    Key("star", "s", "star", "Star or unstar"),
    Key("archive", "a", "archive", "Archive or unarchive"),
    Key("read", "m", "toggle_read", "Mark read or unread (keeps an opened one unread)"),
    Key("delete", "d", "delete", "Delete (asks first)"),
    Key("search", "slash", "search", "Narrow this view by a pattern (words, is:unread, from:jane, ...)"),
    Key("select", "x,space", "select", "Select or unselect the row", group="Select"),
    Key("visual", "V", "visual", "Select a range: start here, extend with j/k, V again to stop", group="Select"),
    Key("select_all", "asterisk", "select_all", "Select everything in this view", group="Select"),
    Key("select_pattern", "T", "select_pattern", "Select by pattern", group="Select"),
    Key("mark_all_read", "M", "mark_all_read", "Mark everything read (asks first)"),
    Key("repeat", "full_stop", "repeat", "Repeat the last action on the selection"),
    Key("undo", "u", "undo", "Undo the last archive, star or read change"),
    Key("mailbox_1", "1", "mailbox('inbox')", "Inbox", show=False, group="Mailboxes"),
    Key("mailbox_2", "2", "mailbox('unread')", "Unread", show=False, group="Mailboxes"),
    Key("mailbox_3", "3", "mailbox('starred')", "Starred", show=False, group="Mailboxes"),
    Key("mailbox_4", "4", "mailbox('sent')", "Sent", show=False, group="Mailboxes"),
    Key("mailbox_5", "5", "mailbox('archived')", "Archived", show=False, group="Mailboxes"),
    Key("mailbox_6", "6", "mailbox('activity')", "Activity: discussions and announcements", show=False,
        group="Mailboxes"),
    Key("attachments", "o", "attachments", "Download and open an attachment", group="Read"),
    Key("thread_order", "t", "thread_order", "Thread order: oldest or newest first", group="Read"),
    Key("refresh", "ctrl+r", "refresh", "Refresh", group="App"),
    Key("help", "question_mark", "help", "Help: every key", group="App"),
    Key("quit", "q", "quit", "Quit", group="App"),
]

LIST_KEYS = [
    Key("down", "j,down", "cursor_down", "Next conversation", show=False, group="Move"),
    Key("up", "k,up", "cursor_up", "Previous conversation", show=False, group="Move"),
    Key("top", "g,home", "first", "First conversation", show=False, group="Move"),
    Key("bottom", "G,end", "last", "Last conversation", show=False, group="Move"),
    Key("page_down", "pagedown,ctrl+f", "page_down", "Page down", show=False, group="Move"),
    Key("page_up", "pageup,ctrl+b", "page_up", "Page up", show=False, group="Move"),
    Key("open", "enter", "open", "Open the conversation", group="Read"),
]

THREAD_KEYS = [
    Key("thread_down", "j,down", "scroll_down", "Scroll the thread down", show=False, group="Read"),
    Key("thread_up", "k,up", "scroll_up", "Scroll the thread up", show=False, group="Read"),
]

PANE_KEYS = [
    Key("next_pane", "tab", "focus_next", "Next pane", show=False, group="Move"),
    Key("previous_pane", "shift+tab", "focus_previous", "Previous pane", show=False, group="Move"),
]

# In the composer, where every printable key and most ctrl keys edit text: ctrl+g is
# free in Input and TextArea (ctrl+d there deletes forward).
COMPOSE_KEYS = [
    Key("discard_draft", "ctrl+g", "discard_draft", "Discard the draft (asks first; in the composer)", group="Write"),
]


def bindings(keys: list[Key], priority: bool = False) -> list[Binding]:
    return [Binding(k.keys, k.action, k.description, show=k.show, id=k.id, priority=priority) for k in keys]


ALL_KEYS = APP_KEYS + LIST_KEYS + THREAD_KEYS + PANE_KEYS + COMPOSE_KEYS
KEY_IDS = {k.id for k in ALL_KEYS}


def display_key(keys: str) -> str:
    names = {"asterisk": "*", "full_stop": ".", "space": "Space", "plus": "+", "slash": "/", "question_mark": "?", "enter": "Enter", "escape": "Esc", "tab": "Tab",
             "shift+tab": "Shift+Tab", "pagedown": "PgDn", "pageup": "PgUp", "down": "↓", "up": "↑", "home": "Home",
             "end": "End"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def unknown_ids(keymap: dict[str, str]) -> list[str]:
    return [name for name in keymap if name not in KEY_IDS]
