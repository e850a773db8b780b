"""The confirming second call's tokens: random, single-use, ten minutes, bound to one preview.

The clock is injected, so the expiry is checked without waiting ten minutes.
"""

from __future__ import annotations

import pytest

from tui_inbox.shell.confirm_tokens import ConfirmTokens, Preview, Refused

ARCHIVE = Preview("state", "archive", tuple(range(1, 101)))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_confirms_its_preview_once():
    tokens = ConfirmTokens(Clock())
    token = tokens.issue(ARCHIVE)
    assert tokens.take(token, "archive", None) == ARCHIVE
    with pytest.raises(Refused, match="used already"):
        tokens.take(token, "archive", None)


def test_an_expired_token_is_refused():
    clock = Clock()
    tokens = ConfirmTokens(clock)
    token = tokens.issue(ARCHIVE)
    clock.now += 600.5
    with pytest.raises(Refused, match="expired"):
        tokens.take(token, "archive", None)
    with pytest.raises(Refused, match="used already"):  # and it is gone
        tokens.take(token, "archive", None)
    fresh = tokens.issue(ARCHIVE)
    clock.now += 599
    assert tokens.take(fresh, "archive", "state").ids == ARCHIVE.ids


def test_a_token_for_another_verb_or_account_is_refused_and_used_up():
    tokens = ConfirmTokens(Clock())
    token = tokens.issue(ARCHIVE)
    with pytest.raises(Refused, match="confirms archive of 100 conversations on state, not delete"):
        tokens.take(token, "delete", None)
    with pytest.raises(Refused, match="used already"):
        tokens.take(token, "archive", None)
    other = tokens.issue(ARCHIVE)
    with pytest.raises(Refused, match="not archive on city"):
        tokens.take(other, "archive", "city")


def test_tokens_are_random_and_not_guessable_from_each_other():
    tokens = ConfirmTokens(Clock())
    issued = {tokens.issue(ARCHIVE) for _ in range(50)}
    assert len(issued) == 50 and all(len(token) >= 20 for token in issued)
