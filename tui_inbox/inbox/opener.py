"""Opening a downloaded file with the system's own program (xdg-open, open, start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def open_with_system(path: Path) -> bool:
    """Hand the file to the desktop's opener; False where there is none (a server, CI)."""
    try:
        if sys.platform == "darwin":
            command = ["open", str(path)]
        elif os.name == "nt":
            os.startfile(str(path))  # type: ignore[attr-defined]
            return True
        else:
            opener = shutil.which("xdg-open")
            if opener is None or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
                return False
            command = [opener, str(path)]
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
