"""Shared fixtures: a real sandbox server on loopback, and clients that talk to it over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs


@pytest.fixture
def sandbox():
    """A freshly seeded sandbox for one test, served on a free port of 127.0.0.1."""
    with RunningSandbox(Knobs(seed=1)) as running:
        yield running


@pytest.fixture
def make_sandbox():
    """Start sandboxes with chosen knobs; all are stopped after the test."""
    started: list[RunningSandbox] = []

    def make(**knobs) -> RunningSandbox:
        running = RunningSandbox(Knobs(**knobs)).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


def user_client(sandbox: RunningSandbox, role: str = "teacher", index: int = 0) -> httpx.Client:
    token = sandbox.info.token_of(role, index)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.fixture
def teacher(sandbox):
    with user_client(sandbox, "teacher") as client:
        yield client


@pytest.fixture
def student(sandbox):
    with user_client(sandbox, "student") as client:
        yield client
