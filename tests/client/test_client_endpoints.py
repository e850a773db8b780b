"""Every CanvasClient method against the sandbox over loopback HTTP, as a user of the inbox sees it.

Each test starts from a freshly seeded sandbox (``sandbox`` fixture: the demo teacher is
user 1) and talks to it through the real client. Background work on the server (batch
sends, batch updates) is waited on by polling the API for a condition, never by sleeping.
"""

from __future__ import annotations

from datetime import timezone

import httpx
import pytest

from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient, NotFoundError, RetryPolicy
from tui_inbox.canvas.models import Conversation, Message

TEACHER = 1
PRIYA_TA = 3
JANE, BOB, ALICE, CARLOS, DANA, ETHAN = 10, 11, 12, 13, 14, 15
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, throttle_floor=0.001)
SCOPES = (None, "inbox", "unread", "starred", "sent", "archived", "no-such-scope")
NOT_PARTICIPATING = "The user is not participating in this conversation"


def client_for(sandbox, user_id: int = TEACHER, **kwargs) -> CanvasClient:
    token = sandbox.state.world.users[user_id].token
    return CanvasClient(sandbox.base_url, token, retry=FAST, **kwargs)


@pytest.fixture
async def client(sandbox):
    async with client_for(sandbox) as teacher:
        yield teacher


@pytest.fixture
def as_user(sandbox):
    """A client for another seeded user: ``async with as_user(JANE) as jane: ...``."""
    return lambda user_id: client_for(sandbox, user_id)


async def ids_of(client: CanvasClient, scope=None, filters=None, mode=None) -> list[int]:
    return [c.id for c in await client.load_conversations(scope, filters, mode)]


async def by_subject(client: CanvasClient, subject: str, scope: str | None = None) -> Conversation:
    return next(c for c in await client.load_conversations(scope) if c.subject == subject)


def walk_entries(entries):
    for entry in entries:
        yield entry
        yield from walk_entries(entry.replies)


def walk(messages: list[Message]):
    for message in messages:
        yield message
        yield from walk(message.forwarded_messages)


