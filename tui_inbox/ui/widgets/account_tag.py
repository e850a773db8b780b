"""An account's tag on an item of a panel (the Outbox, Drafts, search everywhere's hits): its name,
in the colour the conversation list gives the same account's rows, so one account looks the same
everywhere. With one account there is no tag: every line is as it was before accounts."""

from __future__ import annotations

from typing import Callable

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from .conversation_list import TAG_COLOURS, TAG_MAX
from .conversation_row import fit

# The theme's colours in the conversation list's order (conversation_list.py's DEFAULT_CSS).
COLOURS = ("$primary", "$secondary", "$success", "$warning", "$error")


def tag_classes(prefix: str) -> set[str]:
    """The component classes a widget declares for its tags (``{prefix}--tag-N``)."""
    return {f"{prefix}--tag-{number}" for number in range(TAG_COLOURS)}


def tag_css(selector: str, prefix: str) -> str:
    """The widget's DEFAULT_CSS for its tags' colours."""
    return "\n".join(f"{selector} > .{prefix}--tag-{number} {{ color: {colour}; text-style: bold; }}"
                     for number, colour in enumerate(COLOURS))


class AccountTags:
    """Which colour each account's tag takes (its place in the config), and how wide tags are."""

    def __init__(self, names: list[str] | None = None) -> None:
        names = list(names or [])
        self.numbers = {name: number for number, name in enumerate(names)} if len(names) > 1 else {}
        self.width = min(TAG_MAX, max(map(cell_len, names))) + 1 if self.numbers else 0

    def __bool__(self) -> bool:
        return bool(self.numbers)

    def append(self, text: Text, account: str, style_of: Callable[[str], Style], prefix: str) -> None:
        """The account's tag, fitted to the tags' width, in its colour (nothing with one account).
        The name is the user's own (the config's), still appended as text, never markup."""
        if not self.numbers:
            return
        number = self.numbers.get(account, 0) % TAG_COLOURS
        text.append(fit(account, self.width - 1) + " ", style=style_of(f"{prefix}--tag-{number}"))
