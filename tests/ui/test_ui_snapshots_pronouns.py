"""Pictures of pronouns after a name, against the seeded sandbox (as tests/ui/test_ui_snapshots.py:
fixed clock, UTC, no live feed, no blinking cursor). To regenerate after an intended change:
``pytest tests/ui/test_ui_snapshots_pronouns.py --snapshot-update``, then look at each changed SVG.
"""

from __future__ import annotations

from tests.ui.test_pronouns import open_quinns_conversation
from tests.conftest import ready

MEDIUM = (100, 32)


def test_a_thread_with_someone_who_chose_pronouns(snap_compare, make_inbox_app):
    """Quinn Harper chose "they/them": the With line and each of their messages say so."""
    async def run_before(pilot):
        await ready(pilot)
        await open_quinns_conversation(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=MEDIUM, run_before=run_before)
