"""The message a composer closed during a send posts to the app when that send ends."""

from __future__ import annotations

from textual.message import Message

from ...inbox.session import Outcome


class Sent(Message):
    """A send that went on after its composer closed has ended: the app says how."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome
