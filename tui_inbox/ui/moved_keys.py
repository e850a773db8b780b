"""A key the config's [keys] moved away, pressed out of habit: said once, with the key that does it now.

Textual ignores a key nothing listens for, so after ``archive = "e"`` a press of ``a`` did
nothing at all, and a remap looked like a broken key. The first press of such a key, where no
binding holds it now, says which key its action moved to; later presses stay quiet (the user
has been told, and a habit takes a few presses to change).
"""

from __future__ import annotations

from typing import Callable, Container

from .keys import ALL_KEYS, display_key, normal_keys


class MovedKeys:
    def __init__(self, keymap: dict[str, str]) -> None:
        self.keymap = keymap
        self.moved: dict[str, str] = {}  # a default key the config took away -> the id it belonged to
        for key in ALL_KEYS:
            if key.id in keymap:
                now = set(normal_keys(keymap[key.id]))
                for old in normal_keys(key.keys):
                    if old not in now:
                        self.moved.setdefault(old, key.id)
        self.descriptions = {key.id: key.description for key in ALL_KEYS}
        self.said: set[str] = set()

    def line_for(self, key: str, held: Callable[[], Container[str]]) -> str | None:
        """What to say about a press of ``key`` that reached the app, ``held()`` giving the keys some
        binding listens for where it was pressed (asked only for a moved key: every press of j
        comes here too); None when it is not a moved key, something holds it there, or it was said."""
        ident = self.moved.get(key)
        if ident is None or key in self.said or key in held():
            return None
        self.said.add(key)
        now = " or ".join(display_key(k) for k in self.keymap[ident].split(","))
        return (f"{display_key(key)} no longer does {ident} ({self.descriptions[ident]}): "
                f"the config's [keys] moved it to {now}.")
