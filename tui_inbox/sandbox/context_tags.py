"""Which courses and groups a conversation is filed under, for each participant (``filter[]``).

Canvas tags each participant's row, not the conversation: the contexts the message named
(recipients such as ``course_3`` and the ``context_code``) that the participant belongs to,
or else the contexts that more than half of all participants share
(``Conversation#current_context_strings``), again only those the participant belongs to
(app/models/conversation.rb, ``infer_new_tags_for``). So a teacher writing to two students of
one course and one of another files the conversation under the first course only.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from .world import World, split_context


def context_codes(world: World, user_id: int, *, include_concluded: bool = True) -> list[str]:
    """The user's courses (concluded ones too unless told) and groups (User#conversation_context_codes)."""
    courses = [c for c in world.course_ids_of(user_id) if include_concluded or not world.courses[c].concluded]
    return [f"course_{c}" for c in courses] + [f"group_{g}" for g in world.group_ids_of(user_id)]


def current_context_strings(world: World, participant_ids: list[int], private: bool) -> list[str]:
    """Contexts shared by more than half of the participants, most shared first."""
    if private and len(participant_ids) == 1:
        return []
    threshold = len(participant_ids) // 2
    counts = Counter(code for uid in participant_ids for code in context_codes(world, uid))
    return [code for code, n in sorted(counts.items(), key=lambda kv: kv[1], reverse=True) if n > threshold]


def named_contexts(world: World, codes: Iterable[str | None]) -> set[str]:
    """The course and group codes a message names, with each group's course (ConversationsHelper#infer_tags)."""
    out: set[str] = set()
    for code in codes:
        kind, cid = split_context(code)
        if kind == "course":
            out.add(f"course_{cid}")
        elif kind == "group":
            out.add(f"group_{cid}")
            group = world.groups.get(cid)
            if group is not None and group.course_id is not None:
                out.add(f"course_{group.course_id}")
    return out


def tags_for(world: World, participant_ids: list[int], private: bool, named: set[str]) -> dict[int, set[str]]:
    """Each participant's tags for a new message (Conversation#infer_new_tags_for)."""
    shared: list[str] | None = None  # computed only when some participant needs it
    out: dict[int, set[str]] = {}
    for uid in participant_ids:
        codes = context_codes(world, uid, include_concluded=False) or context_codes(world, uid)
        visible = named & set(codes)
        if not visible:
            if shared is None:
                shared = current_context_strings(world, participant_ids, private)
            visible = set(shared) & set(codes)
        out[uid] = visible
    return out
