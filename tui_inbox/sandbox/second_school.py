"""The second school (``--institution 2``): a community college with its own people, courses,
group, conversations and discussions, for the person who has a Canvas account at two schools.

Its demo user is the same human as the seeded school's, Margaret Okafor, here an adjunct with
another user id, login and token, teaching other courses. Its ids start from 1 as every Canvas
instance's do, so they collide with the first school's (user 1, course 1, conversation 7 exist at
both as different things): what a client of several accounts must keep apart. Deterministic from
the seed; the first school's data does not depend on anything here.
"""

from __future__ import annotations

from .discussion_seed import T, seed_discussions
from .inbox_seed import PDF_BYTES, InboxSeeder, seed_conversations
from .people import person, staff
from .state import SandboxState
from .world import Course, Group, Section

COURSES = [
    # id, name, code, state
    (1, "Human Biology", "BIOL 105", "available"),
    (2, "Anatomy and Physiology I", "BIOL 221", "available"),
    (3, "College Algebra", "MATH 120", "available"),
    (4, "Nutrition Basics", "NUTR 110", "completed"),  # concluded: messaging refused
]
DEMO_TEACHER = 6
STAFF = [
    # id, full name, short name, role, courses
    (1, "Theresa Whitehorse", "Terri", "teacher", (3,)),
    (2, "Kwame Mensah", "Kwame", "ta", (1, 2)),
    (DEMO_TEACHER, "Margaret Okafor", "Maggie Okafor", "teacher", (1, 2, 4)),
]
STUDENT_NAMES = [
    "Camila Ortega", "Tyler Brennan", "Destiny Carter", "Đặng Văn Minh", "Aiyana Yazzie", "Kenji Watanabe",
    "Fatou Diop", "Leilani Kahale", "Marcus Johnson", "Priscilla Owusu", "Svetlana Morozova", "Gabriel Santos",
    "Noor Rahman", "Tariq Mahmoud", "Yuki Sato", "Zainab Bello", "Brianna Lopez", "Connor McAllister",
    "Hannah Schmidt", "Ravi Menon", "Ewa Nowak", "Jordan Pierce",
]
FIRST_STUDENT = 10
OBSERVER = (60, "Carmen Ortega", "Carmen Ortega", "observer")  # Camila's mother, in BIOL 105
ADMIN = (90, "Gerald Pryce", "Gerald", "admin")

SUBJECTS = [
    "Missed the lab practical", "Financial aid hold", "Tutoring center hours", "Question about the care plan",
    "Can I switch to the evening section?", "Textbook access code", "Quiz 3 wouldn't submit", "Transfer credit",
    "Bone identification list", "Late because of my shift", "Study guide for the exam", "Childcare this week",
]
BODIES = [
    "Hi Professor, I work nights this week. Is there another time I could take the quiz?",
    "The access code from the bookstore doesn't work. Who should I ask?",
    "I couldn't find the bone list for the practical in the module. Could you post it?",
    "Quiz 3 froze on the last question and now it says I've used my attempt.",
    "Do you know if this course transfers to the state university as BIO 101?",
    "Thank you for the extra time, I really appreciate it.",
]
REPLIES = [
    "No problem, I've opened a second attempt for you.",
    "Ask the bookstore for a new code; I'll extend the deadline until it works.",
    "It's posted now under Week 4. Good luck on the practical!",
    "Yes, it transfers. Keep your syllabus for the transfer office.",
    "Come to the tutoring center on Tuesday: I'm there from 4 to 6.",
]
TOPICS = [
    (("Course", 1), "teacher", "Welcome to Human Biology",
     "<p>Welcome! Evening lab sections meet in Building C, room 112. Bring closed-toe shoes.</p>",
     9.0, {"is_announcement": True},
     [T("student", "<p>Is there parking near Building C after 6pm?</p>",
        T("teacher", "<p>Yes, lot D is free after 5pm.</p>"))]),
    (("Course", 2), "teacher", "Muscle tissue: which type and why?",
     "<p>Pick one organ and explain which muscle tissue it uses and why. Reply to one classmate.</p>",
     3.0, {"assignment_id": 201, "points_possible": 5.0, "due_in_days": 2},
     [T("student", "<p>The heart: cardiac muscle, because it must contract without tiring.</p>",
        T("ta", "<p>Good. What lets the cells contract together?</p>",
          T("student", "<p>Intercalated discs!</p>"))),
      T("student", "<p>Tôi chọn dạ dày: cơ trơn co bóp chậm và đều. (The stomach: smooth muscle.)</p>")]),
    (("Group", 1), "student", "Flashcards for the practical",
     "<p>I made flashcards for the bones of the skull. Add yours below!</p>",
     2.0, {}, [T("student", "<p>Added the vertebrae. The hyoid is the trick one.</p>")]),
    (("Course", 1), "teacher", "Campus closed Friday",
     "<p>The college is closed on Friday for the storm. The quiz moves to Monday.</p>",
     0.6, {"is_announcement": True}, []),
]


