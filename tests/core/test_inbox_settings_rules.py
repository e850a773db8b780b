"""The signature and out-of-office rules in the core (inbox/inbox_settings.py), without Textual,
against the sandbox over HTTP."""

from __future__ import annotations

from datetime import datetime, timezone

from tui_inbox.canvas import CanvasClient
from tui_inbox.canvas.inbox_settings import InboxSettings
from tui_inbox.inbox.compose import Draft
from tui_inbox.inbox.session import InboxSession

AWAY = InboxSettings(use_out_of_office=True, out_of_office_first=datetime(2026, 12, 21, tzinfo=timezone.utc),
                     out_of_office_last=datetime(2027, 1, 4, tzinfo=timezone.utc),
                     out_of_office_subject="Away", out_of_office_message="Back on 4 January")


async def started(sandbox) -> InboxSession:
    session = InboxSession(CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")))
    await session.start()
    await session.wait_loaded()  # the settings are read in the start's follow-up
    return session


async def test_the_signature_goes_after_canvass_separator_in_new_messages_replies_and_forwards(sandbox):
    session = await started(sandbox)
    try:
        holder = session.inbox_settings
        assert holder.shows_signature and holder.shows_out_of_office
        assert holder.signature_block() == ""  # nothing saved yet: nothing in the composer
        await holder.save(InboxSettings(use_signature=True, signature="Dr. Okafor\nBIO 101"))
        for kind in ("new", "reply", "reply_all", "forward"):
            draft = Draft(kind=kind)
            holder.sign(draft)
            assert draft.body == "\n\n---\nDr. Okafor\nBIO 101", kind
        for kind in ("add_people", "discussion_reply"):
            draft = Draft(kind=kind)
            holder.sign(draft)
            assert draft.body == ""
        kept = Draft(kind="reply", body="Already written")
        holder.sign(kept)
        assert kept.body == "Already written"
        await holder.save(InboxSettings(use_signature=False, signature="Dr. Okafor"))
        assert holder.signature_block() == ""  # kept on Canvas but turned off
    finally:
        await session.aclose()


async def test_a_school_with_the_switches_off_shows_nothing_and_keeps_what_canvas_has(make_sandbox):
    off = make_sandbox(seed=1, inbox_settings=False)
    token = off.info.token_of("teacher")
    async with CanvasClient(off.base_url, token) as client:  # saved before the school turned them off
        await client.update_inbox_settings(InboxSettings(use_signature=True, signature="Dr. O.", **{
            k: getattr(AWAY, k) for k in ("use_out_of_office", "out_of_office_first", "out_of_office_last",
                                         "out_of_office_subject", "out_of_office_message")}))
    session = await started(off)
    try:
        holder = session.inbox_settings
        assert not holder.shows_any and holder.settings is None
        draft = Draft(kind="new")
        holder.sign(draft)
        assert draft.body == ""
    finally:
        await session.aclose()


async def test_saving_one_part_keeps_the_part_the_school_hides(sandbox):
    """Canvas's mutation replaces every field: with the auto response off at the school (as
    Canvas's environment can say), saving a signature must not wipe the reply kept on Canvas."""
    from tui_inbox.canvas.inbox_settings import InboxSwitches
    from tui_inbox.inbox.inbox_settings import InboxSettingsHolder

    async with CanvasClient(sandbox.base_url, sandbox.info.token_of("teacher")) as client:
        await client.update_inbox_settings(AWAY)
        holder = InboxSettingsHolder(client)
        await holder.load()
        holder.switches = InboxSwitches(signature_block=True, auto_response=False)
        await holder.save(InboxSettings(use_signature=True, signature="M. O."))  # what a signature-only screen gives
        assert await client.get_inbox_settings() == InboxSettings(
            True, "M. O.", True, AWAY.out_of_office_first, AWAY.out_of_office_last, "Away", "Back on 4 January")
