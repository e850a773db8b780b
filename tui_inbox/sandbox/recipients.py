"""Turning ``recipients[]`` into users, as Canvas's address book does (canvas-api.md section 3).

Accepted: user ids, and contexts such as ``course_1``, ``course_1_students``,
``section_11``, ``group_1``. Anything else is silently dropped, and so is anyone the
sender may not message. ``user_123`` is not a recipient format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .world import CONTEXT_RE, USER_ID_RE, World


@dataclass
class Resolved:
    user_ids: list[int] = field(default_factory=list)
    restricted: bool = False  # a whole-course recipient the sender's role may not message
    contexts: list[str] = field(default_factory=list)  # the course/group codes named


def resolve(world: World, sender_id: int, raw: list[str], also: set[int] = frozenset()) -> Resolved:
    """``also``: people the sender reaches beyond the address book (an admin's, admin_reach.py)."""
    out = Resolved()
    seen: set[int] = set()
    for item in raw:
        item = str(item).strip()
        if USER_ID_RE.match(item):
            uid = int(item)
            if (world.messageable(sender_id, uid) or uid in also) and uid not in seen:
                seen.add(uid)
                out.user_ids.append(uid)
            continue
        match = CONTEXT_RE.match(item)
        if not match:
            continue
        users, error = world.expand_context(sender_id, item)
        if error:
            out.restricted = True
            continue
        if match.group(1) in ("course", "group"):
            out.contexts.append(f"{match.group(1)}_{match.group(2)}")
        for uid in users:
            # A context reaches only the members the sender could write to one by one
            # (a student's section_N does not reach other students' observers).
            if uid not in seen and world.messageable(sender_id, uid):
                seen.add(uid)
                out.user_ids.append(uid)
    # The sender is not a recipient, unless writing only to themself (a monologue).
    if len(out.user_ids) > 1 or (out.user_ids and out.user_ids[0] != sender_id):
        out.user_ids = [u for u in out.user_ids if u != sender_id]
    return out
