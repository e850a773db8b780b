"""Opening a downloaded file or a web link with the system's own program (xdg-open, open, start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")


class UnsafeLink(ValueError):
    """A link the opener will not hand on: not http(s), or not one clean line."""


def open_with_system(path: Path) -> bool:
    """Hand the file to the desktop's opener; False where there is none (a server, CI)."""
    return _hand_over(str(path))


def checked_link(url: str) -> str:
    """``url`` if it is an http(s) link with a host; otherwise UnsafeLink, in one line.

    The link comes from the server: ``file:``, ``javascript:`` or a custom scheme would make
    the desktop open a local file or start some program, and a leading ``-`` would be read as
    an option by xdg-open.
    """
    shown = "".join(ch if ch.isprintable() else "?" for ch in url)[:120]
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise UnsafeLink(f"Not opening the link {shown!r}: it holds spaces or control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        raise UnsafeLink(f"Not opening the link {shown!r}: only http(s) links to a host are opened.")
    return url


def open_url(url: str) -> bool:
    """Hand an http(s) link to the desktop's browser; False where there is none (a server, CI).

    Anything else raises UnsafeLink before any program is started."""
    return _hand_over(checked_link(url))


def _hand_over(target: str) -> bool:
    try:
        if sys.platform == "darwin":
            command = ["open", target]
        elif os.name == "nt":
            os.startfile(target)  # type: ignore[attr-defined]
            return True
        else:
            opener = shutil.which("xdg-open")
            if opener is None or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
                return False
            command = [opener, target]
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return True
    except OSError:
        return False


def desktop_notification(title: str, message: str) -> bool:
    """A desktop notification through notify-send (Linux) or osascript (macOS), if there is one."""
    try:
        if sys.platform == "darwin":
            script = f"display notification {json_string(message)} with title {json_string(title)}"
            subprocess.Popen(["osascript", "-e", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return True
        sender = shutil.which("notify-send")
        if sender is None:
            return False
        # Arguments, not a shell: the message (server text) cannot run anything.
        subprocess.Popen([sender, title, message], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return True
    except OSError:
        return False


def json_string(text: str) -> str:
    import json

    return json.dumps(text)
