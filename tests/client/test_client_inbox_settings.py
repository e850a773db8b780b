"""The client reads the school's Inbox switches and the user's signature and out of office, and saves them."""

from __future__ import annotations

from datetime import datetime, timezone

from tui_inbox.canvas import CanvasClient, RetryPolicy
from tui_inbox.canvas.inbox_settings import InboxSettings

FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, throttle_floor=0.001)


def client_for(sandbox, user_id: int = 1) -> CanvasClient:
    return CanvasClient(sandbox.base_url, sandbox.state.world.users[user_id].token, retry=FAST)


async def test_switches_on_and_off(sandbox, make_sandbox):
    async with client_for(sandbox) as teacher:
        on = await teacher.get_inbox_switches()
    assert on.signature_block and on.auto_response and not on.signature_block_off_for_students
    async with client_for(make_sandbox(seed=1, inbox_settings=False)) as teacher:
        off = await teacher.get_inbox_switches()
    assert not off.signature_block and not off.auto_response


async def test_settings_round_trip_and_stay_the_users_own(sandbox):
    first = datetime(2026, 12, 21, tzinfo=timezone.utc)
    last = datetime(2027, 1, 4, tzinfo=timezone.utc)
    async with client_for(sandbox) as teacher, client_for(sandbox, 10) as jane:
        assert await teacher.get_inbox_settings() == InboxSettings()
        wanted = InboxSettings(True, "Dr. Okafor\nBiology", True, first, last, "Away", "Back on 4 January")
        assert await teacher.update_inbox_settings(wanted) == wanted
        assert await teacher.get_inbox_settings() == wanted
        assert await jane.get_inbox_settings() == InboxSettings()
        cleared = InboxSettings(use_signature=True, signature="M. O.")
        assert await teacher.update_inbox_settings(cleared) == cleared
