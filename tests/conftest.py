"""Shared fixtures: a real sandbox server on loopback, and clients that talk to it over HTTP."""

from __future__ import annotations

import pickle

import httpx
import keyring
import pytest
from keyring.backends import fail

from tui_inbox.canvas.http import tls_context
from tui_inbox.relay.nats_child import NatsChild
from tui_inbox.sandbox.server import RunningSandbox
from tui_inbox.sandbox.state import Knobs


@pytest.fixture
def sandbox():
    """A freshly seeded sandbox for one test, served on a free port of 127.0.0.1."""
    with RunningSandbox(Knobs(seed=1)) as running:
        yield running


def _contents(state) -> bytes:
    """Everything a request can change in a sandbox, as bytes (its clock's functions and the
    listing cache a read fills left out)."""
    parts = []
    for name in ("world", "conversations", "progress", "files", "discussions", "batches", "knobs"):
        part = getattr(state, name)
        if hasattr(part, "__dict__"):
            part = {key: value for key, value in vars(part).items()
                    if not callable(value) and not key.endswith("_cache")}
        parts.append(part)
    return pickle.dumps(parts)


@pytest.fixture(scope="session")
def _one_sandbox_per_worker():
    with RunningSandbox(Knobs(seed=1)) as running:
        yield running


@pytest.fixture
def shared_sandbox(_one_sandbox_per_worker):
    """The seed-1 sandbox shared by every test of this worker that only reads it: as ``sandbox``
    without its start. A test that changes it fails here, and takes ``sandbox`` (its own) instead."""
    running = _one_sandbox_per_worker
    before = running.call(_contents, running.state)
    yield running
    assert running.call(_contents, running.state) == before, "this test changed the shared sandbox: give it its own"


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


@pytest.fixture
def nats_server(tmp_path):
    """A real nats-server with JetStream, its store in the test's folder (so a test can restart it)."""
    child = NatsChild(store_dir=tmp_path / "nats").start()
    yield child
    child.stop()


@pytest.fixture
def no_keyring():
    """This process finds no keyring, as on a headless server: a sign-in's secrets go to the 0600 file."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def user_client(sandbox: RunningSandbox, role: str = "teacher", index: int = 0) -> httpx.Client:
    token = sandbox.info.token_of(role, index)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10,
                        verify=tls_context(True))  # made once: each client loading the certificates cost 20 ms


@pytest.fixture
def teacher(sandbox):
    with user_client(sandbox, "teacher") as client:
        yield client


@pytest.fixture
def student(sandbox):
    with user_client(sandbox, "student") as client:
        yield client


# -- deterministic UI (snapshots and journeys) ---------------------------------------------------------

import os
import time
from datetime import datetime, timezone

FIXED_NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def utc():
    """TZ=UTC for the test (dates on screen are local), restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def fixed_sandbox(make_sandbox):
    """The seed-1 sandbox with its clock starting at ``FIXED_NOW``: seeded timestamps never move."""
    return make_sandbox(seed=1, now=FIXED_NOW)


@pytest.fixture
def make_inbox_app(fixed_sandbox, tmp_path, utc):
    """Build the real app against ``fixed_sandbox`` (or another sandbox), clock fixed to ``FIXED_NOW``.

    No feed (the status bar says offline), drafts in ``tmp_path``, no account label, and a
    fixed downloads folder: nothing on screen depends on the machine, the port or the time.
    """
    from pathlib import Path

    from tui_inbox.canvas import CanvasClient
    from tui_inbox.inbox.session import InboxSession
    from tui_inbox.store.drafts import DraftStore
    from tui_inbox.ui.app import InboxApp

    stores: list[DraftStore] = []

    def make(*, sandbox=None, token: str | None = None, keymap: dict[str, str] | None = None, **kwargs) -> InboxApp:
        running = sandbox or fixed_sandbox
        client = CanvasClient(running.base_url, token or running.info.token_of("teacher"))
        store = DraftStore(tmp_path / f"drafts-{len(stores)}.sqlite3", "acct")
        stores.append(store)
        session = InboxSession(client, drafts=store, clock=lambda: FIXED_NOW)
        kwargs.setdefault("downloads", Path("/downloads"))
        kwargs.setdefault("clock", lambda: FIXED_NOW)
        return InboxApp(session, keymap=keymap, **kwargs)

    yield make
    for store in stores:
        store.close()


# -- driving the app with a pilot (the UI snapshot and journey tests) ----------------------------------------

def no_blink(app) -> None:
    """A blinking cursor is on or off depending on when the picture is taken: keep it steady."""
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False


async def settle(pilot) -> None:
    """Every worker done, every background page loaded, the screen repainted."""
    app = pilot.app
    await app.workers.wait_for_complete()
    for member in app.accounts:  # every account's background pages
        await member.session.wait_loaded()
    await app.workers.wait_for_complete()
    await pilot.pause()
    no_blink(app)
    await pilot.pause()


async def ready(pilot) -> None:
    """Signed in, the inbox and the unread count loaded (every page of it), nothing running."""
    from tests.waiting import async_wait_until

    app = pilot.app
    await async_wait_until(lambda: app.session.me is not None and app.session.view.loaded
                           and app.session.unread_count is not None and not app.status.running)
    await settle(pilot)


def row_index(app, subject_start: str) -> int:
    """Where the first row whose subject starts with ``subject_start`` is in the list."""
    from tui_inbox.inbox.text import one_line

    for index, row in enumerate(app.list.rows):
        if one_line(row.subject or "").startswith(subject_start):
            return index
    raise AssertionError(f"no row starts with {subject_start!r}")


async def move_to(pilot, index: int) -> None:
    """Move the list's cursor with keys: to the top, then down."""
    await press_quickly(pilot, "g", *["j"] * index)
    assert pilot.app.list.cursor == index


async def open_row(pilot, subject_start: str) -> int:
    """Move to the conversation with keys, open it with Enter; returns its id once the thread shows it."""
    from tests.waiting import async_wait_until

    app = pilot.app
    index = row_index(app, subject_start)
    await move_to(pilot, index)
    wanted = app.list.rows[index].id
    await pilot.press("enter")
    await async_wait_until(lambda: app.session.current is not None and app.session.current.id == wanted
                           and app.thread.conversation is not None and app.thread.conversation.id == wanted)
    await settle(pilot)
    return wanted


async def open_composer(pilot, key: str):
    from tests.waiting import async_wait_until
    from tui_inbox.ui.screens.compose import ComposeScreen

    await pilot.press(key)
    screen = await async_wait_until(lambda: pilot.app.screen if isinstance(pilot.app.screen, ComposeScreen) else None)
    await settle(pilot)
    return screen


async def press_quickly(pilot, *keys: str) -> None:
    """Press ``keys`` as ``pilot.press`` does (each a key event routed through the app's bindings
    to the focused widget, in order), but as fast as a paste or a held key: ``pilot.press`` waits
    for the process to go idle after every key (two 20 ms sleeps at least, longer while the
    sandbox in this process answers), and a long path or a hundred ``j`` took seconds. Then wait
    once for the screen to take them all. For keys whose pace is not what the test is about."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        original = REPLACED_KEYS.get(key, key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(original))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)
    # The app passes each key on to the focused widget: one round for the app to pass them on,
    # one for the widget to take them (and whatever they post in turn).
    await pilot.pause()
    await pilot.pause()
