"""The $EDITOR round trip: the app hands the terminal to the user's editor and takes the text back.

The command and the private file are the core's (inbox/editor_file.py); what is here needs the
app, which must be suspended while the editor owns the terminal.
"""

from __future__ import annotations

import subprocess
from contextlib import AbstractContextManager
from typing import Any, Callable

from textual.app import SuspendNotSupported

from ..inbox.editor_file import EditorError, EditorFile, editor_argv, editor_command

__all__ = ["EditorError", "edit_externally", "editor_command"]


def edit_externally(text: str, command: str, suspend: Callable[[], AbstractContextManager[Any]]) -> str:
    """Let the user edit ``text`` in ``command`` (run while the app is suspended); return the new text."""
    argv = editor_argv(command)
    with EditorFile(text) as file:
        try:
            with suspend():
                result = subprocess.run([*argv, str(file.path)])
        except SuspendNotSupported:
            raise EditorError("This terminal cannot hand the screen to an editor; the text is unchanged.") from None
        except OSError as error:
            raise EditorError(f"Could not start the editor {argv[0]!r}: {error.strerror or error}; the text is unchanged.") from None
        if result.returncode != 0:
            raise EditorError(f"The editor {argv[0]!r} exited with status {result.returncode}; the text is unchanged.")
        return file.read()