def seed_people(state: SandboxState) -> int:
    """Fill the world with the college's people and places; returns the demo teacher's id."""
    world, seed, school = state.world, state.knobs.seed, state.institution
    for cid, name, code, workflow in COURSES:
        world.add_course(Course(cid, name, code, workflow, sis_course_id=f"RCC-2026SP-{code.replace(' ', '')}"))
        world.add_section(Section(cid * 10 + 1, cid, f"{code} Day"))
        world.add_section(Section(cid * 10 + 2, cid, f"{code} Evening"))
    for uid, full, short, role, courses in STAFF:
        world.add_user(staff(uid, full, short, role, seed, school, time_zone="America/Chicago"))
        for cid in courses:
            world.enroll(uid, cid, role)
    students = []
    for offset, full in enumerate(STUDENT_NAMES):
        uid = FIRST_STUDENT + offset
        world.add_user(person(uid, full, "student", seed, school, time_zone="America/Chicago"))
        students.append(uid)
        first = 1 if offset % 2 == 0 else 2  # everyone takes one of Margaret's courses
        world.enroll(uid, first, "student", section_id=first * 10 + 1 + (offset % 3 == 2))
        if offset % 3 == 0:
            world.enroll(uid, 3, "student")
        if offset < 4:
            world.enroll(uid, 4, "student")
    oid, full, short, role = OBSERVER
    world.add_user(staff(oid, full, short, role, seed, school, observee_ids=(FIRST_STUDENT,)))
    world.enroll(oid, 1, "observer", observee_id=FIRST_STUDENT)
    aid, full, short, role = ADMIN
    world.add_user(staff(aid, full, short, role, seed, school))
    members = [DEMO_TEACHER, 2] + [uid for uid in students if 2 in world.course_ids_of(uid)][:5]
    world.add_group(Group(1, "A&P Study Group", 2, member_ids=members))
    return DEMO_TEACHER


class CollegeSeeder(InboxSeeder):
    """Margaret's inbox at the college: fewer conversations than the university's, each kind once."""

    subjects, bodies, replies = SUBJECTS, BODIES, REPLIES

    def showcase(self) -> None:
        t, world, school = self.teacher, self.state.world, self.state.institution
        camila, tyler, destiny, minh, aiyana = (FIRST_STUDENT + i for i in range(5))
        ta = 2

        # A private thread with attachments both ways.
        c = self.conversation(tyler, [t], "Missed the lab practical", private=True, context_code="course_2")
        note = self.attach(tyler, "doctors-note.pdf", "application/pdf", PDF_BYTES * 12)
        plan = self.attach(t, "make-up-schedule.txt", "text/plain", b"Make-up practical\n- Tuesday 5pm, C112\n")
        for i in range(8):
            author = tyler if i % 2 == 0 else t
            body = BODIES[i % len(BODIES)] if author == tyler else REPLIES[i % len(REPLIES)]
            extra = {"attachment_ids": (note,)} if i == 0 else {"attachment_ids": (plan,)} if i == 3 else {}
            self.say(c, author, body, self.ago(70 - i * 4), first=i == 0, **extra)

        # The study group, in its group's context.
        group = world.groups[1].member_ids
        c = self.conversation(t, [u for u in group if u != t], "Study group: practical review", private=False,
                              context_code="group_1")
        self.say(c, t, "I booked C112 on Thursday at 6 for a review before the practical.", self.ago(30), first=True)
        self.say(c, group[2], "Thank you! Can we bring the bone box home overnight?", self.ago(9))

        # A media comment, on the college's own Canvas host.
        c = self.conversation(destiny, [t], "Recorded question about the heart diagram", private=True)
        self.say(c, destiny, "It was easier to record my question.", self.ago(15), first=True,
                 media_comment={"content-type": "audio/mp4", "display_name": "Question about the heart diagram",
                                "media_id": "m-7a1d4e", "media_type": "audio",
                                "url": f"https://{school.web_host}/media_objects/m-7a1d4e/redirect"})

        # Another script.
        c = self.conversation(minh, [t], "Câu hỏi về bài kiểm tra", private=True, context_code="course_2")
        self.say(c, minh, "Cô ơi, bài kiểm tra thứ Hai có gồm chương 6 không ạ? Em cảm ơn cô!", self.ago(4), first=True)

        # Sent by Margaret with no reply yet: only under "sent".
        c = self.conversation(t, [aiyana], "Tutoring center referral", private=False)
        self.say(c, t, "The tutoring center has an A&P tutor on Tuesdays; I think it would help.", self.ago(5),
                 first=True)

        # A note to a course's students, archived after.
        c = self.conversation(t, [u for u in world.course_members(1) if u != t], "BIOL 105: no class Monday",
                              private=False, context_code="course_1")
        self.say(c, t, "No class on Monday (college holiday). Read chapter 5 instead.", self.ago(80), first=True)
        self.say(c, camila, "Thanks, enjoy the long weekend!", self.ago(79))
        self.view(c).workflow_state = "archived"

        # Starred: the TA's grading question.
        c = self.conversation(ta, [t], "Grading split for the midterm", private=True, context_code="course_1")
        self.say(c, ta, "Shall I grade the short answers and you the essays, as last term?", self.ago(40), first=True)
        self.view(c).starred = True

        # A parent, about her daughter.
        c = self.conversation(OBSERVER[0], [t], "Camila's absences", private=True)
        self.say(c, OBSERVER[0], "Camila was ill last week. Can she still make up the lab?", self.ago(20), first=True)


def seed_second_school(state: SandboxState) -> None:
    state.demo_user_id = seed_people(state)
    seed_conversations(state, CollegeSeeder(state), traffic=40)
    seed_discussions(state, TOPICS)
