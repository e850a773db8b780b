"""Where a browser sign-in's secrets live: the OS keyring, or a private file where there is none.

The secrets of one sign-in (the access token, the refresh token, a client secret if the school
gave one) are kept under the service ``tui-inbox`` and an account name made of the Canvas URL
and the developer key's client id, one entry per secret, through the ``keyring`` library: the
macOS Keychain, Windows' Credential Locker, the Secret Service of a Linux desktop.

A headless server has no keyring (``keyring`` chooses its "fail" backend, or the Secret Service
cannot be reached). There the secrets go to ``secrets/secrets.json`` in the data folder: the
folder 0700, the file 0600 from the moment it is created (never world-readable, even for an
instant), replaced whole by a rename so it is never half written. Nothing else ever holds them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from .drafts import private_folder

log = logging.getLogger("tui_inbox.store")

SERVICE = "tui-inbox"
NAMES = ("access_token", "refresh_token", "client_secret")
FILE = Path("secrets") / "secrets.json"
MAX_BYTES = 256 * 1024


class SecretsError(Exception):
    """The secrets could not be kept; one line that says where and why."""


def system_keyring():
    """The keyring backend if this machine has one that works, else None."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or backend.priority <= 0:
            return None
        backend.get_password(SERVICE, "probe")  # a Secret Service without a session bus fails here
        return backend
    except Exception as error:  # any failure means: not usable here
        log.info("no usable keyring: %s", type(error).__name__)
        return None


class Secrets:
    """The secrets of one sign-in: a Canvas URL and a developer key's client id."""

    def __init__(self, base_url: str, client_id: str, data_folder: Path, *, backend=...) -> None:
        self.account = f"{base_url.rstrip('/')} {client_id}"
        self.file = data_folder / FILE
        self._chosen = backend  # ``...``: found at the first use that needs it

    @property
    def _backend(self):
        # Looked for only when needed: finding the keyring reads every installed package's entry
        # points (a third of a second on a busy machine), which a start from the file need not pay.
        if self._chosen is ...:
            self._chosen = system_keyring()
        return self._chosen

    @property
    def in_keyring(self) -> bool:
        return self._backend is not None

    def where(self) -> str:
        if self._backend is not None:
            return f"the system keyring ({type(self._backend).__name__})"
        return f"{self.file} (readable only by you: this machine has no system keyring)"

    def get(self, name: str) -> str | None:
        if self._in_file():
            return self._read()[self.account].get(name)
        if self._backend is not None:
            try:
                return self._backend.get_password(SERVICE, self._key(name))
            except Exception as error:
                raise SecretsError(f"The system keyring could not be read ({type(error).__name__}).") from None
        return self._read().get(self.account, {}).get(name)

    def put(self, **values: str) -> None:
        """Keep these secrets (the others of this sign-in are left as they are)."""
        unknown = set(values) - set(NAMES)
        assert not unknown, unknown
        if not self._in_file() and self._backend is not None:
            try:
                for name, value in values.items():
                    self._backend.set_password(SERVICE, self._key(name), value)
            except Exception as error:
                raise SecretsError(f"The system keyring could not keep the sign-in ({type(error).__name__}).") from None
            return
        everything = self._read()
        mine = everything.setdefault(self.account, {})
        mine.update(values)
        self._write(everything)

    def delete_all(self) -> None:
        """Forget every secret of this sign-in, in the keyring and in the file alike."""
        if self._backend is not None:
            for name in NAMES:
                try:
                    self._backend.delete_password(SERVICE, self._key(name))
                except Exception:  # keyring raises PasswordDeleteError for one that was never there
                    pass
        everything = self._read()
        if everything.pop(self.account, None) is not None:
            self._write(everything)

    def _in_file(self) -> bool:
        """This sign-in is in the file (which exists only where there was no keyring): it is read
        and renewed there without looking for a keyring."""
        return self._chosen is ... and self.file.exists() and self.account in self._read()

    def _key(self, name: str) -> str:
        return f"{self.account} {name}"

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            with self.file.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise SecretsError(f"Cannot read {self.file}: {error.strerror or error}.") from None
        try:
            data = json.loads(raw) if len(raw) <= MAX_BYTES else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SecretsError(f"{self.file} is not a file tui-inbox wrote; move it away and sign in again "
                               "with `tui-inbox login`.")
        return {account: {k: v for k, v in entry.items() if isinstance(v, str)}
                for account, entry in data.items() if isinstance(entry, dict)}

    def _write(self, everything: dict[str, dict[str, str]]) -> None:
        try:
            private_folder(self.file.parent)
            # mkstemp creates the file 0600 (O_EXCL): no moment where another user could open it.
            fd, temporary = tempfile.mkstemp(dir=self.file.parent, prefix=".secrets.")
        except OSError as error:
            raise SecretsError(f"Cannot write in {self.file.parent}: {error.strerror or error}.") from None
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(everything, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.file)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise SecretsError(f"Cannot write {self.file}: {error.strerror or error}.") from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
