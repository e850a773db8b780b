"""A sign-in that did not happen: one line, and nothing was stored."""

from __future__ import annotations

from ..config import ConfigError


class SignInFailed(ConfigError):
    """Said on one line by the command (cli.py prints every ConfigError so); nothing was stored."""
