"""Whom an account admin may write to: anyone in the account, given the account or a course as context.

An admin is enrolled nowhere, so the address book alone knows nobody. Given ``context_code``
``account_<root id>`` (the account's people: the admin may read its roster) or a course's code
(that course's people), Canvas looks the recipients up in that context and files the
conversation under it (app/helpers/conversations_helper.rb: ``normalize_recipients`` with
``context:``, ``valid_account_context?``). The admin's own copy of a course conversation
shows the account as its context, so that people can reply to an admin who is not in
the course (lib/api/v1/conversations.rb, ``conversation_json``).
"""

from __future__ import annotations

from .events import ROOT_ACCOUNT_ID
from .world import World, split_context

ACCOUNT_CODE = f"account_{ROOT_ACCOUNT_ID}"  # only the root account may be a conversation's context


def is_admin(world: World, user_id: int) -> bool:
    user = world.users.get(user_id)
    return user is not None and user.role == "admin"


def admin_reach(world: World, user_id: int, context_code: str | None) -> set[int]:
    """The people an admin reaches in the given context; nobody for anyone else."""
    if not context_code or not is_admin(world, user_id):
        return set()
    if context_code == ACCOUNT_CODE:
        return set(world.users)
    kind, cid = split_context(context_code)
    if kind == "course" and cid in world.courses:
        return set(world.course_members(cid))
    return set()


def valid_context(world: World, user_id: int, context_code: str) -> bool:
    """Whether the user may write in this context (ConversationsHelper#valid_context?)."""
    if context_code == ACCOUNT_CODE:
        return is_admin(world, user_id)
    if world.context_exists_for(user_id, context_code):
        return True
    kind, cid = split_context(context_code)
    return is_admin(world, user_id) and kind == "course" and cid in world.courses


def shown_context_code(world: World, viewer_id: int, context_code: str | None) -> str | None:
    """The context code a viewer's copy carries: an admin sees a course conversation as the account's."""
    if split_context(context_code)[0] == "course" and is_admin(world, viewer_id):
        return ACCOUNT_CODE
    return context_code
