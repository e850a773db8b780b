"""What the command palette (ctrl+p) offers: each command once, with its key in force, where it can act.

Textual's own list has "Keys" (its key panel) and "Quit"; ours has the help screen (every
key, remapped ones as remapped) and quit on ``q``. Two helps and two quits would be the same
command twice under two names, so Textual's pair gives way to ours; its Theme, Screenshot
and Maximize stay. The inbox's commands (archive, star, delete...) act on the conversation
under the list's cursor, so they are offered on the main screen only: in the composer that
conversation is hidden behind the draft, and the composer's own commands are offered instead.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Iterable, Iterator

from textual.app import SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen

from .keys import APP_KEYS, THREAD_KEYS, Key, display_key

if TYPE_CHECKING:
    from .app import InboxApp

REPLACED = ("Keys", "Quit")  # Textual's, covered by our help and quit
EVERYWHERE = ("help", "quit")  # ours that make sense on any screen


def commands(app: "InboxApp", screen: Screen, textual: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    from .screens.compose import ComposeScreen

    keys = app.current_keys()
    yield from (command for command in textual if command.title not in REPLACED)
    if screen is app.screen_stack[0]:
        yield from _from_keys(app, APP_KEYS, keys)
        if app.thread.conversation is not None:  # only with a thread open is there a message to move to
            yield from _from_keys(app.thread, [k for k in THREAD_KEYS if k.show], keys)
        return
    yield from _from_keys(app, [k for k in APP_KEYS if k.id in EVERYWHERE], keys)
    if isinstance(screen, ComposeScreen):
        yield from _from_bindings(screen, ComposeScreen.BINDINGS, keys)


def remap_help(key_id: str) -> str:
    """The line under a command: what the title does not say (the title already names the key).

    Textual reads a command's help as markup, where ``[keys]`` would be a tag and vanish: escaped."""
    return escape(f"its key is {key_id} in the config's [keys]")


def _from_keys(target, table: list[Key], keys: dict[str, str]) -> Iterator[SystemCommand]:
    for key in table:
        yield SystemCommand(f"{key.description} ({display_key(keys[key.id])})", remap_help(key.id),
                            partial(target.run_action, key.action))


def _from_bindings(screen: Screen, bindings: list[Binding], keys: dict[str, str]) -> Iterator[SystemCommand]:
    """A screen's own shown bindings; those with an id may be remapped by the config's [keys]."""
    for binding in bindings:
        if binding.show:
            key = keys.get(binding.id, binding.key) if binding.id else binding.key
            help = remap_help(binding.id) if binding.id else "in the composer"
            yield SystemCommand(f"{binding.description} ({display_key(key)})", help,
                                partial(screen.run_action, binding.action))
