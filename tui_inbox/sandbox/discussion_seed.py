"""The seeded discussions: announcements, graded and ungraded topics, a group topic, drafts.

Deterministic from ``--seed``. Times are relative to the sandbox clock (the past few
days), so the demo always looks fresh. Texts come in several scripts, and one entry
looks like Textual markup with a terminal escape in it, because the client must show
such text literally (ARCHITECTURE.md, "Rules of the house"). The seed fills the store
directly: nobody is connected yet, so there is nobody to send events to.
"""

from __future__ import annotations

import random
from datetime import timedelta

from .discussions import DiscussionStore, DiscussionTopic, context_members
from .state import SandboxState

DAY = timedelta(days=1)
MARKUP_ENTRY = "<p>[bold]x[/bold] [@click=app.quit] \x1b[31mhi from Bobby, in red?\x1b[0m</p>"


def T(author, html: str, *replies) -> tuple:
    """One post of a thread: author is "teacher", "ta", "student" (any) or a user id."""
    return (author, html, replies)


# context, author, title, message, days ago, fields, threads
TOPICS = [
    (("Course", 1), "teacher", "Welcome to BIO 101!",
     "<p>Welcome, everyone! The syllabus is under <strong>Files</strong>, and lab sections start next week.</p>",
     6.2, {"is_announcement": True},
     [T("student", "<p>Thank you! Is the lab manual the 2025 edition?</p>",
        T("teacher", "<p>Yes, the 2025 edition. The 2024 one is missing chapter 7.</p>"))]),
    (("Course", 1), "teacher", "Introduce yourself",
     "<p>Tell us your name, your major, and one thing in biology you are curious about.</p>",
     5.1, {"pinned": True},
     [T(40, "<p>Всем привет! Меня зовут Анна, я изучаю химию. Мне интересна генетика.</p>",
        T(38, "<p>Hi Anna! Genetics here too 🧬</p>")),
      T(36, "<p>مرحبا بالجميع! اسمي ليلى، وأدرس علم الأحياء. أحب علم البيئة.</p>",
        T("teacher", "<p>أهلاً ليلى, welcome!</p>")),
      T(42, MARKUP_ENTRY,
        T("ta", "<p>Welcome, Bobby. Your posts look odd in some tools &mdash; we will survive.</p>")),
      T(34, "<p>大家好！我叫李小龙，主修生物工程。I'm curious about CRISPR.</p>")]),
    (("Course", 1), "teacher", "Week 3: Is a virus alive?",
     "<h3>Discuss</h3><p>Viruses replicate only inside host cells. Are they alive? "
     "Take a position, then reply to at least two classmates.</p>",
     4.0, {"assignment_id": 101, "points_possible": 10.0, "due_in_days": 3},
     [T("student", "<p>I'd say no: without a host cell a virus has no metabolism at all.</p>",
        T("ta", "<p>Good point. What about giant viruses like <em>Mimivirus</em>?</p>",
          T("student", "<p>They carry translation genes, so maybe they are a grey zone.</p>")),
        T("student", "<p>Metabolism isn't everything, though. Seeds are dormant too.</p>")),
      T(34, "<p>我觉得病毒不算是活的，因为它们不能自己复制。</p><p>(I don't think viruses are alive: "
            "they cannot replicate on their own.)</p>",
        T("teacher", "<p>Nice argument, and thank you for the translation.</p>")),
      T("student", "<p>Yes! They evolve by natural selection, which is <strong>the</strong> key property of life.</p>",
        T("student", "<p>Computer viruses &ldquo;evolve&rdquo; too 😄</p>",
          T("student", "<p>But those need us to copy them, just as biological ones need cells!</p>")))]),
    (("Course", 1), "teacher", "Lab safety quiz moved to Thursday",
     "<p>The lab safety quiz moves to <strong>Thursday</strong>. Goggles stay mandatory.</p>",
     0.8, {"is_announcement": True}, []),
    (("Group", 1), "student", "Lab report: who writes what?",
     "<p>Let's split the report: introduction, methods, results, discussion.</p>",
     3.0, {},
     [T("student", "<p>I'll take methods and the figures.</p>",
        T("student", "<p>Great, I'll do results then.</p>",
          T("ta", "<p>Remember to cite the lab manual in the methods section.</p>"))),
      T("student", "<p>Introduction and discussion for me. Drafts by Friday?</p>")]),
    (("Course", 2), "teacher", "Midterm review session Tuesday 6pm",
     "<p>Review session on <strong>Tuesday at 6pm</strong> in Chem 120. Bring questions!</p>",
     2.0, {"is_announcement": True},
     [T("student", "<p>Will it be recorded?</p>",
        T("ta", "<p>Yes, the recording goes up on Wednesday.</p>"))]),
    (("Course", 2), "teacher", "Stereochemistry: R or S?",
     "<p>Post the molecule that confused you most, and how you assigned R/S.</p><pre>CC(O)C(=O)O</pre>",
     3.3, {},
     [T(35, "<p>乳酸的手性中心让我困惑。Lactic acid: I got S but the key says R.</p>",
        T("teacher", "<p>Check your priorities: OH &gt; COOH &gt; CH<sub>3</sub> &gt; H.</p>",
          T(35, "<p>谢谢老师！Got it now.</p>"))),
      T(37, "<p>سؤال: هل يمكن أن يكون للجزيء مركزان كيراليان ويكون غير نشط ضوئياً؟</p>"
            "<p>(Can a molecule with two chiral centres be optically inactive?)</p>",
        T("student", "<p>Yes, meso compounds! Tartaric acid is the classic example.</p>")),
      T(41, "<p>Mình dùng mẹo xoay mô hình phân tử. Rất hữu ích!</p>")]),
    (("Course", 2), "teacher", "Final project groups (draft)",
     "<p>Groups of three; I will post the sign-up sheet soon.</p>",
     1.0, {"workflow_state": "unpublished"}, []),
    (("Course", 3), "teacher", "Reading for week 4",
     "<p>Read chapters 5&ndash;6 of <em>The Printing Revolution</em> before Monday.</p>",
     3.1, {"is_announcement": True}, []),
    (("Course", 3), "teacher", "Primary sources: the printing press",
     "<p>Eisenstein or Johns? Which reading of print culture convinces you, and why?</p>",
     5.0, {},
     [T("student", "<p>Eisenstein: the press made scholarship cumulative.</p>",
        T("ta", "<p>And Johns pushes back on &lsquo;fixity&rsquo;. Compare the two directly.</p>",
          T("student", "<p>Fair: pirated editions were everywhere, so fixity was earned, not given.</p>"))),
      T("student", "<p>Did the ratio of Latin to vernacular books flip by 1600?</p>")]),
    (("Course", 3), "teacher", "Week 1 reflections",
     "<p>One paragraph on what surprised you in week 1.</p>",
     8.0, {"lock_days_ago": 2},
     [T("student", "<p>I enjoyed the Silk Road readings more than I expected.</p>")]),
]


