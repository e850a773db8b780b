"""A reply drafted from outside the app, kept where the app keeps the user's own drafts.

The app keeps a reply's draft in ``drafts.sqlite3`` under the account's key (the Canvas origin
and the user id, store/paths.py ``account_key``) and the draft's key, ``reply:<conversation
id>`` (inbox/compose.py ``Draft.key``). When the user presses ``r`` on that conversation the
composer opens on the kept draft instead of a blank one (ui/controllers/writing.py), and the
Drafts mailbox lists it. A draft written here is shaped as the composer shapes a reply (to
everyone else in the conversation, its subject and course), so the two are one.

Nothing is sent, and nothing on Canvas changes (the conversation is read with
``auto_mark_as_read=0``). A draft the user already has for that reply is never overwritten
unless ``replace`` says so: it is their text.
"""

from __future__ import annotations

from ..canvas import CanvasError
from ..config import Config, data_dir
from ..inbox import drafts_box
from ..inbox.compose import Draft, RecipientRef
from ..inbox.formatting import display_name
from ..inbox.replying import everyone_else
from ..inbox.text import one_line
from ..store.drafts import DraftStore
from ..store.paths import account_key
from .commands import VerbFailed
from .mcp_reading import client_of, the_account, user_id_of

DRAFTS = "drafts.sqlite3"  # as launch.build_session keeps them


async def draft_reply(config: Config, account: str | None, conversation_id: int, body: str, *,
                      replace: bool = False) -> dict:
    if not body.strip():
        raise VerbFailed("the reply has no text: give its body")
    one = the_account(config, account, "draft_reply")
    try:
        async with client_of(config, one) as client:
            me = await user_id_of(client, one)
            row = await client.get_conversation(conversation_id, auto_mark_as_read=False)
    except CanvasError as error:
        raise VerbFailed(f"conversation {conversation_id}: {error}") from None
    draft = Draft(kind="reply", conversation_id=row.id, context_code=row.context_code, subject=one_line(row.subject),
                  to=[RecipientRef(str(p.id), display_name(p.name, p.full_name)) for p in everyone_else(row, me)],
                  body=body)
    store = DraftStore(data_dir() / DRAFTS, account_key(one.base_url, me))
    try:
        kept = drafts_box.load(store, draft.key)
        if kept is not None and not kept.empty and not replace:
            raise VerbFailed(f"there is already a draft reply to conversation {conversation_id} "
                             f"({len(kept.body)} characters, beginning {one_line(kept.body)[:60]!r}); it is kept. "
                             "Pass replace: true only if the user asked to replace it.")
        drafts_box.save(store, draft)
    finally:
        store.close()
    return {"account": one.name, "conversation_id": row.id, "draft_key": draft.key, "saved": True, "sent": False,
            "to": [r.label for r in draft.to], "subject": draft.subject,
            "line": "Saved in Drafts; nothing was sent. The user sees it in the app's Drafts, and when they "
                    "press r on this conversation."}
