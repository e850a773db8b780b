"""The text handed to an external editor ($VISUAL, $EDITOR): which command, and the file it edits.

The file holds a message, so nobody else on the machine may read it: it is made 0600 in a
folder of its own made 0700 (a file alone in the shared temporary folder could be swapped or
watched by name), and both are gone once the text is read back. Running the editor suspends
the app, and lives beside it (ui/external_editor.py).
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Mapping


class EditorError(Exception):
    """The external editor could not be used; the message says why, in words for the user."""


def editor_command(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("VISUAL") or environ.get("EDITOR") or "vi"


def editor_argv(command: str) -> list[str]:
    """The editor command as a program and its arguments (a shell's quoting, no shell)."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise EditorError(f"Cannot read the editor command {command!r}: {error}.") from None
    if not argv:
        raise EditorError("No editor is set ($EDITOR is empty).")
    return argv


class EditorFile:
    """``with EditorFile(text) as file:`` the text in a private file (``file.path``) for the editor;
    ``file.read()`` gives it back as a message; leaving the block deletes file and folder."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folder: Path | None = None
        self.path = Path()

    def __enter__(self) -> "EditorFile":
        self.folder = Path(tempfile.mkdtemp(prefix="tui-inbox-"))  # made 0700
        self.path = self.folder / "tui-inbox-message.txt"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # A text file ends with a newline: editors otherwise warn, or add one themselves.
            handle.write(self.text if self.text.endswith("\n") else self.text + "\n")
        return self

    def read(self) -> str:
        edited = self.path.read_text(encoding="utf-8", errors="replace")
        # The file's last newline is the file's, not the message's: a body does not end with one.
        return edited.rstrip("\r\n")

    def __exit__(self, *exc) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
