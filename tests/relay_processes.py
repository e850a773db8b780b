"""Real ``tui-inbox sandbox`` and ``tui-inbox relay`` processes on loopback, for the end-to-end tests.

Each process writes stdout and stderr to files in the test's folder (a pipe nobody reads
would fill up with the relay's log lines and stall it); its first stdout line, the JSON
of its URLs, is read by waiting for that file to hold a whole line. ``Processes`` stops
every process it started (SIGTERM, then SIGKILL) however the test ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.waiting import wait_until


class Process:
    def __init__(self, name: str, args: list[str], folder: Path, env: dict[str, str],
                 open_files: tuple[int, int] | None = None) -> None:
        """``open_files``: the (soft, hard) limit of open files the process starts with, as ``ulimit -n`` sets."""
        self.name = name
        self.out_path = folder / f"{name}.out"
        self.err_path = folder / f"{name}.err"

        def limit_files() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, open_files)

        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen([sys.executable, "-m", "tui_inbox.cli", *args], stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, env=env,
                                          preexec_fn=limit_files if open_files else None)

    def first_line(self, timeout: float = 20.0) -> dict:
        """The JSON line the command prints once it serves; fails with its stderr if it exits first."""
        def line() -> str | None:
            text = self.out_path.read_text(encoding="utf-8")
            if "\n" in text:
                return text.split("\n", 1)[0]
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.popen.returncode}: {self.stderr()[-2000:]}")
            return None

        return json.loads(wait_until(line, timeout=timeout, interval=0.02))

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            # Known now: a relay killed below could not stop the nats-server child it started.
            children = psutil.Process(self.popen.pid).children(recursive=True)
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
                for child in children:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        child.kill()
        return self.popen.returncode


class Processes:
    """Start commands (``start(name, *args)``); ``stop_all()`` ends each one still running."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, *args: str, open_files: tuple[int, int] | None = None, **env: str) -> Process:
        environment = {k: v for k, v in os.environ.items() if k != "TUI_INBOX_RELAY_ADMIN_TOKEN"}
        environment.update(env)
        process = Process(name, list(args), self.folder, environment, open_files)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()
