"""Canvas back after an outage: the first request it answers ends "offline" and brings the list in step.

The app runs as ``tui-inbox`` builds it (cache, feed, Outbox), with the sandbox behind a cable
(tests/network_cut.py) standing in for a Canvas that is stopped and started again on the same
port. The feed's poller is given a back-off of an hour, so it is not what notices Canvas is back:
the Outbox's own retry is, as in the issue (the Outbox flushed within seconds while the bar
said "offline, as of ..." for another 1 min 45 s).
"""

from __future__ import annotations

import httpx
import pytest

from tests.cache_app import cached_app
from tests.network_cut import NetworkCut
from tests.outbox_helpers import SIZE, port_of, to_row
from tests.waiting import async_wait_until
from tui_inbox.canvas.http import RetryPolicy
from tui_inbox.live.backoff import Backoff
from tui_inbox.live.feed import LiveFeed

HOUR = Backoff(base=3600.0, cap=3600.0)
# Two quick attempts: with the app's own five (full jitter up to 0.25 * 2**n s), a refresh of
# several requests against a cut cable took 7 s to say "offline", and past 10 s now and then.
QUICK = RetryPolicy(attempts=2, base=0.01, cap=0.02)


def offline_said(app) -> bool:
    return bool(app.status.stale) or app.status.feed == "offline"


@pytest.mark.parametrize("poll_seconds", [0.2, 3600.0], ids=["the poll failed", "no poll since"])
async def test_an_outbox_flush_after_an_outage_ends_offline_and_brings_the_list_in_step(sandbox, tmp_path,
                                                                                         poll_seconds):
    token = sandbox.info.token_of("teacher")
    with NetworkCut(port_of(sandbox)) as cable:
        app = cached_app(cable.base_url, token, tmp_path)
        app.session.client.http.retry = QUICK
        # Either polls every 0.2 s while Canvas answers, or only at the start; once a poll fails,
        # not again for an hour (nor a quick probe): only another request can tell the app that
        # Canvas is back. (The default, 30 s, falls between the two.)
        app.feed = LiveFeed(app.session.client, None, poll_seconds=poll_seconds, poll_backoff=HOUR,
                            reach_seconds=3600.0)
        app.session.outbox.retry_seconds = 0.2
        async with app.run_test(size=SIZE) as pilot:
            await async_wait_until(lambda: app.session.view.loaded and app.list.rows and app.status.feed == "polling"
                                   and not app.status.running)
            archived = await to_row(pilot, 0)
            changed = app.list.rows[-1].id
            cable.cut()
            if poll_seconds < 1:
                await async_wait_until(lambda: app.status.feed == "offline")
            await pilot.press("ctrl+r")  # the catch-up asked for meets no answer
            await async_wait_until(lambda: app.status.stale.startswith("offline, as of "))
            await to_row(pilot, 0)
            await pilot.press("a")
            await async_wait_until(lambda: app.status.message.startswith("Offline: archived here"))
            # Meanwhile, on Canvas: someone stars a conversation the list shows as not starred.
            with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
                assert api.put(f"/api/v1/conversations/{changed}",
                               data={"conversation[starred]": "true"}).status_code == 200
            assert not app.session.view.find(changed).starred

            cable.restore()
            await async_wait_until(lambda: app.session.outbox.count == 0, timeout=10)
            assert any(e.text.startswith("Outbox: archived 1 conversation") for e in app.status.history)
            # The Outbox's answer was Canvas answering: "offline" goes, and the list catches up.
            await async_wait_until(lambda: not offline_said(app), timeout=10)
            await async_wait_until(lambda: archived not in {row.id for row in app.list.rows}
                                   and any(row.id == changed and row.starred for row in app.list.rows), timeout=10)
            assert "offline" not in app.status.render().plain


async def test_with_nothing_in_the_outbox_offline_ends_within_a_probe_of_canvas_coming_back(sandbox, tmp_path):
    # The feed polls hourly: when the app meets no answer (ctrl+r here), the poller is told, asks
    # at once, and while Canvas cannot be reached asks again every reach_seconds (0.2 s here, 3 s
    # by default), so the first answer after Canvas is back ends "offline", not the next hourly poll.
    token = sandbox.info.token_of("teacher")
    with NetworkCut(port_of(sandbox)) as cable:
        app = cached_app(cable.base_url, token, tmp_path)
        app.session.client.http.retry = QUICK
        app.feed = LiveFeed(app.session.client, None, poll_seconds=3600.0, poll_backoff=HOUR, reach_seconds=0.2)
        async with app.run_test(size=SIZE) as pilot:
            await async_wait_until(lambda: app.session.view.loaded and app.list.rows and app.status.feed == "polling"
                                   and not app.status.running)
            cable.cut()
            await pilot.press("ctrl+r")
            await async_wait_until(lambda: app.status.stale.startswith("offline, as of "))
            await async_wait_until(lambda: app.status.feed == "offline")  # the poll was asked at once
            cable.restore()
            await async_wait_until(lambda: not offline_said(app), timeout=10)
            assert app.status.feed == "polling" and app.session.outbox.count == 0
