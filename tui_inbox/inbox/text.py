"""Making server text safe and readable in a terminal.

Whatever a server sends (subjects, bodies, names, file names) is shown as text. These
functions strip what a terminal would act on: escape sequences (colours, cursor moves,
window titles, hyperlinks) and control characters. Rich/Textual markup such as
``[@click=app.quit]`` needs no escaping here because the UI never parses server text as
markup; it builds ``rich.text.Text`` objects from it.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, and C1 CSI/OSC.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None) -> str:
    """Text without escape sequences or control characters; newlines and tabs kept."""
    if not text:
        return ""
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).replace("\t", "    ")


def one_line(text: str | None) -> str:
    """Cleaned, with every run of whitespace (newlines too) folded into one space."""
    return " ".join(clean(text).split())


def html_to_text(markup: str | None) -> str:
    """Discussion posts arrive as HTML: their text, with paragraphs kept, nothing interpreted."""
    if not markup:
        return ""
    # Imported here: html.parser is for a thread's text, not for a start's first frame of rows.
    from .html_text import raw_text

    raw = raw_text(markup)
    lines = [" ".join(line.split()) for line in clean(raw).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