def seed_discussions(state: SandboxState, topics: list[tuple] | None = None) -> None:
    """The seeded school's topics, or ``topics`` in the same shape (another school's)."""
    rng = random.Random(state.institution.salt(state.knobs.seed))
    store = DiscussionStore(state.now)
    state.discussions = store
    # The clock's start, not now(): a fixed clock keeps ticking, and a reproducible run
    # (Knobs.now) must get the very same timestamps. Without one it is the current time.
    now = state.clock.start
    for (ctype, cid), author, title, message, days, fields, threads in (TOPICS if topics is None else topics):
        roster = _roster(state, ctype, cid)
        fields = dict(fields)
        posted = now - days * DAY - timedelta(minutes=rng.randint(0, 50))
        if "due_in_days" in fields:
            fields["due_at"] = now + fields.pop("due_in_days") * DAY
        if "lock_days_ago" in fields:
            fields["lock_at"] = now - fields.pop("lock_days_ago") * DAY
        topic = store.add_topic(ctype, cid, title, message, _pick(rng, roster, author), posted_at=posted, **fields)
        _post_threads(rng, store, topic, roster, threads, now)
        _mark_read(rng, state, topic, now)


def _roster(state: SandboxState, ctype: str, cid: int) -> dict[str, list[int]]:
    """Members of a course or group by role, for picking real authors."""
    world = state.world
    members = context_members(world, ctype, cid)
    course_id = cid if ctype == "Course" else world.groups[cid].course_id
    by_role: dict[str, list[int]] = {"teacher": [], "ta": [], "student": [], "all": members}
    for uid in members:
        types = world.enrollment_types(uid, course_id)
        role = ("teacher" if "TeacherEnrollment" in types else "ta" if "TaEnrollment" in types
                else "student" if "StudentEnrollment" in types else None)
        if role:
            by_role[role].append(uid)
    return by_role


def _pick(rng: random.Random, roster: dict[str, list[int]], author) -> int:
    if isinstance(author, int) and author in roster["all"]:
        return author
    return rng.choice(roster.get(author if isinstance(author, str) else "student") or roster["student"])


def _post_threads(rng, store: DiscussionStore, topic: DiscussionTopic, roster, threads, now) -> None:
    """Posts in thread order at increasing times between the topic's posting and now."""
    flat: list[tuple] = []

    def walk(posts, depth_parent):
        for author, html, replies in posts:
            flat.append((author, html, depth_parent, len(flat)))
            walk(replies, len(flat) - 1)

    walk(threads, None)
    if not flat:
        return
    end = topic.lock_at or now
    span = (end - topic.posted_at) * 0.9
    offsets = sorted(rng.uniform(0.05, 1.0) for _ in flat)
    ids: list[int] = []
    for (author, html, parent_index, _), frac in zip(flat, offsets):
        parent_id = ids[parent_index] if parent_index is not None else None
        entry = store.add_entry(topic, _pick(rng, roster, author), html, parent_id,
                                created_at=topic.posted_at + span * frac)
        ids.append(entry.id)
        if topic.assignment_id is not None and entry.user_id in roster["student"]:
            store.submission_id(topic.assignment_id, entry.user_id)


def _mark_read(rng: random.Random, state: SandboxState, topic: DiscussionTopic, now) -> None:
    """Older posts are mostly read; the last day's stay unread, so the demo has news."""
    store: DiscussionStore = state.discussions
    for uid in context_members(state.world, topic.context_type, topic.context_id):
        if now - topic.posted_at > DAY and rng.random() < 0.8:
            topic.readers.add(uid)
        for entry in store.entries_of(topic):
            if now - entry.created_at > 1.5 * DAY and rng.random() < 0.7:
                entry.readers.add(uid)
