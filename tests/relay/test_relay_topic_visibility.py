"""A discussion's events reach only the people Canvas lets see its topic, through the relay and the sandbox alike.

Canvas decides it in ``DiscussionTopic#visible_for?`` and ``low_level_locked_for?``
(app/models/discussion_topic.rb in canvas-lms): a draft, or a post delayed to a later
time, is for the course's teachers, TAs and designers; a section-specific topic for those
sections' users and the staff; a group's topic for the group's members. Each rule has a
user who must receive and one who must not, asked two ways: the relay's router (what
Canvas, the real sandbox over HTTP, says of the topic) against each user's subscriptions
(what Canvas says of the user), and the sandbox's own stream, which must agree.

Seeded school (seed 1): Margaret Okafor (1) teaches BIO 101 (course 1) and CHEM 210
(course 2, sections 21 and 22); Priya Raman (3) is their TA. Bob Martinez (11) is in
CHEM 210 section 21, Carlos Silva (13) in section 22; Jane Doe (10) is in BIO 101 and
Lab Group A; Lab Group A is of BIO 101.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.relay.test_relay_routing import TEACHER, WAIT, api, live, token
from tui_inbox.relay.identity import Identities
from tui_inbox.relay.routing import Router

TA, JANE, BOB, CARLOS = 3, 10, 11, 13
CHEM = 2


@pytest.fixture
async def relay_view(sandbox):
    """``reaches(event)``: the users whose relay subscriptions the router's subjects for it touch."""
    router = Router(sandbox.base_url, sandbox.info.token_of("admin"))
    identities = Identities(sandbox.base_url)

    async def reaches(event: dict, users: list[int]) -> set[int]:
        subjects = set(await router.subjects_for(event))
        found = set()
        for user in users:
            identity = await identities.resolve(token(sandbox, user))
            if subjects & set(identity.subjects()):
                found.add(user)
        return found

    reaches.router = router
    yield reaches
    await router.aclose()


class Streams:
    """The sandbox's own /live for several users at once: what each received, in order."""

    def __init__(self, sandbox, users: list[int]) -> None:
        self.sandbox = sandbox
        self.users = users
        self.received: dict[int, list[dict]] = {u: [] for u in users}

    async def __aenter__(self) -> "Streams":
        self._sockets = {u: await live(self.sandbox.live_url, token(self.sandbox, u)).__aenter__() for u in self.users}
        return self

    async def __aexit__(self, *exc) -> None:
        for ws in self._sockets.values():
            await ws.close()

    async def until(self, user: int, marker: str) -> list[dict]:
        """Everything ``user`` received up to and including the event whose text holds ``marker``."""
        ws = self._sockets[user]
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            self.received[user].append(event)
            if marker in json.dumps(event["body"]):
                return self.received[user]


def texts(events: list[dict]) -> list[str]:
    return [e["body"].get("text", e["body"].get("title", "")) for e in events]


async def post_entry(client: httpx.AsyncClient, context: str, topic_id: int, text: str) -> None:
    posted = await client.post(f"/api/v1/{context}/discussion_topics/{topic_id}/entries", data={"message": text})
    assert posted.status_code == 201, posted.text


async def new_topic(client: httpx.AsyncClient, context: str, **fields) -> dict:
    made = await client.post(f"/api/v1/{context}/discussion_topics", data={"title": "Topic", "message": "<p>x</p>",
                                                                           **fields})
    assert made.status_code == 200, made.text
    return made.json()


async def open_topic_with_sentinel(teacher: httpx.AsyncClient, context: str) -> int:
    """A published topic of the course: a reply there reaches everyone, and ends a wait."""
    return (await new_topic(teacher, context, title="Open", published="true"))["id"]


