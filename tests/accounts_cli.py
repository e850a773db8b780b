"""Two schools on loopback and ``tui-inbox`` run as a process against them, for the several-accounts commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.oauth_helpers import browser_env

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # both schools seeded at the same instant


def teacher_token(sandbox) -> str:
    return sandbox.info.token_of("teacher")


def two_accounts(university, college, **extra: str) -> str:
    """A config of the teacher's two schools, "state" and "city", each with its token."""
    tail = "".join(f"{line}\n" for line in extra.values())
    return (f'[[accounts]]\nname = "state"\nbase_url = "{university.base_url}"\ntoken = "{teacher_token(university)}"\n'
            f'[[accounts]]\nname = "city"\nbase_url = "{college.base_url}"\ntoken = "{teacher_token(college)}"\n'
            + tail)


def env_of(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "CANVAS_TOKEN"}
    env.update(HOME=str(tmp_path / "home"), TUI_INBOX_DATA=str(tmp_path / "data"), **more)
    return env


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None, answers: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui_inbox.cli", "--config", str(tmp_path / "config.toml"), *args],
                          input=answers, capture_output=True, text=True, env=env or env_of(tmp_path), timeout=120)


def browser_of(sandbox, tmp_path: Path) -> dict[str, str]:
    """The environment of a process whose browser signs in as ``sandbox``'s teacher."""
    return browser_env(sandbox, tmp_path)
