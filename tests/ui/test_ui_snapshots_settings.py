"""A picture of the Inbox Settings screen (fixed clock, UTC, no live feed, no blinking cursor), with a
signature and an out-of-office reply saved on Canvas first. To regenerate after an intended change:
``pytest tests/ui/test_ui_snapshots_settings.py --snapshot-update``, then look at the SVG."""

from __future__ import annotations

from tests.conftest import ready
from tests.two_schools import api
from tests.ui.test_inbox_settings_app import open_settings, save_on_canvas


def test_inbox_settings_with_a_signature_and_an_out_of_office_reply(snap_compare, make_inbox_app, fixed_sandbox):
    with api(fixed_sandbox) as client:
        save_on_canvas(client, useSignature=True, signature="Dr. Margaret Okafor\nDepartment of Biology",
                       useOutOfOffice=True, outOfOfficeFirstDate="2026-12-21T00:00:00Z",
                       outOfOfficeLastDate="2027-01-04T00:00:00Z", outOfOfficeSubject="Away until 4 January",
                       outOfOfficeMessage="I am away and will answer when I am back on 4 January.")

    async def run_before(pilot):
        await ready(pilot)
        await open_settings(pilot)

    assert snap_compare(make_inbox_app(), terminal_size=(100, 32), run_before=run_before)
