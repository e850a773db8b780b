"""How much of a draft survives `kill -9` in the middle of steady typing.

Starts the real app, `tui-inbox demo --activity 0` (its sandbox school in the same process),
as its own process in a terminal of 100x32 (a pty; the app draws on it as on any terminal),
with `TUI_INBOX_DATA` pointing at a fresh temporary folder, so its drafts go to
`<folder>/demo-drafts.sqlite3` (account "demo"). Once the app has signed in and drawn its inbox
("Signed in as" on the status bar), `R` opens a reply to all on the conversation under the
cursor, and once the composer is drawn (its "everyone in the conversation" line), where the
body has the focus, the text is typed one key every `--every` seconds (0.1 s by default), 40
keys, written to the terminal as a user's keys are. (A reply, because its body has the focus
from the start: keys sent right after Tabs can reach a field before the focus has moved.)

What is measured: after the last key, wait `pause` seconds, send SIGKILL (nothing is closed or
flushed: a crash, a power cut of the app), then open the drafts file as the next start would
and count the characters of the stored body that match what was typed (the common prefix).
  - crash: killed at once after the last key (pause 0);
  - baseline: the same run with a pause of `--pause` seconds (2 s by default) before the kill:
    every save had time to run, so this is what the store can hold at best.
Each is run `--runs` times (3 by default), one after the other; every run is printed, and the
lowest of each. Goal: at least 30 of 40 after the crash.

Run from the repository: `python benchmarks/drafts_crash.py` (the worktree's tui_inbox is used:
the child's PYTHONPATH starts with this repository).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui_inbox.store.drafts import DraftStore  # noqa: E402

CHILD = "import sys; from tui_inbox.cli import main; sys.exit(main(['demo', '--activity', '0']))"
TEXT = "The lab is moved to Thursday at ten, bring goggles."[:40]
# Escape sequences (CSI, OSC, and two-byte ones): what is left is the text drawn.
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """A pty the app runs in; what the app draws is kept (escape sequences removed) to wait on."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = (100, 32)) -> None:
        master, slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.master = master
        # stdin, stdout and stderr all on the terminal: Textual draws on stderr.
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        self._drawn: list[str] = []
        self._lock = threading.Lock()
        # The app blocks once the pty's buffer is full: read all it writes, always.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the app is gone
                return
            if not chunk:
                return
            with self._lock:
                self._drawn.append(chunk.decode("utf-8", "replace"))

    @property
    def text(self) -> str:
        with self._lock:
            return ESCAPES.sub("", "".join(self._drawn))

    def wait_for(self, words: str, after: int = 0, timeout: float = 30.0) -> int:
        """Wait until ``words`` is drawn (after character ``after`` of the text); return where the text ends."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            if words in text[after:]:
                return len(text)
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited ({self.process.returncode}) before showing {words!r}: "
                                   f"{text[-300:]!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not show {words!r} within {timeout} s: {text[-300:]!r}")
            time.sleep(0.02)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(timeout=5)
        os.close(self.master)


def type_and_kill(folder: Path, text: str = TEXT, every: float = 0.1, pause: float = 0.0) -> None:
    """Type ``text`` into a reply in the real app (drafts in ``folder``), kill -9 it ``pause`` s after the last key."""
    env = {**os.environ, "TUI_INBOX_DATA": str(folder), "TERM": "xterm-256color",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop("TEXTUAL", None)  # no devtools
    terminal = Terminal([sys.executable, "-c", CHILD], env)
    try:
        seen = terminal.wait_for("Signed in as")
        terminal.type("R")
        terminal.wait_for("everyone in the conversation", after=seen)
        for key in text:
            terminal.type(key)
            time.sleep(every)  # the typing's rhythm is what is measured
        time.sleep(pause)
    finally:
        terminal.kill()


def kept(folder: Path, text: str = TEXT) -> int:
    """How many characters of ``text`` the stored draft starts with, read as the next start would."""
    store = DraftStore(folder / "demo-drafts.sqlite3", "demo")
    try:
        keys = store.keys()
        body = (store.load(keys[0]) or {}).get("body", "") if keys else ""
    finally:
        store.close()
    count = 0
    for typed, stored in zip(text, body):
        if typed != stored:
            break
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every", type=float, default=0.1, help="seconds between keys")
    parser.add_argument("--pause", type=float, default=2.0, help="the baseline's pause before the kill")
    args = parser.parse_args()
    compare({"crash (kill -9 at the last key)": 0.0, f"baseline (kill -9 {args.pause:g} s after)": args.pause},
            runs=args.runs, every=args.every, title="characters of the draft on disk after kill -9")
    return 0


def compare(pauses: dict[str, float], *, runs: int, every: float, title: str) -> dict[str, list[int]]:
    """Each case (its name: seconds from the last key to the kill) ``runs`` times, taking turns;
    prints every run and the lowest of each, and returns the counts."""
    total = len(TEXT)
    results: dict[str, list[int]] = {name: [] for name in pauses}
    for _ in range(runs):
        for name, pause in pauses.items():
            with tempfile.TemporaryDirectory() as folder:
                type_and_kill(Path(folder), every=every, pause=pause)
                results[name].append(kept(Path(folder)))
    print(f"{title}: {total} keys, one every {every:g} s, {runs} runs each")
    for name, counts in results.items():
        shown = "  ".join(f"{k}/{total}" for k in counts)
        print(f"  {name:36} lowest {min(counts):2}/{total}   runs: {shown}")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