async def test_a_reply_in_a_draft_reaches_the_staff_and_not_the_students(sandbox, relay_view):
    """The report: 14 replies in an unpublished CHEM 210 topic reached a CHEM 210 student through the relay."""
    async with api(sandbox, TEACHER) as teacher, Streams(sandbox, [TEACHER, TA, BOB]) as streams:
        draft = next(t for t in (await teacher.get(f"/api/v1/courses/{CHEM}/discussion_topics")).json()
                     if not t["published"])
        sentinel = await open_topic_with_sentinel(teacher, f"courses/{CHEM}")
        await post_entry(teacher, f"courses/{CHEM}", draft["id"], "<p>draft reply: answers to the quiz</p>")
        await post_entry(teacher, f"courses/{CHEM}", sentinel, "<p>sentinel</p>")

        teacher_saw = await streams.until(TEACHER, "sentinel")
        reply = next(e for e in teacher_saw if "draft reply" in e["body"].get("text", ""))
        assert await relay_view(reply, [TEACHER, TA, BOB]) == {TEACHER, TA}
        assert any("draft reply" in t for t in texts(await streams.until(TA, "sentinel")))
        assert not any("draft reply" in t for t in texts(await streams.until(BOB, "sentinel")))


async def test_a_delayed_post_reaches_the_staff_only_until_its_time(sandbox, relay_view):
    later = (sandbox.state.now() + timedelta(days=2)).astimezone(timezone.utc).isoformat()
    async with api(sandbox, TEACHER) as teacher, Streams(sandbox, [TEACHER, BOB]) as streams:
        delayed = await new_topic(teacher, f"courses/{CHEM}", title="Exam answers", published="true",
                                  delayed_post_at=later)
        assert delayed["delayed_post_at"] is not None
        sentinel = await open_topic_with_sentinel(teacher, f"courses/{CHEM}")
        await post_entry(teacher, f"courses/{CHEM}", delayed["id"], "<p>delayed reply</p>")
        await post_entry(teacher, f"courses/{CHEM}", sentinel, "<p>sentinel</p>")

        teacher_saw = await streams.until(TEACHER, "sentinel")
        created = next(e for e in teacher_saw if e["body"].get("title") == "Exam answers")
        reply = next(e for e in teacher_saw if "delayed reply" in e["body"].get("text", ""))
        assert await relay_view(created, [TEACHER, BOB]) == {TEACHER}
        assert await relay_view(reply, [TEACHER, BOB]) == {TEACHER}
        bob_saw = texts(await streams.until(BOB, "sentinel"))
        assert "Exam answers" not in bob_saw and not any("delayed reply" in t for t in bob_saw)

    # Once its time has come, the same topic is for everyone: the router judges the time at routing.
    relay_view.router._clock = lambda: datetime.now(timezone.utc) + timedelta(days=3)
    assert await relay_view(reply, [TEACHER, BOB]) == {TEACHER, BOB}


async def test_a_section_specific_topic_reaches_its_sections_and_the_staff_once(sandbox, relay_view):
    async with api(sandbox, TEACHER) as teacher, Streams(sandbox, [TEACHER, BOB, CARLOS]) as streams:
        topic = await new_topic(teacher, f"courses/{CHEM}", title="Section 2 lab", published="true",
                                specific_sections="22")
        shown = (await teacher.get(f"/api/v1/courses/{CHEM}/discussion_topics/{topic['id']}",
                                   params={"include[]": "sections"})).json()
        assert shown["is_section_specific"] is True and [s["id"] for s in shown["sections"]] == [22]
        sentinel = await open_topic_with_sentinel(teacher, f"courses/{CHEM}")
        await post_entry(teacher, f"courses/{CHEM}", topic["id"], "<p>section two only</p>")
        await post_entry(teacher, f"courses/{CHEM}", sentinel, "<p>sentinel</p>")

        reply = next(e for e in await streams.until(TEACHER, "sentinel")
                     if "section two only" in e["body"].get("text", ""))
        assert await relay_view(reply, [TEACHER, BOB, CARLOS]) == {TEACHER, CARLOS}
        assert any("section two only" in t for t in texts(await streams.until(CARLOS, "sentinel")))
        assert not any("section two only" in t for t in texts(await streams.until(BOB, "sentinel")))


