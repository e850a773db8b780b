"""Simulated activity (``knobs.activity`` > 0): other people write while the demo runs.

About every ``activity`` seconds (randomised by +-50 % so the stream does not tick like
a metronome) one person does one thing: a student answers one of the demo teacher's
conversations, a student starts a new one with the teacher, someone is added to a
group conversation, a student replies in a discussion, or a TA announces something.
With ``--school`` (school.py) each action first picks the teacher it happens around,
the demo teacher or one of the school's, so the activity spreads over every class.

Every action goes through the same functions the API handlers call (messaging.py,
discussions.py), so the store changes and the live events go out exactly as they
would for a real request, to exactly the right people. Draws come from
``random.Random(knobs.seed)``, so a quiet run replays the same sequence.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid

from .events import Origin
from .messaging import add_people, post_message, start_conversation
from .state import SandboxState

log = logging.getLogger("tui_inbox.sandbox")

MAX_GROUP = 15  # stop growing a group conversation past this many people
SAMPLE = 400  # conversations looked at per action
MAX_BEHIND = 1.0  # seconds the schedule may lag before it starts again from now

SUBJECTS = [
    "Quick question about today's lecture", "Pregunta sobre la tarea", "Frage zur Klausur",
    "Question sur le TP", "关于作业的问题", "سؤال عن المحاضرة", "Dúvida sobre o relatório",
    "Вопрос по лабораторной", "Can I switch lab sections?", "提出期限について",
]
TEXTS = [
    "Thanks! That makes sense now.",
    "Could you post the slides from today? I missed the last ten minutes.",
    "¿Podría explicar otra vez el ejercicio 3? No entiendo el segundo paso.",
    "Vielen Dank für die schnelle Antwort! 🙏",
    "Est-ce que le rendu peut se faire en binôme ?",
    "老师，我明天可以晚一点交作业吗？",
    "شكراً جزيلاً، سأرسل التقرير الليلة.",
    "Obrigado, professora! Vou corrigir a introdução.",
    "Спасибо, теперь всё понятно.",
    "課題の提出期限を一日延ばしていただけますか？",
    "I uploaded the corrected file, please check when you have a moment.",
    "Is the quiz on Friday open-book? 📚",
]
ANNOUNCEMENTS = [
    ("Office hours moved", "<p>This week's office hours move to Thursday 3–5 pm, room B204.</p>"),
    ("Lab safety reminder", "<p>Goggles and closed shoes are required in every lab session.</p>"),
    ("Recordatorio: entrega el viernes", "<p>La entrega del informe es este viernes a las 17:00.</p>"),
    ("Klausurtermin bestätigt", "<p>Die Klausur findet am Dienstag um 10 Uhr statt. Viel Erfolg! 🍀</p>"),
    ("期中考试安排", "<p>期中考试将于下周三上午九点举行，请提前十分钟到场。</p>"),
]
USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "candroid/7.12.0 (Android 14; Pixel 7)",
    "iCanvas/7.10.1 (iPhone; iOS 17.5; Scale/3.00)",
]


def next_due(due: float, now: float, gap: float) -> float:
    """When the next action is due: ``gap`` after the last one was due, not after it finished.

    Sleeping ``gap`` after each action made the rate fall as the actions and the machine slowed
    (``--activity 0.018`` gave 31 actions a second, not 55, in the relay benchmark). Behind by
    more than a second (the process was stopped, or cannot keep up), the schedule starts again
    from now rather than firing the missed actions in a burst."""
    return max(due + gap, now - MAX_BEHIND)


class Activity:
    def __init__(self, state: SandboxState, hostname: str = "127.0.0.1") -> None:
        self.state = state
        self.rng = random.Random(state.institution.salt(state.knobs.seed))
        self.hostname = hostname
        self.teacher = state.demo_user_id  # whom this action happens around
        self.teachers = [state.demo_user_id, *state.school_teachers]
        self.session: dict[int, str] = {}  # one browser session per simulated person

    # -- the loop ---------------------------------------------------------
    async def run(self) -> None:
        actions = [(0.40, self.student_replies), (0.25, self.student_writes), (0.08, self.someone_added),
                   (0.20, self.discussion_reply), (0.07, self.announcement)]
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            interval = self.state.knobs.activity  # read each time: a demo may change it live
            due = next_due(due, loop.time(), interval * self.rng.uniform(0.5, 1.5))
            await asyncio.sleep(max(0.001, due - loop.time()))
            try:
                if len(self.teachers) > 1:  # one teacher (no --school): the same draws as ever
                    self.teacher = self.pick(self.teachers)
                roll, chosen = self.rng.random(), actions[-1][1]
                for weight, action in actions:
                    if roll < weight:
                        chosen = action
                        break
                    roll -= weight
                # Fall back to a reply when the chosen action has nothing to act on.
                if not chosen() and chosen is not self.student_replies:
                    self.student_replies()
            except Exception:  # one failed action must not end the activity
                log.exception("simulated activity failed")

    # -- helpers ----------------------------------------------------------
    def origin(self, user_id: int, path: str, method: str = "POST") -> Origin:
        """The metadata of a request this person might have made from a browser or phone."""
        user = self.state.world.users[user_id]
        session = self.session.setdefault(user_id, uuid.UUID(int=self.rng.getrandbits(128)).hex)
        return Origin(
            user=user, hostname=self.hostname, http_method=method, url=f"http://{self.hostname}{path}",
            client_ip=f"203.0.113.{user_id % 250 + 1}",  # TEST-NET-3: clearly not a real address
            user_agent=USER_AGENTS[user_id % len(USER_AGENTS)], session_id=session,
            institution=self.state.institution,
        )

    def sample_inbox(self, size: int = SAMPLE) -> list:
        """Some of the teacher's conversations: with ``--conversations 100000`` looking at all
        of them on every tick would stall the server's loop."""
        rows = list(self.state.conversations.views.get(self.teacher, {}).values())
        return rows if len(rows) <= size else self.rng.sample(rows, size)

    def text(self) -> str:
        return self.rng.choice(TEXTS)

    def pick(self, items: list):
        return items[self.rng.randrange(len(items))] if items else None

    def live_course(self, code: str | None) -> bool:
        """Nobody but staff writes in a concluded course's conversations (compose_api.add_message)."""
        if code and code.startswith("course_"):
            course = self.state.world.courses.get(int(code.split("_")[1]))
            return course is None or not course.concluded
        return True

    def students(self) -> list[int]:
        """The students who may write to the teacher, by id: only the people of the teacher's
        courses and groups can be (world.messageable), and a school has thousands of others."""
        world = self.state.world
        near = {u for c in world.course_ids_of(self.teacher) for u in world.course_members(c)}
        near.update(u for g in world.group_ids_of(self.teacher) for u in world.groups[g].member_ids)
        return [u for u in sorted(near)
                if world.users[u].role == "student" and world.messageable(u, self.teacher)]

    # -- conversations ------------------------------------------------------
    def student_replies(self) -> bool:
        """A student answers in one of the teacher's conversations they still take part in."""
        world = self.state.world
        candidates = []
        for participant in self.sample_inbox():
            conversation = participant.conversation
            if not participant.messages or not self.live_course(conversation.context_code):
                continue
            students = [uid for uid, p in conversation.participants.items()
                        if uid != self.teacher and p.messages and world.users[uid].role == "student"]
            if students:
                candidates.append((conversation, students))
        # The conversation first: a course-wide thread must not win just for having many students.
        chosen = self.pick(candidates)
        if chosen is None:
            return False
        conversation, student = chosen[0], self.pick(chosen[1])
        post_message(self.state, self.origin(student, f"/api/v1/conversations/{conversation.id}/add_message"),
                     conversation, student, self.text())
        return True

    def student_writes(self) -> bool:
        """A student opens a new conversation with the teacher in a course they share."""
        world = self.state.world
        student = self.pick(self.students())
        if student is None:
            return False
        courses = [c for c in world.course_ids_of(student)
                   if c in world.course_ids_of(self.teacher) and not world.courses[c].concluded]
        course = self.pick(courses)
        # As a ``force_new=true`` POST does: a fresh conversation, never a reused private one.
        start_conversation(self.state, self.origin(student, "/api/v1/conversations"), student, [self.teacher],
                           self.rng.choice(SUBJECTS), self.text(), private=False,
                           context_code=f"course_{course}" if course else None, reuse=False)
        return True

    def someone_added(self) -> bool:
        """A participant of one of the teacher's group conversations adds a classmate."""
        world = self.state.world
        options = []
        for participant in self.sample_inbox():
            conversation = participant.conversation
            # A group conversation is one of three or more; two-person threads stay as they are.
            if conversation.private or not 3 <= len(conversation.participants) < MAX_GROUP \
                    or not participant.messages:
                continue
            if not self.live_course(conversation.context_code):
                continue
            for actor in conversation.participants:
                if actor == self.teacher:
                    continue  # the point is that *others* act
                newcomers = [u for u in self.context_people(conversation.context_code, actor)
                             if u not in conversation.participants and world.messageable(actor, u)]
                if newcomers:
                    options.append((conversation, actor, newcomers))
        chosen = self.pick(options)
        if chosen is None:
            return False
        conversation, actor, newcomers = chosen
        add_people(self.state, self.origin(actor, f"/api/v1/conversations/{conversation.id}/add_recipients"),
                   conversation, actor, [self.pick(newcomers)])
        return True

    def context_people(self, code: str | None, actor: int) -> list[int]:
        """Whom the actor could plausibly add: the conversation's course or group, else their courses."""
        world = self.state.world
        if code and code.startswith("group_"):
            group = world.groups.get(int(code.split("_")[1]))
            return list(group.member_ids) if group else []
        if code and code.startswith("course_"):
            return world.course_members(int(code.split("_")[1]))
        return [u for c in world.course_ids_of(actor) for u in world.course_members(c)]

    # -- discussions (discussions.py; the store exists once the app is seeded) ------------
    def discussion_reply(self) -> bool:
        """A student posts in a discussion of one of the teacher's courses, often as a reply."""
        if self.state.discussions is None:
            return False
        from .discussions import can_reply, post_entry

        store = self.state.discussions
        options = []
        for course in self.state.world.course_ids_of(self.teacher):
            for topic in store.topics_in("Course", course):
                if topic.is_announcement:
                    continue
                options += [(topic, u) for u in self.state.world.course_members(course)
                            if self.state.world.users[u].role == "student" and can_reply(self.state, u, topic)]
        chosen = self.pick(options)
        if chosen is None:
            return False
        topic, student = chosen
        entries = store.entries_of(topic)
        parent = self.pick(entries) if entries and self.rng.random() < 0.5 else None
        path = f"/api/v1/{topic.context_path}/discussion_topics/{topic.id}/entries"
        if parent is not None:
            path += f"/{parent.id}/replies"
        post_entry(self.state, self.origin(student, path), topic, student, f"<p>{self.text()}</p>",
                   parent_id=parent.id if parent else None)
        return True

    def announcement(self) -> bool:
        """A TA (or another teacher) of one of the teacher's live courses announces something; a
        school's teacher may announce too (only the demo teacher is the person at the keyboard)."""
        if self.state.discussions is None:
            return False
        from .discussions import create_topic

        world = self.state.world
        options = [(c, u) for c in world.course_ids_of(self.teacher) if not world.courses[c].concluded
                   for u in world.course_members(c) if u != self.state.demo_user_id
                   and {"TeacherEnrollment", "TaEnrollment"} & set(world.enrollment_types(u, c))]
        chosen = self.pick(options)
        if chosen is None:
            return False
        course, author = chosen
        title, message = self.rng.choice(ANNOUNCEMENTS)
        create_topic(self.state, self.origin(author, f"/api/v1/courses/{course}/discussion_topics"),
                     "Course", course, title, message, is_announcement=True)
        return True


def start(state: SandboxState) -> asyncio.Task | None:
    """Start the activity on the running loop (the app's lifespan), or nothing when quiet."""
    if state.knobs.activity <= 0:
        return None
    return state.spawn(Activity(state, state.hostname).run())
