"""How the app itself matches what is typed against names: without case or accents.

Canvas's recipient search matches the letters as typed ("zoe" does not find "Zoë"); the
matching the app does on its own (courses, the "Students in ..." groups, people it already
knows from loaded conversations) folds both sides, so a name can be typed without its accents.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` without case or accents: "Zoë Müller" -> "zoe muller", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words_of(query: str) -> list[str]:
    return fold(query).split()


def matches(words: list[str], *names: str) -> bool:
    """Whether every typed word is in one of the names (as Canvas's search treats each word)."""
    folded = [fold(name) for name in names if name]
    return bool(words) and all(any(word in name for name in folded) for word in words)
