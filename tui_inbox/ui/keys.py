"""Every key of the app in one table: default keys, binding ids (what ``[keys]`` remaps), help text.

The config's ``[keys]`` table maps these ids to other keys (``archive = "e"``); the help
screen and the command palette read this table, so they always show the keys in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import KEY_ALIASES, REPLACED_KEYS, Keys, _character_to_key, _normalize_key_list, key_to_character


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    description: str
    show: bool = True
    group: str = "Inbox"
    priority: bool = False  # before the focused widget's own keys (the composer's text fields)


APP_KEYS = [
    Key("compose", "c", "compose", "Compose a new message", group="Write"),
    Key("reply", "r", "reply", "Reply", group="Write"),
    Key("reply_all", "R", "reply_all", "Reply all", group="Write"),
    Key("forward", "f", "forward", "Forward", group="Write"),
    Key("add_people", "plus", "add_people", "Add people to a group conversation", group="Write"),
    Key("open_sent", "O", "open_sent", "Open the conversation the last message went into", group="Write"),
    Key("star", "s", "star", "Star or unstar"),
    Key("archive", "a", "archive", "Archive or unarchive"),
    Key("read", "m", "toggle_read", "Mark read or unread (keeps an opened one unread)"),
    Key("delete", "d", "delete", "Delete (asks first)"),
    Key("mute", "z", "mute", "Mute or unmute a group conversation"),
    Key("search", "slash", "search", "Narrow this view by a pattern (words, is:unread, from:jane, ...)"),
    # S: free everywhere (s stars); ctrl+f is page down in the list and the thread.
    Key("search_everywhere", "S", "search_everywhere",
        "Search everywhere: every message's words, across all mailboxes"),
    Key("select", "x,space", "select", "Select or unselect the row", group="Select"),
    Key("visual", "V", "visual", "Select a range: start here, extend with j/k, V again to stop", group="Select"),
    Key("select_all", "asterisk", "select_all", "Select everything in this view", group="Select"),
    Key("select_pattern", "T", "select_pattern", "Select by pattern", group="Select"),
    Key("mark_all_read", "M", "mark_all_read", "Mark everything read (asks first)"),
    Key("repeat", "full_stop", "repeat", "Repeat the last action on the selection"),
    Key("undo", "u", "undo", "Undo an archive, star, read or mute change"),
    Key("mailbox_1", "1", "mailbox('inbox')", "Inbox", show=False, group="Mailboxes"),
    Key("mailbox_2", "2", "mailbox('unread')", "Unread", show=False, group="Mailboxes"),
    Key("mailbox_3", "3", "mailbox('starred')", "Starred", show=False, group="Mailboxes"),
    Key("mailbox_4", "4", "mailbox('sent')", "Sent", show=False, group="Mailboxes"),
    Key("mailbox_5", "5", "mailbox('archived')", "Archived", show=False, group="Mailboxes"),
    Key("mailbox_6", "6", "mailbox('activity')", "Activity: discussions and announcements", show=False,
        group="Mailboxes"),
    Key("mailbox_7", "7", "mailbox('outbox')", "Outbox: what waits for Canvas (Enter edits, d drops)", show=False,
        group="Mailboxes"),
    Key("mailbox_8", "8", "mailbox('drafts')", "Drafts: what you wrote and did not send (Enter reopens, d discards)",
        show=False, group="Mailboxes"),
    Key("next_account", "A", "next_account", "Several accounts: show one account, then the next, then all again",
        group="Mailboxes"),
    # b: free in the list, the thread, Activity and the rail (ctrl+b there is page up); the
    # composer's fields take printable keys first, so it never fires while typing.
    Key("rail", "b", "toggle_rail", "Hide or show the mailbox rail (1-6 switch mailboxes either way)",
        group="Mailboxes"),
    Key("attachments", "o", "attachments", "Open an attachment or media comment", group="Read"),
    Key("thread_order", "t", "thread_order", "Thread order: oldest or newest first", group="Read"),
    # From the list or from inside a thread: the focus stays where it is, the thread follows.
    Key("next_conversation", "n", "next_conversation", "Open the next conversation (or Activity item)", group="Read"),
    Key("previous_conversation", "p", "previous_conversation", "Open the previous conversation (or Activity item)",
        group="Read"),
    Key("next_unread", "N", "next_unread", "Open the next unread conversation (or new Activity item)", group="Read"),
    Key("open_web", "w", "open_web", "Open the conversation or discussion in Canvas in the browser", group="Read"),
    Key("inbox_settings", "comma", "inbox_settings", "Inbox Settings: signature and out of office (account in focus)",
        group="App"),
    Key("refresh", "ctrl+r", "refresh", "Refresh", group="App"),
    Key("help", "question_mark", "help", "Help: every key", group="App"),
    Key("quit", "q", "quit", "Quit", group="App"),
    Key("messages", "L", "messages", "Messages log: every status line and notice, whole", group="App"),
]
MESSAGES_KEY = next(k for k in APP_KEYS if k.id == "messages")  # its screen closes with it too

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
    Key("next_message", "J", "next_message", "Next message in the thread", group="Read"),
    Key("previous_message", "K", "previous_message", "Previous message in the thread", group="Read"),
    # In the thread pane d deletes the message under the cursor; in the list it deletes the conversation.
    Key("delete_message", "d", "app.delete_message", "Delete the message under the cursor",
        group="Read"),
    Key("thread_top", "g,home", "first", "Top of the thread (first message)", show=False, group="Read"),
    Key("thread_bottom", "G,end", "last", "End of the thread (last message)", show=False, group="Read"),
    Key("thread_page_down", "pagedown,ctrl+f", "page_down", "Scroll the thread a page down", show=False,
        group="Read"),
    Key("thread_page_up", "pageup,ctrl+b", "page_up", "Scroll the thread a page up", show=False, group="Read"),
]

# The Activity list and the rail move as the conversation list does: the same ids, so one
# [keys] entry (down = "ctrl+n") remaps moving in every list.
MOVE_KEYS = [k for k in LIST_KEYS if k.group == "Move"]

PANE_KEYS = [
    Key("next_pane", "tab", "focus_next", "Next pane", show=False, group="Move"),
    Key("previous_pane", "shift+tab", "focus_previous", "Previous pane", show=False, group="Move"),
]

# Keys the app listens for that the command palette does not offer as commands: Esc goes back
# from wherever one is, and ctrl+p opens the palette itself (Textual adds its own ctrl+p
# binding only when the app has none, and without an id it could not be remapped).
APP_ONLY_KEYS = [
    Key("back", "escape", "escape", "Back: close the pattern prompt, clear the selection, leave the thread",
        show=False, group="Select"),
    Key("command_palette", "ctrl+p", "command_palette", "Command palette: find any action by name", show=False,
        group="App", priority=True),
]

# In the composer, where every printable key and most ctrl keys edit text: ctrl+g is
# free in Input and TextArea (ctrl+d there deletes forward). Send, $EDITOR and the two below
# come first, before a text field reads the key; Esc does not, so an open Select list closes first.
COMPOSE_KEYS = [
    Key("send", "ctrl+s", "send", "Send (in the composer)", group="Write", priority=True),
    Key("editor", "ctrl+e", "editor", "Edit the body in $EDITOR (in the composer)", group="Write", priority=True),
    Key("close_composer", "escape", "close", "Close the composer, keeping the draft", group="Write"),
    Key("clear_to", "ctrl+l", "clear_to", "Clear the To field (in the composer)", group="Write"),
    Key("drop_attachment", "ctrl+t", "drop_attachment", "Drop the last attachment (in the composer)", group="Write"),
    Key("discard_draft", "ctrl+g", "discard_draft", "Discard the draft (asks first; in the composer)", group="Write",
        priority=True),
    Key("quote", "ctrl+o", "quote", "Quote the message answered into the reply (in the composer)", group="Write",
        priority=True),
]


def bindings(keys: list[Key]) -> list[Binding]:
    return [Binding(k.keys, k.action, k.description, show=k.show, id=k.id, priority=k.priority) for k in keys]


ALL_KEYS = APP_KEYS + LIST_KEYS + THREAD_KEYS + PANE_KEYS + APP_ONLY_KEYS + COMPOSE_KEYS
KEY_IDS = {k.id for k in ALL_KEYS}


def display_key(keys: str) -> str:
    names = {"asterisk": "*", "full_stop": ".", "space": "Space", "plus": "+", "slash": "/", "question_mark": "?", "enter": "Enter", "escape": "Esc", "tab": "Tab",
             "shift+tab": "Shift+Tab", "pagedown": "PgDn", "pageup": "PgUp", "down": "↓", "up": "↑", "home": "Home",
             "end": "End"}
    return " ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def unknown_ids(keymap: dict[str, str]) -> list[str]:
    return [name for name in keymap if name not in KEY_IDS]


# -- checking a [keys] table before the app starts ----------------------------------------
# Textual accepts any string as a key and any two bindings on one key, so a typo ("dd") or a
# key another action already holds would silently never fire. These say which, and why.

MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual names them in this order
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and k.value.isidentifier())


def _is_printable_key_name(name: str) -> bool:
    """``full_stop``, ``question_mark``, ``plus``: the names Textual gives printable characters."""
    character = key_to_character(REPLACED_KEYS.get(name, name))
    return bool(character) and character.isprintable() and _character_to_key(character) == name


def key_problem(key: str) -> str | None:
    """Why one key (``ctrl+x``, ``f5``, ``a``, ``escape``) can never fire, or None when it can."""
    *modifiers, base = key.split("+")
    if not base:
        return "has an empty key name (a + key is written plus)"
    if len(set(modifiers)) != len(modifiers) or any(m not in MODIFIERS for m in modifiers):
        return f"has an unknown modifier (use {', '.join(MODIFIERS)})"
    if modifiers != sorted(modifiers):
        return f"names its modifiers out of order: Textual writes it {'+'.join(sorted(modifiers) + [base])}"
    if len(base) == 1:
        return None if base.isprintable() and not base.isspace() else "is not a printable character"
    if base in NAMED_KEYS or _is_printable_key_name(base):
        return None
    return "is not a key name (a single key like a, ctrl+x, f5, escape, pagedown or question_mark)"


def normal_keys(keys: str) -> list[str]:
    """The key names as Textual matches them: ``?`` is ``question_mark``, ``ctrl+i`` is ``tab``."""
    aliases = {alias: key for key, names in KEY_ALIASES.items() for alias in names}
    out = []
    for key in _normalize_key_list(keys).split(","):
        out.append(aliases.get(key, key))
    return out


def keys_problem(binding_id: str, keys: str) -> str | None:
    """Why ``[keys] binding_id = keys`` could never fire, as the end of a sentence, or None."""
    if not keys.strip():
        return f'[keys] {binding_id} is empty; give it a key, e.g. {binding_id} = "x", or leave it out'
    for key in (part.strip() for part in keys.split(",")):
        if not key:
            return f'[keys] {binding_id} = "{keys}" has an empty entry; separate keys with single commas'
        problem = key_problem(key)
        if problem:
            return f'[keys] {binding_id} = "{keys}": {key!r} {problem}'
    return None


def keymap_clash(keymap: dict[str, str], scopes: dict[str, list[Binding]]) -> str | None:
    """The first key two actions would share once ``keymap`` applies, in a scope where both listen.

    ``scopes`` names each place (the list, the thread, the composer) with every binding active
    there (a binding is known by its id, so "j,down" split in two is still one). Keys the defaults already share on purpose (the
    composer's own Tab over the app's) are not clashes, so a clash always has a remapped side.
    """
    for scope, scope_bindings in scopes.items():
        defaults = _holders(scope_bindings, {})
        for key, holders in _holders(scope_bindings, keymap).items():
            new = [name for name in holders if name not in defaults.get(key, {})]
            if len(holders) < 2 or not new:
                continue
            mine = new[0]  # a binding holds a key it did not hold by default only when remapped
            others = [name for name in holders if name != mine]
            other = next((name for name in others if not name.startswith("'")), others[0])  # an id first
            return (f'[keys] {mine} = "{keymap[mine]}": {key} already does {other}{holders[other]} in {scope}; '
                    "choose another key (`tui-inbox keys` lists those in use)")
    return None


def _holders(scope_bindings: list[Binding], keymap: dict[str, str]) -> dict[str, dict[str, str]]:
    """key -> {name: " (what it does)"} of each binding listening for it."""
    holders: dict[str, dict[str, str]] = {}
    for binding in scope_bindings:
        keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
        name = binding.id or repr(binding.description or binding.action)
        what = f" ({binding.description})" if binding.id and binding.description else ""
        for key in normal_keys(keys):
            holders.setdefault(key, {})[name] = what
    return holders
