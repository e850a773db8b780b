"""Finding whom to write to: Canvas's recipient search, plus what Canvas cannot find itself
(people of the loaded conversations whose names match only without accents, and whole courses
by role, with how many each reaches)."""

from __future__ import annotations

import asyncio
import logging

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Recipient
from .account import Account
from .loaded_views import LoadedViews
from .matching import matches, words_of
from .ports import Reports

log = logging.getLogger("tui_inbox.inbox")
KNOWN_PEOPLE_OFFERED = 10  # at most this many people found by the app's own matching, per search


class RecipientSearch:
    def __init__(self, client: CanvasClient, account: Account, rows: LoadedViews, report: Reports) -> None:
        self.client = client
        self.account = account
        self.rows = rows
        self.report = report
        # A course's members by role, asked once per course ({"course_1_students": 150}): the
        # composer says how many a "Students in BIO 101" reaches, and Canvas's rules depend on it.
        self._role_counts: dict[str, dict[str, int]] = {}

    async def search(self, text: str, context: str | None = None) -> list[Recipient]:
        text = text.strip()
        if not text and not context:
            return []
        try:
            found = await self.client.search_recipients(text or None, context=context, per_page=20,
                                                        synthetic_contexts=bool(context and not text))
        except CanvasError as error:
            self.report.fail(error)
            return []
        # Canvas lists the searcher among the matches; nobody writes to themself from here.
        found = [r for r in found if r.id != str(self.account.me_id)]
        if text and not context:
            words = words_of(text)
            found += self._known_people_canvas_missed(text, words, {r.id for r in found})
            found += await self._course_roles(words)
        return found

    def _known_people_canvas_missed(self, text: str, words: list[str], found: set[str]) -> list[Recipient]:
        """People of the loaded conversations whose name matches only without its accents
        ("zoe" for Zoë): Canvas matches the letters as typed and cannot have found them."""
        typed = text.casefold().split()
        seen: set[int] = {self.account.me_id}
        people = []
        for row in self.rows.every_row():
            for person in row.participants:
                if person.id in seen:
                    continue
                seen.add(person.id)
                names = (person.full_name, person.name)
                if (str(person.id) not in found and matches(words, *names)
                        and not all(any(w in n.casefold() for n in names) for w in typed)):
                    people.append(Recipient(id=str(person.id), name=person.name, full_name=person.full_name,
                                            type="user", user_count=None, context_name=None,
                                            common_courses=dict(person.common_courses), avatar_url=None,
                                            pronouns=person.pronouns))
                    if len(people) >= KNOWN_PEOPLE_OFFERED:
                        return people
        return people

    async def _course_roles(self, words: list[str]) -> list[Recipient]:
        """Whole courses by role ("Students in BIO 101"), with how many each reaches: matched by
        the course's name or code, or by the role ("Students" finds every course's students)."""
        wanted = []
        for course in self.account.courses:
            short = course.course_code or course.name
            roles = [(f"{course.context_code}_{suffix}", f"{label} in {short}")
                     for suffix, label in (("students", "Students"), ("teachers", "Teachers"), ("tas", "TAs"))]
            roles = [(code, label) for code, label in roles if matches(words, label, course.name)]
            if roles:
                wanted.append((course, roles))
        counts = await asyncio.gather(*(self.role_counts(course.context_code) for course, _ in wanted))
        found = []
        for (course, roles), by_role in zip(wanted, counts):
            for code, label in roles:
                count = None if by_role is None else by_role.get(code, 0)
                if count == 0:
                    continue  # nobody has that role there: nothing to send to
                found.append(Recipient(id=code, name=label, full_name=None, type="context", user_count=count,
                                       context_name=course.name, common_courses={}, avatar_url=None))
        return found

    async def role_counts(self, course_code: str) -> dict[str, int] | None:
        """A course's members by role, from search's synthetic contexts (``course_1_students`` and
        its ``user_count``); a role Canvas leaves out has nobody. None if Canvas could not be asked."""
        if course_code not in self._role_counts:
            try:
                found = await self.client.search_recipients(None, context=course_code, synthetic_contexts=True,
                                                            per_page=20)
            except CanvasError as error:
                log.warning("could not count the members of %s: %s", course_code, error)
                return None
            self._role_counts[course_code] = {r.id: r.user_count for r in found if r.user_count is not None}
        return self._role_counts[course_code]