# -- listing ------------------------------------------------------------------------------
async def test_paged_listing_equals_the_concurrent_load_for_every_scope(client):
    sizes = {}
    for scope in SCOPES:
        paged = [c async for c in client.get_conversations(scope, per_page=7)]
        pages_seen: list[tuple[int, int | None]] = []
        loaded = await client.load_conversations(scope, per_page=7, on_page=lambda n, last: pages_seen.append((n, last)))
        assert [c.id for c in paged] == [c.id for c in loaded], scope
        assert len({c.id for c in loaded}) == len(loaded)  # no page fetched twice
        assert await client.conversation_ids(scope) == [c.id for c in loaded]
        sizes[scope] = len(loaded)
        if len(loaded) > 7:
            last = -(-len(loaded) // 7)
            assert sorted(pages_seen) == [(n, last) for n in range(2, last + 1)]
            # One page on its own is the same slice of the same order.
            assert [c.id for c in await client.get_conversations_page(scope, page=2, per_page=7)] == \
                [c.id for c in loaded[7:14]]
    assert sizes[None] == sizes["inbox"] == sizes["no-such-scope"] > 100  # unknown scopes mean the inbox
    assert all(sizes[s] > 7 for s in ("unread", "starred", "sent", "archived"))

    inbox = await client.load_conversations()
    assert all(c.workflow_state in ("read", "unread") for c in inbox)
    times = [c.last_message_at for c in inbox]
    assert times == sorted(times, reverse=True)  # newest first
    assert all(c.unread for c in await client.load_conversations("unread"))
    assert all(c.starred for c in await client.load_conversations("starred"))
    assert all(c.archived for c in await client.load_conversations("archived"))
    assert all(c.last_authored_message for c in await client.load_conversations("sent"))


async def test_filters_page_the_same_both_ways_and_combine_with_or_and_and(client):
    cases = [(["course_1"], None), ([f"user_{JANE}"], None), (["group_1"], None),
             (["course_1", f"user_{JANE}"], "or"), (["course_1", f"user_{JANE}"], "and")]
    found = {}
    for filters, mode in cases:
        paged = [c.id async for c in client.get_conversations(None, filters, mode, per_page=3)]
        loaded = await ids_of(client, None, filters, mode)
        assert paged == loaded and await client.conversation_ids(None, filters, mode) == loaded
        found[(tuple(filters), mode)] = loaded
    inbox = set(await ids_of(client))
    course, jane = set(found[(("course_1",), None)]), set(found[((f"user_{JANE}",), None)])
    assert course and jane and course < inbox and jane < inbox
    assert set(found[(("course_1", f"user_{JANE}"), "or")]) == course | jane
    assert set(found[(("course_1", f"user_{JANE}"), "and")]) == course & jane
    for conversation in await client.load_conversations(None, [f"user_{JANE}"]):
        assert JANE in {p.id for p in conversation.participants}
    lab = await by_subject(client, "Lab Group A: safety briefing")
    assert lab.id in found[(("group_1",), None)]


# -- reading one ----------------------------------------------------------------------------
async def test_reading_a_conversation_marks_it_read_only_when_asked(client):
    before = await client.unread_count()
    assert isinstance(before, int) and before > 0
    target = (await client.load_conversations("unread"))[0]

    kept = await client.get_conversation(target.id, auto_mark_as_read=False)
    assert kept.id == target.id and kept.messages and kept.unread
    assert await client.unread_count() == before
    assert target.id in await ids_of(client, "unread")

    read = await client.get_conversation(target.id, auto_mark_as_read=True)
    assert [m.id for m in read.messages] == [m.id for m in kept.messages]
    assert await client.unread_count() == before - 1
    assert target.id not in await ids_of(client, "unread")
    assert target.id in await ids_of(client)  # still in the inbox, now read


async def test_seeded_threads_parse_into_models(client):
    # Forwarded messages nested two deep: the TA forwards Bob's message with a forward inside.
    fwd = await client.get_conversation((await by_subject(client, "Fwd: Grade dispute")).id, auto_mark_as_read=False)
    created = [m.created_at for m in fwd.messages]
    assert created == sorted(created, reverse=True)  # newest first
    outer = next(m for m in fwd.messages if m.forwarded_messages)
    middle = outer.forwarded_messages[0]
    inner = middle.forwarded_messages[0]
    assert middle.author_id == PRIYA_TA and "Forwarding to the instructor" in middle.body
    assert inner.author_id == BOB and "question 3" in inner.body and inner.forwarded_messages == []
    # Authors of forwarded messages are listed even though Bob is not in this conversation.
    assert BOB in {p.id for p in fwd.participants} and BOB not in fwd.audience
    for message in walk(fwd.messages):
        assert message.created_at is not None and message.created_at.tzinfo is not None
        assert message.created_at.utcoffset().total_seconds() == 0
    assert fwd.last_message_at.tzinfo == timezone.utc

    lab_report = await client.get_conversation((await by_subject(client, "Lab report extension")).id,
                                               auto_mark_as_read=False)
    files = {a.display_name: a for m in lab_report.messages for a in m.attachments}
    assert set(files) == {"lab-report-draft.pdf", "rubric.txt"}
    assert files["lab-report-draft.pdf"].content_type == "application/pdf"
    assert files["rubric.txt"].size == len("Rubric\n- Introduction: 10\n- Methods: 20\n")
    assert all(a.url and "verifier=" in a.url for a in files.values())
    assert lab_report.has_attachments and lab_report.context_code == "course_1" and lab_report.private

    media = await client.get_conversation((await by_subject(client, "Recorded question about the homework")).id,
                                          auto_mark_as_read=False)
    comment = media.messages[0].media_comment
    assert comment is not None and comment.media_id == "m-3f9c2a" and comment.media_type == "video"
    assert comment.content_type == "video/mp4" and comment.display_name == "Question about problem 2"
    assert "media_objects" in media.properties

    lab = await client.get_conversation((await by_subject(client, "Lab Group A: safety briefing")).id,
                                        auto_mark_as_read=False)
    generated = [m for m in lab.messages if m.generated]
    assert len(generated) == 1 and "was added to the conversation by" in generated[0].body
    assert not lab.private and lab.context_code == "group_1"
    assert all(m.media_comment is None for m in lab.messages)


# -- creating ---------------------------------------------------------------------------------
async def test_private_conversation_is_reused_and_force_new_makes_another(client):
    first = await client.create_conversation([CARLOS], "first note", subject="Subject one")
    assert first.batch_id is None and len(first.conversations) == 1
    made = first.conversations[0]
    assert made.private and made.subject == "Subject one"
    assert [m.body for m in made.messages] == ["first note"] and made.messages[0].author_id == TEACHER
    # New for the sender: not in the inbox until someone answers, but under "sent".
    assert not made.visible
    assert made.id in await ids_of(client, "sent") and made.id not in await ids_of(client)

    again = (await client.create_conversation([CARLOS], "second note", subject="Subject two")).conversations[0]
    assert again.id == made.id and again.subject == "Subject one" and again.message_count == 2

    fresh = (await client.create_conversation([CARLOS], "third note", subject="Three", force_new=True)).conversations[0]
    assert fresh.id != made.id and not fresh.private and fresh.subject == "Three"


async def test_group_bulk_and_several_private_conversations(client):
    group = (await client.create_conversation([JANE, BOB], "hello both", subject="Group", group_conversation=True))
    assert len(group.conversations) == 1
    together = group.conversations[0]
    assert not together.private and {p.id for p in together.participants} == {TEACHER, JANE, BOB}
    assert together.messages[0].participating_user_ids == [TEACHER, JANE, BOB]

    bulk = await client.create_conversation([CARLOS, DANA, ETHAN], "bulk hello", group_conversation=True,
                                            bulk_message=True)
    assert len(bulk.conversations) == 3 and not any(c.private for c in bulk.conversations)
    assert sorted(c.audience[0] for c in bulk.conversations) == [CARLOS, DANA, ETHAN]
    assert all({p.id for p in c.participants} == {TEACHER, c.audience[0]} for c in bulk.conversations)

    several = await client.create_conversation([CARLOS, DANA, ETHAN], "one each")
    assert len(several.conversations) == 3 and all(c.private for c in several.conversations)
    assert sorted(c.audience[0] for c in several.conversations) == [CARLOS, DANA, ETHAN]
    assert not {c.id for c in several.conversations} & {c.id for c in bulk.conversations}


async def test_context_code_attachment_and_media_comment(client, as_user, tmp_path):
    source = tmp_path / "syllabus notes.txt"
    source.write_bytes("Week 1: cells\nWeek 2: genes ✓\n".encode())
    uploaded = await client.upload_attachment(source)
    assert uploaded.id and uploaded.display_name == "syllabus notes.txt" and uploaded.size == source.stat().st_size

    made = (await client.create_conversation([ALICE], "see attached", subject="Notes", context_code="course_1",
                                             attachment_ids=[uploaded.id])).conversations[0]
    assert made.context_code == "course_1"
    assert [a.id for a in made.messages[0].attachments] == [uploaded.id]
    assert made.messages[0].attachments[0].display_name == "syllabus notes.txt"
    assert "attachments" in made.properties

    voice = (await client.create_conversation([ALICE], "listen to this", media_comment_id="m-42",
                                              media_comment_type="audio")).conversations[0]
    assert voice.id != made.id  # no context code: not the course_1 conversation
    comment = voice.messages[0].media_comment
    assert comment is not None and comment.media_id == "m-42" and comment.media_type == "audio"

    # What Alice receives is the same file.
    async with as_user(ALICE) as alice:
        seen = await alice.get_conversation(made.id, auto_mark_as_read=False)
        assert [a.id for a in seen.messages[0].attachments] == [uploaded.id]


async def test_async_bulk_send_shows_as_a_running_batch_then_arrives(make_sandbox):
    slow = make_sandbox(send_item_seconds=0.05)  # five recipients: about a quarter second of sending
    recipients = [JANE, BOB, ALICE, CARLOS, DANA]
    async with client_for(slow) as teacher:
        made = await teacher.create_conversation(recipients, "Quiz moved to Friday", mode="async")
        assert made.conversations == [] and isinstance(made.batch_id, int)
        running = await teacher.get_running_batches()
        batch = next(b for b in running if b.id == made.batch_id)
        assert batch.recipient_count == 5 and 0.0 <= batch.completion <= 1.0
        assert batch.workflow_state in ("created", "sending")
        assert batch.message is not None and batch.message.body == "Quiz moved to Friday"

        await async_wait_until(lambda: _batch_gone(teacher, made.batch_id))
        sent = [c for c in await teacher.load_conversations("sent") if c.last_authored_message == "Quiz moved to Friday"]
        assert sorted(c.audience[0] for c in sent) == sorted(recipients)


async def _batch_gone(client: CanvasClient, batch_id: int) -> bool:
    return all(b.id != batch_id for b in await client.get_running_batches())


# -- replying and changing a conversation --------------------------------------------------------
async def test_add_message_to_some_recipients_and_include_earlier_messages(client, as_user):
    convo = (await client.create_conversation([JANE, BOB], "to everyone", group_conversation=True)).conversations[0]
    only_jane = await client.add_message(convo.id, "just for Jane", recipients=[JANE])
    secret = only_jane.messages[0]
    assert secret.body == "just for Jane" and secret.participating_user_ids == [TEACHER, JANE]

    async with as_user(BOB) as bob:
        assert "just for Jane" not in [m.body for m in (await bob.get_conversation(convo.id, auto_mark_as_read=False)).messages]
        shared = await client.add_message(convo.id, "Bob, see my earlier note", recipients=[BOB],
                                          included_messages=[secret.id])
        assert shared.messages[0].participating_user_ids == [TEACHER, BOB]
        bodies = [m.body for m in (await bob.get_conversation(convo.id, auto_mark_as_read=False)).messages]
        assert {"Bob, see my earlier note", "just for Jane", "to everyone"} <= set(bodies)

    everyone = await client.add_message(convo.id, "back to all")
    assert everyone.messages[0].participating_user_ids == [TEACHER, JANE, BOB]


async def test_add_recipients_and_remove_messages(client, as_user):
    convo = (await client.create_conversation([JANE, BOB], "first", group_conversation=True)).conversations[0]
    grown = await client.add_recipients(convo.id, [ALICE])
    assert {p.id for p in grown.participants} == {TEACHER, JANE, BOB, ALICE}
    assert grown.messages[0].generated and "Alice was added to the conversation" in grown.messages[0].body

    second = (await client.add_message(convo.id, "second")).messages[0]
    full = await client.get_conversation(convo.id, auto_mark_as_read=False)
    after = await client.remove_messages(convo.id, [second.id])
    assert after.message_count == full.message_count - 1
    left = await client.get_conversation(convo.id, auto_mark_as_read=False)
    assert second.id not in [m.id for m in left.messages] and "first" in [m.body for m in left.messages]
    async with as_user(JANE) as jane:  # only the teacher's view lost it
        assert "second" in [m.body for m in (await jane.get_conversation(convo.id, auto_mark_as_read=False)).messages]


async def test_star_archive_unarchive_and_delete(client):
    target = (await client.load_conversations())[3]
    starred = await client.update_conversation(target.id, starred=True)
    assert starred.starred and target.id in await ids_of(client, "starred")
    archived = await client.update_conversation(target.id, workflow_state="archived")
    assert archived.archived and not archived.visible  # no longer in the inbox it was asked about
    assert target.id in await ids_of(client, "archived") and target.id not in await ids_of(client)
    back = await client.update_conversation(target.id, workflow_state="read", starred=False)
    assert back.workflow_state == "read" and not back.starred and back.visible
    assert target.id in await ids_of(client) and target.id not in await ids_of(client, "starred")

    gone = await client.delete_conversation(target.id)
    assert gone.message_count == 0 and not gone.visible and gone.last_message is None
    assert target.id not in await ids_of(client)
    with pytest.raises(NotFoundError):
        await client.get_conversation(target.id)


async def test_mark_all_as_read(client):
    assert await client.unread_count() > 0
    await client.mark_all_as_read()
    assert await client.unread_count() == 0
    assert await ids_of(client, "unread") == []


# -- batch updates and progress ------------------------------------------------------------------
async def test_batch_update_request_and_its_progress(client):
    unread = (await ids_of(client, "unread"))[:3]
    progress = await client.batch_update_request(unread, "mark_as_read")
    assert progress.tag == "conversation_batch_update" and progress.workflow_state in ("queued", "running")
    assert progress.url and progress.url.endswith(f"/api/v1/progress/{progress.id}")

    done = await async_wait_until(lambda: _finished(client, progress.id))
    assert done.workflow_state == "completed" and done.completion == 100.0
    assert done.message == "3 conversations processed"
    assert not set(unread) & set(await ids_of(client, "unread"))


async def _finished(client: CanvasClient, progress_id: int):
    progress = await client.get_progress(progress_id)
    return progress if progress.done else None


async def test_cancel_progress_stops_a_running_batch(make_sandbox):
    slow = make_sandbox(batch_item_seconds=0.05)
    async with client_for(slow) as teacher:
        chosen = (await ids_of(teacher))[:40]
        starred_before = set(await ids_of(teacher, "starred")) & set(chosen)
        progress = await teacher.batch_update_request(chosen, "star")

        async def running():
            p = await teacher.get_progress(progress.id)
            return p if p.workflow_state == "running" else None

        await async_wait_until(running)
        cancelled = await teacher.cancel_progress(progress.id)
        assert cancelled.workflow_state == "failed" and cancelled.id == progress.id
        # The job notices the cancel at its next step and stops there.
        await async_wait_until(lambda: not slow.call(lambda: len(slow.state.tasks)))
        final = await teacher.get_progress(progress.id)
        assert final.workflow_state == "failed" and final.completion < 100.0
        changed = (set(await ids_of(teacher, "starred")) & set(chosen)) - starred_before
        assert len(changed) < len(chosen) - len(starred_before)  # the rest were never starred


async def test_batch_update_of_more_than_500_ids_sends_three_requests(make_sandbox):
    big = make_sandbox(conversations=1200)
    async with client_for(big) as teacher:
        inbox = await teacher.conversation_ids()
        assert 1000 < len(inbox) <= 1500
        unstarred = [c.id for c in await teacher.load_conversations() if not c.starred]
        reports = []
        result = await teacher.batch_update(inbox, "star", on_progress=reports.append)
        assert result.requests == 3 and result.failed == {} and result.succeeded == inbox
        assert reports and reports[-1].done == reports[-1].total == len(inbox)
        # Every one changed, seen through the API.
        assert set(inbox) <= set(await teacher.conversation_ids("starred"))
        assert unstarred and all(c.starred for c in await teacher.load_conversations())


async def test_batch_update_reports_ids_that_are_not_the_users_with_canvas_reason(client, sandbox):
    mine = (await ids_of(client, "unread"))[:2]
    # "Grade dispute" is between Bob and the TA: the teacher is not part of it.
    theirs = sandbox.call(lambda: next(c.id for c in sandbox.state.conversations.conversations.values()
                                       if TEACHER not in c.participants))
    missing = 987654
    result = await client.batch_update(mine + [theirs, missing], "archive")
    assert result.requests == 1
    assert result.failed == {theirs: NOT_PARTICIPATING, missing: NOT_PARTICIPATING}
    assert result.succeeded == mine
    assert set(mine) <= set(await ids_of(client, "archived"))

    nothing = await client.batch_update([missing, missing + 1], "star")  # all fail: the Progress "failed"
    assert nothing.failed == {missing: NOT_PARTICIPATING, missing + 1: NOT_PARTICIPATING}


# -- people and places ----------------------------------------------------------------------
async def test_search_recipients_people_contexts_and_exclude(client):
    jane = await client.search_recipients("jane")
    assert [(r.id, r.full_name, r.type) for r in jane] == [(str(JANE), "Jane Doe", "user")]
    assert not jane[0].is_context and jane[0].common_courses == {1: ["StudentEnrollment"]}

    synthetic = await client.search_recipients(context="course_1", synthetic_contexts=True)
    by_id = {r.id: r for r in synthetic}
    assert {"course_1_teachers", "course_1_students", "course_1_tas"} <= set(by_id)
    assert all(r.is_context for r in synthetic)
    assert by_id["course_1_students"].user_count and by_id["course_1_students"].user_count > 10

    everyone = await client.search_recipients("a", per_page=100)
    assert str(ALICE) in [r.id for r in everyone]
    without = await client.search_recipients("a", exclude=[str(ALICE)], per_page=100)
    assert str(ALICE) not in [r.id for r in without]
    assert [r.id for r in without] == [r.id for r in everyone if r.id != str(ALICE)]

    found = await client.find_recipients("jane")
    assert [(r.id, r.name) for r in found] == [(r.id, r.name) for r in jane]


async def test_self_courses_and_groups(client):
    me = await client.get_self()
    assert me.id == TEACHER and me.name == "Margaret Okafor" and me.short_name == "Maggie Okafor"
    courses = await client.get_courses()
    assert {c.id: c.name for c in courses} == {1: "Introduction to Biology", 2: "Organic Chemistry"}
    assert all(c.enrollment_types == ["teacher"] for c in courses)
    assert courses[0].context_code == f"course_{courses[0].id}"
    groups = await client.get_groups()
    assert [(g.id, g.name, g.course_id, g.context_code) for g in groups] == [(1, "Lab Group A", 1, "group_1")]


# -- files ---------------------------------------------------------------------------------------
class Recording(httpx.AsyncBaseTransport):
    """The real transport, noting each request's method, URL and whether it carried the token."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, str(request.url), "authorization" in request.headers))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_upload_then_download_the_same_bytes(sandbox, tmp_path):
    data = "Résumé ✓ — 測試\n".encode() * 500 + bytes(range(256))
    source = tmp_path / "in" / "Résumé 測試.bin"
    source.parent.mkdir()
    source.write_bytes(data)
    recording = Recording()
    async with client_for(sandbox, transport=recording) as teacher:
        info = await teacher.upload_attachment(source)
        assert info.display_name == "Résumé 測試.bin" and info.size == len(data) and info.url
        # The bytes go to the upload URL without the token.
        upload = [seen for seen in recording.seen if "/files_api/upload/" in seen[1]]
        assert upload and upload[0][0] == "POST" and upload[0][2] is False

        folder = tmp_path / "downloads"
        folder.mkdir()
        saved = await teacher.download(info.url, folder)
        assert saved == folder / "Résumé 測試.bin"  # the server's name for it
        assert saved.read_bytes() == data
        chosen = await teacher.download(info.url, tmp_path, name="mine.bin")
        assert chosen == tmp_path / "mine.bin" and chosen.read_bytes() == data
        assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "in", "mine.bin"]  # no partial file


async def test_seeded_attachment_downloads_under_its_own_name(client, tmp_path):
    convo = await client.get_conversation((await by_subject(client, "Lab report extension")).id,
                                          auto_mark_as_read=False)
    pdf = next(a for m in convo.messages for a in m.attachments if a.display_name == "lab-report-draft.pdf")
    saved = await client.download(pdf.url, tmp_path)
    assert saved.name == "lab-report-draft.pdf" and saved.read_bytes().startswith(b"%PDF-1.4")
    assert saved.stat().st_size == pdf.size


# -- discussions ----------------------------------------------------------------------------------
async def test_discussion_topics_view_entries_and_replies(client):
    topics = await client.get_discussion_topics("course_1")
    titles = {t.title: t for t in topics}
    assert "Week 3: Is a virus alive?" in titles and not any(t.is_announcement for t in topics)
    virus = titles["Week 3: Is a virus alive?"]
    one = await client.get_discussion_topic("course_1", virus.id)
    assert one.id == virus.id and one.assignment_id == 101 and one.context_code == "course_1"
    assert one.posted_at is not None and one.posted_at.tzinfo is not None

    view = await client.get_discussion_view("course_1", virus.id)
    assert view.participants[TEACHER] == "Maggie Okafor"
    deep = next(e for top in view.entries for r in top.replies for e in r.replies)  # a reply to a reply
    found = view.find(deep.id)
    assert found is deep and found.parent_id is not None
    parent = view.find(found.parent_id)
    assert parent is not None and deep in parent.replies
    assert view.find(10**9) is None

    entries = await client.get_discussion_entries("course_1", virus.id)
    assert {e.id for e in entries} == {e.id for e in view.entries}
    newest_first = [e.created_at for e in entries]
    assert newest_first == sorted(newest_first, reverse=True)
    # The replies of a top-level entry are its whole (flattened) subthread, newest first.
    top = next(e for e in view.entries if any(r.replies for r in e.replies))
    replies = await client.get_entry_replies("course_1", virus.id, top.id)
    below = {e.id for e in walk_entries(top.replies)}
    assert {r.id for r in replies} == below and len(below) > len(top.replies)
    assert all(r.parent_id == top.id or r.parent_id in below for r in replies)
    assert [r.created_at for r in replies] == sorted((r.created_at for r in replies), reverse=True)


async def test_posting_an_entry_and_a_reply(client):
    topic = next(t for t in await client.get_discussion_topics("group_1"))
    entry = await client.post_discussion_entry("group_1", topic.id, "<p>I can take the figures.</p>")
    assert entry.id and entry.user_id == TEACHER and entry.message == "<p>I can take the figures.</p>"
    reply = await client.post_entry_reply("group_1", topic.id, entry.id, "<p>Thanks! 🙏</p>")
    assert reply.parent_id == entry.id and reply.user_id == TEACHER

    view = await client.get_discussion_view("group_1", topic.id)
    assert view.find(entry.id) is not None and view.find(entry.id).message == entry.message
    assert [r.id for r in view.find(entry.id).replies] == [reply.id]
    assert view.find(reply.id).message == "<p>Thanks! 🙏</p>"


async def test_announcements(client):
    news = await client.get_announcements(["course_1", "course_2"])
    assert news and all(a.is_announcement for a in news)
    assert {a.context_code for a in news} == {"course_1", "course_2"}
    assert "Welcome to BIO 101!" in {a.title for a in news}
    only = await client.get_discussion_topics("course_1", only_announcements=True)
    assert {a.id for a in only} == {a.id for a in news if a.context_code == "course_1"}
