"""Fills a fresh sandbox state with its seeded school, deterministically from ``--seed`` and
``--institution`` (institution 1: people.py and its seeds; 2: second_school.py)."""

from __future__ import annotations

from .files import FileStore
from .people import fill_course, seed_people
from .state import SandboxState


def seed_state(state: SandboxState) -> None:
    state.files = FileStore(state.now)
    if state.institution.id == 1:
        state.demo_user_id = seed_people(state.world, state.knobs.seed)
        from .inbox_seed import seed_conversations

        seed_conversations(state)
        from .discussion_seed import seed_discussions; seed_discussions(state)  # noqa: E702 (one-line hook)
    else:
        from .second_school import seed_second_school

        seed_second_school(state)
    # Last, so the seeded conversations and discussions are the same with or without it.
    if state.knobs.course_students:
        fill_course(state.world, 1, state.knobs.course_students, state.knobs.seed, state.institution)
    if state.knobs.school:
        from .school import fill_school

        state.school_teachers = fill_school(state, state.knobs.school)
