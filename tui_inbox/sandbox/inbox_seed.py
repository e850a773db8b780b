"""The seeded conversations: the demo teacher's inbox, deterministic from ``--seed``.

A showcase of what real inboxes hold (long threads, nested forwards, attachments, a
media comment, generated messages, several scripts, text that looks like markup or
carries terminal escapes), then ordinary traffic across every scope, then, with
``--conversations N``, N more for load. Seeding writes the store directly: nobody is
listening yet, so no live events are sent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .conversations import Conversation, Message, Participant
from .messaging import added_text, conversation_tags
from .state import SandboxState

SUBJECTS = [
    "Question about the midterm", "Lab report extension", "Missing quiz score", "Office hours this week?",
    "Group project partners", "Regrade request: problem 4", "Absent on Thursday", "Reading for next week",
    "Titration lab data", "Can't open the assignment PDF", "Feedback on my essay draft", "Late submission",
    "Study group", "Recommendation letter", "Final exam conflict", "Lecture slides missing",
    "Question on stereochemistry", "Primary sources for the essay", "Attendance", "Extra credit?",
]
BODIES = [
    "Hi, could you clarify what will be covered? I want to make sure I study the right chapters.",
    "I was sick this week and couldn't finish. Would it be possible to get two more days?",
    "My score shows 0 but I submitted it on time. Could you take a look?",
    "Thanks so much, that really helps!",
    "Sure, I'll bring my notes to office hours tomorrow at 2pm.",
    "I attached my draft. Any feedback is welcome, especially on the introduction.",
    "Is the reading on the syllabus still current, or did it change after the schedule update?",
    "Got it, thank you. I'll resubmit tonight.",
    "Could we meet after class to talk about my project topic?",
    "The link in the module seems broken — it gives me a 404.",
]
REPLIES = [
    "Thanks for letting me know. Yes, that's fine.",
    "Good question — chapters 4 through 7, plus the lab handouts.",
    "I've fixed the score; it should show up now.",
    "Please come by office hours and we'll go through it.",
    "Two more days is fine. Submit by Friday 5pm.",
    "I looked at your draft: the argument is strong, but tighten the second paragraph.",
]
LONG_BODY = "\n\n".join(
    [
        "Dear Professor Okafor,",
        "I wanted to write a longer note about the group project, because a few things have come up "
        "that I think you should know before the presentations next week. " * 3,
        "First, our group has had trouble coordinating schedules. Two of us work evening shifts and the "
        "other two have labs in the afternoon, so we have mostly been working asynchronously in a shared "
        "document. That has worked for the writing but not for the data analysis. " * 2,
        "Second, the dataset we chose turned out to have gaps for the years we care about, so we have "
        "switched to the alternative source you mentioned in lecture. We documented the change in our "
        "methods section. " * 2,
        "Finally, I wanted to ask whether it would be acceptable for us to present on Thursday instead "
        "of Tuesday, since one member will be away at a conference.",
        "Thank you for your patience and for all the help this term.",
        "Best regards,\nAlice",
    ]
)
HOSTILE_SUBJECT = "[@click=app.quit]Click me[/] and [bold red]URGENT[/] \x1b[31mred\x1b[0m"
HOSTILE_BODY = (
    "Looks like markup: [bold]bold?[/bold] [link=https://example.com]a link[/link] [@click=app.quit]quit[/]\n"
    "Terminal escapes: \x1b[2J\x1b[H cleared? \x1b[31mred\x1b[0m \x1b]0;pwned title\x07 \x1b]8;;https://evil.example\x07osc link\x1b]8;;\x07\n"
    "Control characters: bell\x07 backspace\x08 null-ish\x7f end."
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class InboxSeeder:
    # What ordinary traffic says; another school (second_school.py) has its own.
    subjects, bodies, replies = SUBJECTS, BODIES, REPLIES

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = state.conversations
        self.rng = random.Random(state.institution.salt(state.knobs.seed))
        self.now = state.clock.start
        self.teacher = state.demo_user_id
        world = state.world
        self.students = sorted(u.id for u in world.users.values() if u.role == "student")
        self.mine = [u for u in self.students if world.messageable(self.teacher, u)]

    # -- building blocks -------------------------------------------------------
    def conversation(self, author: int, recipients: list[int], subject: str | None, *, private: bool,
                     context_code: str | None = None) -> Conversation:
        tags = conversation_tags(self.state, author, recipients, context_code, private=private)
        conversation, _ = self.store.start(author, recipients, subject, private=private,
                                           context_code=context_code, tags=tags, reuse=private)
        return conversation

    def say(self, conversation: Conversation, author: int, body: str, at: datetime, *, first: bool = False,
            **extra) -> Message:
        return self.store.add_message(conversation, author, body, created_at=at, update_for_sender=not first, **extra)

    def view(self, conversation: Conversation, user_id: int | None = None) -> Participant:
        return conversation.participants[user_id or self.teacher]

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def attach(self, owner: int, name: str, content_type: str, data: bytes) -> int:
        return self.state.files.add(owner, name, content_type, data).id

    # -- the showcase ----------------------------------------------------------------
    def showcase(self) -> None:
        t, world = self.teacher, self.state.world
        jane, bob, alice = 10, 11, 12
        ta = next(u.id for u in world.users.values() if u.role == "ta" and world.messageable(t, u.id))

        # A long private thread with attachments both ways.
        c = self.conversation(jane, [t], "Lab report extension", private=True, context_code="course_1")
        draft = self.attach(jane, "lab-report-draft.pdf", "application/pdf", PDF_BYTES * 40)
        for i in range(20):
            author = jane if i % 2 == 0 else t
            body = BODIES[i % len(BODIES)] if author == jane else REPLIES[i % len(REPLIES)]
            extra = {"attachment_ids": (draft,)} if i == 2 else {}
            if i == 7:
                extra = {"attachment_ids": (self.attach(t, "rubric.txt", "text/plain",
                                                        "Rubric\n- Introduction: 10\n- Methods: 20\n".encode()),)}
            self.say(c, author, body, self.ago(90 - i * 3), first=i == 0, **extra)

        # Forwarded messages nested two deep: the TA forwards a forward.
        origin = self.conversation(bob, [ta], "Grade dispute", private=True, context_code="course_1")
        a = self.say(origin, bob, "I think question 3 was graded wrong: my answer matches the key.", self.ago(50), first=True)
        b = self.say(origin, ta, "Forwarding to the instructor with my notes.", self.ago(49), forwarded=(a,))
        c = self.conversation(ta, [t], "Fwd: Grade dispute", private=True, context_code="course_1")
        self.say(c, ta, "Can you take a look at this one? Bob's point seems fair.", self.ago(48), first=True, forwarded=(b,))
        self.say(c, t, "Agreed, I'll regrade question 3.", self.ago(47))
        self.view(c).workflow_state = "read"

        # A group conversation that gained a member: a generated message.
        lab = self.conversation(t, [ta, jane, bob, alice], "Lab Group A: safety briefing", private=False,
                                context_code="group_1")
        self.say(lab, t, "Reminder: goggles on at all times in the lab, no exceptions.", self.ago(30), first=True)
        self.say(lab, jane, "Will the lab be open on Saturday for make-up sessions?", self.ago(29))
        newcomer = next(u for u in world.groups[1].member_ids if u not in lab.participants)
        self.store.add_participants(lab, t, [newcomer], added_text(self.state, [newcomer], t))
        lab.messages[-1].created_at = self.ago(28)
        self.say(lab, newcomer, "Thanks for adding me! Saturday works for me too.", self.ago(2))

        # A media comment.
        c = self.conversation(bob, [t], "Recorded question about the homework", private=True)
        self.say(c, bob, "I recorded my question, it's easier to explain out loud.", self.ago(20), first=True,
                 media_comment={"content-type": "video/mp4", "display_name": "Question about problem 2",
                                "media_id": "m-3f9c2a", "media_type": "video",
                                "url": "https://canvas.example.edu/media_objects/m-3f9c2a/redirect"})

        # A long body.
        c = self.conversation(alice, [t], "Group project update (long, sorry)", private=True, context_code="course_1")
        self.say(c, alice, LONG_BODY, self.ago(6), first=True)

        # Several scripts.
        for name, subject, body, hours in [
            ("王芳", "关于期中考试的问题", "老师您好，请问期中考试包括第五章吗？谢谢！", 5),
            ("李小龙", "实验报告", "我已经上传了实验报告，请查收。🙏", 26),
            ("ليلى حداد", "سؤال عن الواجب", "مرحباً أستاذة، هل يمكن تسليم الواجب يوم الأحد؟ شكراً جزيلاً.", 8),
            ("Zoë 🌟 Müller", "Danke! 🎉🎉", "Thank you for the extra office hours 🙌 — the review was super helpful ✨", 12),
        ]:
            uid = next(u.id for u in world.users.values() if u.name == name)
            if world.messageable(t, uid):
                c = self.conversation(uid, [t], subject, private=True)
                self.say(c, uid, body, self.ago(hours), first=True)

        # Text that looks like markup or carries escape sequences.
        tables = next(u.id for u in world.users.values() if u.name.startswith("[bold]"))
        c = self.conversation(tables, [t], HOSTILE_SUBJECT, private=True)
        self.say(c, tables, HOSTILE_BODY, self.ago(1), first=True)

        # Sent by the teacher with no reply yet: only under "sent".
        c = self.conversation(t, [alice], "Your presentation slot", private=False)
        self.say(c, t, "You're presenting on Thursday at 10:15. Let me know if that doesn't work.", self.ago(3), first=True)

        # A course-wide note to the students of a course, archived after.
        c = self.conversation(t, [u for u in world.course_members(2) if u != t], "CHEM 210: room change", private=False,
                              context_code="course_2")
        self.say(c, t, "Thursday's lecture moves to Science Hall 204.", self.ago(70), first=True)
        self.say(c, self.students[1], "Thanks for the heads up!", self.ago(69))
        self.view(c).workflow_state = "archived"

        # An observer asking about their child.
        observer = next(u.id for u in world.users.values() if u.role == "observer")
        c = self.conversation(observer, [t], "Jane's progress", private=True)
        self.say(c, observer, "Hello, I'm Jane's parent. How is she doing in the course so far?", self.ago(40), first=True)
        self.view(c).starred = True

    # -- ordinary traffic -----------------------------------------------------------
    def traffic(self, count: int, hours_back: float, *, max_messages: int = 6) -> None:
        rng, t = self.rng, self.teacher
        for i in range(count):
            student = self.mine[rng.randrange(len(self.mine))]
            subject = self.subjects[rng.randrange(len(self.subjects))]
            start = self.ago(hours_back * (i + 1) / count + rng.random())
            teacher_first = rng.random() < 0.2
            author, other = (t, student) if teacher_first else (student, t)
            conversation = self.conversation(author, [other], subject, private=False)
            n = 1 + int(rng.random() ** 2 * max_messages)
            for k in range(n):
                speaker = author if k % 2 == 0 else other
                said = self.bodies if speaker == student else self.replies
                text = said[rng.randrange(len(said))]
                self.say(conversation, speaker, text, start + timedelta(minutes=17 * k), first=k == 0)
            view = conversation.participants[t]
            roll = rng.random()
            if view.last_message_at is not None:
                if roll < 0.12:
                    view.workflow_state = "archived"
                elif roll < 0.45:
                    view.workflow_state = "unread" if view.messages[-1].author_id != t else "read"
                else:
                    view.workflow_state = "read"
            if rng.random() < 0.1:
                view.starred = True
            student_view = conversation.participants[student]
            if student_view.last_message_at is not None and rng.random() < 0.6:
                student_view.workflow_state = "read"

    def fast_bulk(self, count: int) -> None:
        """``--conversations N``: many small two-message threads, built without per-call overhead."""
        rng, t, store = self.rng, self.teacher, self.store
        for i in range(count):
            student = self.mine[i % len(self.mine)]
            start = self.ago(24 * 400 * (i + 1) / count)
            conversation = self.conversation(student, [t], SUBJECTS[i % len(SUBJECTS)], private=False)
            self.say(conversation, student, BODIES[i % len(BODIES)], start, first=True)
            if i % 3 == 0:
                self.say(conversation, t, REPLIES[i % len(REPLIES)], start + timedelta(minutes=30))
            view = conversation.participants[t]
            roll = rng.random()
            view.workflow_state = "archived" if roll < 0.1 else ("unread" if roll < 0.3 else "read")
            view.starred = roll > 0.95
        store.touch(t)

    def long_thread(self, count: int) -> None:
        """``--long-thread N``: Jane and the teacher taking turns, N messages, the newest conversation.

        The last message is the newest of the whole inbox (half an hour ago), each message is
        numbered in its text ("Message 1 of N"), so a test or a benchmark can tell which are shown.
        """
        t, jane = self.teacher, 10
        # Not private: a private one would be the showcase's "Lab report extension", reused.
        c = self.conversation(jane, [t], f"A very long thread ({count:,} messages)", private=False,
                              context_code="course_1")
        for i in range(count):
            author = jane if i % 2 == 0 else t
            body = (BODIES if author == jane else REPLIES)[i % len(BODIES if author == jane else REPLIES)]
            self.say(c, author, f"Message {i + 1} of {count}. {body}", self.ago(0.5 + (count - 1 - i) / 60),
                     first=i == 0)
        self.view(c).workflow_state = "unread"


def seed_conversations(state: SandboxState, seeder: InboxSeeder | None = None, traffic: int = 150) -> None:
    """The seeded school's inbox, or another school's through its own ``seeder`` (its own showcase)."""
    seeder = seeder or InboxSeeder(state)
    seeder.showcase()
    seeder.traffic(traffic, hours_back=24 * 60)
    if state.knobs.conversations:
        seeder.fast_bulk(state.knobs.conversations)
    if state.knobs.long_thread:
        seeder.long_thread(state.knobs.long_thread)
    state.conversations.touch(*state.world.users)
