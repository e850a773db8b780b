"""The sign-in's secrets: in the OS keyring when there is one, else a 0600 file in a 0700 folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import keyring
import pytest
from keyring.backend import KeyringBackend

from tui_inbox.store.secrets import SERVICE, Secrets, SecretsError, system_keyring

BASE = "https://canvas.example.edu"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        self.entries.pop((service, username))


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_with_a_keyring_the_secrets_go_there_and_no_file_is_written(tmp_path, memory_keyring):
    secrets = Secrets(BASE, "170000000000042", tmp_path)
    assert secrets.in_keyring and "keyring" in secrets.where()
    secrets.put(access_token="acc-1", refresh_token="ref-1")
    assert memory_keyring.entries[(SERVICE, f"{BASE} 170000000000042 refresh_token")] == "ref-1"
    assert Secrets(BASE, "170000000000042", tmp_path).get("access_token") == "acc-1"
    assert not list(tmp_path.rglob("*"))
    secrets.delete_all()
    assert memory_keyring.entries == {}


def test_without_a_keyring_the_file_is_0600_in_a_0700_folder(tmp_path):
    secrets = Secrets(BASE, "1", tmp_path, backend=None)
    secrets.put(access_token="acc-1", refresh_token="ref-1")
    other = Secrets("https://other.example.edu", "1", tmp_path, backend=None)
    other.put(refresh_token="ref-other")
    assert mode(secrets.file) == 0o600 and mode(secrets.file.parent) == 0o700
    assert str(secrets.file) in secrets.where() and "no system keyring" in secrets.where()
    assert Secrets(BASE, "1", tmp_path, backend=None).get("refresh_token") == "ref-1"
    secrets.delete_all()
    assert secrets.get("refresh_token") is None and secrets.get("access_token") is None
    assert other.get("refresh_token") == "ref-other"  # another sign-in's are left alone
    assert [p.name for p in secrets.file.parent.iterdir()] == ["secrets.json"]  # no temporary left behind


def test_a_file_that_is_not_ours_is_one_line_with_the_way_forward(tmp_path):
    secrets = Secrets(BASE, "1", tmp_path, backend=None)
    secrets.file.parent.mkdir(mode=0o700)
    secrets.file.write_text("[1, 2")
    with pytest.raises(SecretsError) as error:
        secrets.get("refresh_token")
    assert "tui-inbox login" in str(error.value) and "\n" not in str(error.value)


def test_the_fail_backend_of_a_headless_server_means_the_file():
    """PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring is what keyring chooses on a server without one."""
    code = "from tui_inbox.store.secrets import system_keyring; print(system_keyring())"
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "None", done.stderr


def test_the_memory_keyring_is_chosen(memory_keyring):
    assert system_keyring() is memory_keyring
