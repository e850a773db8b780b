"""One account's Inbox Settings: what the school allows, the user's signature and out of office.

Canvas's own clients read the school's switches first and show nothing of a feature it turned
off (canvas-ios's InboxSettingsInteractor, canvas-android's SettingsRepository). The web
Inbox puts the signature at the end of a new message, a reply or a forward as the composer
opens, after a separator (ui/features/inbox/react/components/MessageBody/MessageBody.tsx and
``signatureSeparator`` in ui/features/inbox/react/utils/constants.jsx): the cursor stays
before it and the user may edit or delete it. This is that one rule, for every composer.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ..canvas import CanvasClient
from ..canvas.errors import CanvasError
from ..canvas.inbox_settings import InboxSettings, InboxSwitches
from .compose import Draft

SIGNATURE_SEPARATOR = "\n\n---\n"
SIGNED_KINDS = ("new", "reply", "reply_all", "forward")  # what Canvas's compose modal writes
log = logging.getLogger("tui_inbox.inbox")


class InboxSettingsHolder:
    """The account's switches and the user's settings, as last read from (or saved to) Canvas."""

    def __init__(self, client: CanvasClient) -> None:
        self.client = client
        self.switches: InboxSwitches | None = None  # None until Canvas has answered
        self.settings: InboxSettings | None = None

    @property
    def shows_signature(self) -> bool:
        return self.switches is not None and self.switches.signature_block

    @property
    def shows_out_of_office(self) -> bool:
        return self.switches is not None and self.switches.auto_response

    @property
    def shows_any(self) -> bool:
        return self.shows_signature or self.shows_out_of_office

    async def load(self) -> None:
        """The switches, then the settings when the school allows either: a CanvasError if it fails."""
        switches = await self.client.get_inbox_switches()
        settings = None
        if switches.signature_block or switches.auto_response:
            settings = await self.client.get_inbox_settings()
        self.switches, self.settings = switches, settings

    async def load_quietly(self) -> None:
        """At start: a Canvas that does not answer these (an older one, offline) just shows none of them."""
        try:
            await self.load()
        except CanvasError as error:
            log.info("Inbox Settings not read: %s", error)

    def signature_block(self) -> str:
        """What a new composer's body starts with: the separator and the signature, or nothing."""
        settings = self.settings
        if not self.shows_signature or settings is None or not settings.use_signature:
            return ""
        signature = settings.signature.strip("\n")
        return f"{SIGNATURE_SEPARATOR}{signature}" if signature.strip() else ""

    def sign(self, draft: Draft) -> None:
        """Put the signature in a draft the user has not written in yet (a kept draft stays as it was)."""
        if draft.kind in SIGNED_KINDS and not draft.body:
            draft.body = self.signature_block()

    async def save(self, wanted: InboxSettings) -> InboxSettings:
        """Save ``wanted``: a part the school turned off keeps what Canvas has (Canvas replaces every field)."""
        held = self.settings or InboxSettings()
        if not self.shows_signature:
            wanted = replace(wanted, use_signature=held.use_signature, signature=held.signature)
        if not self.shows_out_of_office:
            wanted = replace(wanted, use_out_of_office=held.use_out_of_office,
                             out_of_office_first=held.out_of_office_first, out_of_office_last=held.out_of_office_last,
                             out_of_office_subject=held.out_of_office_subject,
                             out_of_office_message=held.out_of_office_message)
        self.settings = await self.client.update_inbox_settings(wanted)
        return self.settings