async def test_a_groups_draft_reaches_the_courses_staff_and_not_its_members(sandbox, relay_view):
    world = sandbox.state.world
    outsider = next(u for u in world.course_members(1)
                    if world.users[u].role == "student" and u not in world.groups[1].member_ids)
    async with api(sandbox, TEACHER) as teacher, Streams(sandbox, [TEACHER, JANE]) as streams:
        open_one = await new_topic(teacher, "groups/1", title="Group open", published="true")
        draft = await new_topic(teacher, "groups/1", title="Group draft", published="false")
        await post_entry(teacher, "groups/1", draft["id"], "<p>group draft reply</p>")
        await post_entry(teacher, "groups/1", open_one["id"], "<p>sentinel</p>")

        teacher_saw = await streams.until(TEACHER, "sentinel")
        reply = next(e for e in teacher_saw if "group draft reply" in e["body"].get("text", ""))
        sentinel = next(e for e in teacher_saw if "sentinel" in e["body"].get("text", ""))
        assert await relay_view(reply, [TEACHER, JANE, outsider]) == {TEACHER}
        assert await relay_view(sentinel, [TEACHER, JANE, outsider]) == {TEACHER, JANE}  # members, not the outsider
        assert not any("group draft reply" in t for t in texts(await streams.until(JANE, "sentinel")))


async def test_publishing_and_unpublishing_change_who_receives_the_next_reply(sandbox, relay_view):
    """What the router knew of a topic is forgotten on ``discussion_topic_updated``, both ways."""
    async with api(sandbox, TEACHER) as teacher, Streams(sandbox, [TEACHER, BOB]) as streams:
        topic = await new_topic(teacher, f"courses/{CHEM}", title="Will open", published="false")
        context = f"courses/{CHEM}"
        await post_entry(teacher, context, topic["id"], "<p>first, in the draft</p>")
        first = next(e for e in await streams.until(TEACHER, "first, in the draft")
                     if "first" in e["body"].get("text", ""))
        assert await relay_view(first, [TEACHER, BOB]) == {TEACHER}

        assert (await teacher.put(f"/api/v1/{context}/discussion_topics/{topic['id']}",
                                  data={"published": "true"})).status_code == 200
        await post_entry(teacher, context, topic["id"], "<p>second, published</p>")
        saw = await streams.until(TEACHER, "second, published")
        updated = next(e for e in saw if e["metadata"]["event_name"] == "discussion_topic_updated")
        second = saw[-1]
        assert await relay_view(updated, [TEACHER, BOB]) == {TEACHER, BOB}
        assert await relay_view(second, [TEACHER, BOB]) == {TEACHER, BOB}
        assert "second, published" in " ".join(texts(await streams.until(BOB, "second, published")))

        assert (await teacher.put(f"/api/v1/{context}/discussion_topics/{topic['id']}",
                                  data={"published": "false"})).status_code == 200
        await post_entry(teacher, context, topic["id"], "<p>third, a draft again</p>")
        saw = await streams.until(TEACHER, "third, a draft again")
        hidden = next(e for e in saw if e["metadata"]["event_name"] == "discussion_topic_updated")
        assert await relay_view(hidden, [TEACHER, BOB]) == {TEACHER}
        assert await relay_view(saw[-1], [TEACHER, BOB]) == {TEACHER}


async def test_a_student_cannot_make_a_topic_for_staff_only(sandbox):
    """``published``, ``delayed_post_at`` and ``specific_sections`` are a moderator's: a student's topic is open."""
    async with api(sandbox, BOB) as bob:
        topic = await new_topic(bob, f"courses/{CHEM}", title="Study group", published="false",
                                specific_sections="21")
    assert topic["published"] is True and topic["is_section_specific"] is False
    async with api(sandbox, TEACHER) as teacher:
        refused = await teacher.post(f"/api/v1/courses/{CHEM}/discussion_topics",
                                     data={"title": "x", "specific_sections": "31"})  # a History section
    assert refused.status_code == 400
