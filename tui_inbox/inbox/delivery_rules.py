"""How a new message or a forward is delivered: the choice in words, and what Canvas forces.

The one delivery choice (``Draft.delivery``) is named by what it does. Over ``MAX_GROUP`` people
Canvas takes only individual messages (a bulk message): the choice is then put on a new
separate conversation with each person, and any other is refused with the reason.
"""

from __future__ import annotations

from .bulk_sends import MAX_GROUP, bulk_notice, must_be_bulk
from .compose import GROUP, NEW_SEPARATE, SEPARATE, Draft

LABELS = {
    GROUP: "One group conversation",
    SEPARATE: "A separate conversation with each person (the default)",
    NEW_SEPARATE: "A new separate conversation with each person",
}
# What the choice in force does, said under it (one line at 80 columns: a radio label does not wrap).
HELP = {
    GROUP: "Everyone is in one new conversation and sees every reply.",
    SEPARATE: "Canvas reuses existing private ones: into the one you have with each.",
    NEW_SEPARATE: "Never into an existing conversation (Canvas calls it a bulk message).",
}


def forced(draft: Draft) -> str | None:
    """The delivery Canvas requires for this draft when it is not the one chosen (else None)."""
    if must_be_bulk(draft) and draft.delivery != NEW_SEPARATE:
        return NEW_SEPARATE
    return None


def refusal(draft: Draft, choice: str) -> str | None:
    """Why ``choice`` cannot be made for this draft, in words for the user; None when it can."""
    if must_be_bulk(draft) and choice != NEW_SEPARATE:
        return (f"Over {MAX_GROUP} people Canvas takes only individual messages: a new "
                "separate conversation with each person (a bulk message).")
    return None


def where_lines(draft: Draft, forecast: str | None) -> list[str]:
    """What is said under the choice: how a large audience is sent, then which existing
    conversations the message joins (``forecast``, inbox/destination.py)."""
    return [line for line in (bulk_notice(draft), forecast) if line]
