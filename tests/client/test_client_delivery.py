"""A message sent while the network fails after the request left arrives exactly once.

``send_reply`` and ``send_new`` may not resend blindly (the server may have done the work
and lost only the answer), nor give up silently (the work may not have been done). They
look, then send again only if the message is not there; when even looking is impossible
the caller gets ``UncertainDelivery``. Every check here is made afterwards through a
clean client on a sandbox that no longer fails.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tui_inbox.canvas import CanvasClient, RetryPolicy, UncertainDelivery, ValidationError

TEACHER, JANE, BOB, ALICE, CARLOS, DANA, ETHAN = 1, 10, 11, 12, 13, 14, 15
FAST = RetryPolicy(attempts=5, base=0.001, cap=0.01, throttle_floor=0.001)


def token_of(sandbox, user_id: int = TEACHER) -> str:
    return sandbox.state.world.users[user_id].token


class Flaky(httpx.AsyncBaseTransport):
    """The real transport to the sandbox, breaking chosen requests in chosen ways.

    ``plan`` maps (method, path) to a list of what to do with the next such requests:
    "lost" forwards the request (the server does the work) and then raises ReadError
    instead of answering; "500" forwards it and answers 500; "503" answers 503 without
    forwarding; "down" raises ConnectError without forwarding. ``down_after_lost``
    makes every request after the first "lost" fail to connect.
    """

    def __init__(self, plan: dict[tuple[str, str], list[str]] | None = None, *, down_after_lost: bool = False):
        self.inner = httpx.AsyncHTTPTransport()
        self.plan = plan or {}
        self.down_after_lost = down_after_lost
        self.down = False
        self.sent: list[tuple[str, str]] = []
        self.statuses: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        self.sent.append(key)
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        todo = self.plan.get(key)
        action = todo.pop(0) if todo else None
        if action == "503":
            return httpx.Response(503, text="503 Service Unavailable\n", request=request)
        if action == "down":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        self.statuses.append((request.method, response.status_code))
        if action is None:
            return response
        await response.aread()  # the server finished its work and answered...
        await response.aclose()
        if action == "500":
            return httpx.Response(500, json={"errors": [{"message": "An error occurred."}]}, request=request)
        self.down = self.down_after_lost
        raise httpx.ReadError("Connection reset by peer", request=request)  # ...but the answer never arrived

    async def aclose(self) -> None:
        await self.inner.aclose()


async def messages_of(sandbox, conversation_id: int) -> Counter:
    async with CanvasClient(sandbox.base_url, token_of(sandbox), retry=FAST) as clean:
        conversation = await clean.get_conversation(conversation_id, auto_mark_as_read=False)
    return Counter(m.body for m in conversation.messages if m.author_id == TEACHER)


async def sent_bodies(sandbox) -> Counter:
    """How many times each body of the teacher's appears across all their conversations."""
    async with CanvasClient(sandbox.base_url, token_of(sandbox), retry=FAST) as clean:
        sent = await clean.load_conversations("sent")
        found: Counter = Counter()
        for conversation in sent:
            full = await clean.get_conversation(conversation.id, auto_mark_as_read=False)
            found.update(m.body for m in full.messages if m.author_id == TEACHER)
    return found


async def jane_thread(client: CanvasClient) -> int:
    return next(c.id for c in await client.load_conversations() if c.subject == "Lab report extension")


# -- (1) a sandbox that fails half its requests, both before and after doing the work -------------
async def test_replies_and_new_messages_arrive_exactly_once_through_random_failures(make_sandbox):
    sandbox = make_sandbox(fail_rate=0.5, seed=5)
    counting = Flaky()
    replies = [f"Reply {i}: see you at office hours ({'✓' * (i % 3)})" for i in range(20)]
    news = {JANE: "A new note for Jane", BOB: "A new note for Bob", ALICE: "Slides are up " + "…" * 120,
            CARLOS: "A new note for Carlos"}
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=counting, retry=FAST) as client:
        thread = await jane_thread(client)
        for body in replies:
            answer = await client.send_reply(thread, body, author_id=TEACHER)
            assert answer.id == thread and [m.body for m in answer.messages] == [body]
        made = {}
        for user, body in news.items():
            created = await client.send_new([user], body, author_id=TEACHER, subject="Note", force_new=True)
            assert created.conversations and all(user in c.audience for c in created.conversations)
            made[user] = created.conversations[0].id
        group = await client.send_new([DANA, ETHAN], "For both of you", author_id=TEACHER, group_conversation=True)
        assert len(group.conversations) == 1

    # The failures really happened to the POSTs, in both halves.
    posts = [status for method, status in counting.statuses if method == "POST"]
    assert 500 in posts and 503 in posts

    sandbox.call(setattr, sandbox.state.knobs, "fail_rate", 0.0)
    in_thread = await messages_of(sandbox, thread)
    assert {body: in_thread[body] for body in replies} == {body: 1 for body in replies}
    everywhere = await sent_bodies(sandbox)
    for user, body in news.items():
        assert everywhere[body] == 1, body
        assert (await messages_of(sandbox, made[user]))[body] == 1
    assert everywhere["For both of you"] == 1


# -- (2) the answer to the POST is lost, once ------------------------------------------------------------
async def test_a_reply_whose_answer_was_lost_is_found_not_resent(sandbox):
    flaky = Flaky()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        thread = await jane_thread(client)
        path = f"/api/v1/conversations/{thread}/add_message"
        flaky.plan[("POST", path)] = ["lost"]
        answer = await client.send_reply(thread, "Your extension is approved.", author_id=TEACHER)
    assert flaky.sent.count(("POST", path)) == 1  # it was never sent again
    assert [m.body for m in answer.messages] == ["Your extension is approved."]
    assert answer.messages[0].author_id == TEACHER and answer.messages[0].id > 0
    assert (await messages_of(sandbox, thread))["Your extension is approved."] == 1


async def test_a_reply_refused_before_it_was_handled_is_sent_again(sandbox):
    flaky = Flaky()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        thread = await jane_thread(client)
        path = f"/api/v1/conversations/{thread}/add_message"
        flaky.plan[("POST", path)] = ["503", "500"]  # not handled; then handled but the answer replaced
        answer = await client.send_reply(thread, "Second try", author_id=TEACHER)
    assert flaky.sent.count(("POST", path)) == 2
    assert [m.body for m in answer.messages] == ["Second try"]
    assert (await messages_of(sandbox, thread))["Second try"] == 1


async def test_the_same_words_twice_are_two_messages_when_the_caller_says_what_it_had_seen(sandbox):
    flaky = Flaky()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        thread = await jane_thread(client)
        first = await client.send_reply(thread, "OK", author_id=TEACHER)
        flaky.plan[("POST", f"/api/v1/conversations/{thread}/add_message")] = ["503"]
        second = await client.send_reply(thread, "OK", author_id=TEACHER, since_message_id=first.messages[0].id)
    assert second.messages[0].id != first.messages[0].id
    assert (await messages_of(sandbox, thread))["OK"] == 2


async def test_a_new_conversation_whose_answer_was_lost_is_found_not_resent(sandbox):
    flaky = Flaky({("POST", "/api/v1/conversations"): ["lost"]})
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        created = await client.send_new([CARLOS], "Welcome to the lab group!", author_id=TEACHER, subject="Hi")
    assert flaky.sent.count(("POST", "/api/v1/conversations")) == 1
    assert [c.audience for c in created.conversations] == [[CARLOS]]
    assert created.conversations[0].last_authored_message == "Welcome to the lab group!"
    assert (await sent_bodies(sandbox))["Welcome to the lab group!"] == 1


async def test_a_failed_look_at_sent_is_tried_again_before_giving_up(sandbox):
    # The answer is lost, then the first look at "sent" fails outright (every retry of it).
    flaky = Flaky({("POST", "/api/v1/conversations"): ["lost"], ("GET", "/api/v1/conversations"): ["down"] * FAST.attempts})
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        created = await client.send_new([DANA], "Room change: Science Hall 204", author_id=TEACHER)
    assert flaky.sent.count(("POST", "/api/v1/conversations")) == 1
    assert flaky.sent.count(("GET", "/api/v1/conversations")) == FAST.attempts + 1
    assert [c.audience for c in created.conversations] == [[DANA]]
    assert (await sent_bodies(sandbox))["Room change: Science Hall 204"] == 1


async def test_a_definite_refusal_is_raised_as_is_and_not_retried(sandbox):
    flaky = Flaky()
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        thread = await jane_thread(client)
        with pytest.raises(ValidationError):
            await client.send_reply(thread, "   ", author_id=TEACHER)
        with pytest.raises(ValidationError):
            await client.send_new([JANE], "", author_id=TEACHER)
    assert [m for m, _ in flaky.sent].count("POST") == 2


# -- (3) the check itself cannot reach Canvas ---------------------------------------------------------
async def test_when_canvas_cannot_be_asked_the_caller_gets_uncertain_delivery(sandbox):
    flaky = Flaky(down_after_lost=True)
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        thread = await jane_thread(client)
        flaky.plan[("POST", f"/api/v1/conversations/{thread}/add_message")] = ["lost"]
        with pytest.raises(UncertainDelivery) as caught:
            await asyncio.wait_for(client.send_reply(thread, "Lost in transit?", author_id=TEACHER), 10)
    message = str(caught.value)
    assert "\n" not in message and "may or may not have been sent" in message and "kept" in message
    # It was delivered (the server did the work) and was never sent twice.
    assert flaky.sent.count(("POST", f"/api/v1/conversations/{thread}/add_message")) == 1
    assert (await messages_of(sandbox, thread))["Lost in transit?"] == 1


async def test_a_new_message_is_uncertain_too_when_sent_cannot_be_read(sandbox):
    flaky = Flaky({("POST", "/api/v1/conversations"): ["lost"]}, down_after_lost=True)
    async with CanvasClient(sandbox.base_url, token_of(sandbox), transport=flaky, retry=FAST) as client:
        with pytest.raises(UncertainDelivery) as caught:
            await asyncio.wait_for(client.send_new([BOB], "Are you there?", author_id=TEACHER), 10)
    assert "\n" not in str(caught.value) and "check Sent" in str(caught.value)
    assert flaky.sent.count(("POST", "/api/v1/conversations")) == 1
    assert (await sent_bodies(sandbox))["Are you there?"] == 1


# -- real Canvas's preview of a long message ------------------------------------------------------------
async def test_a_long_new_message_is_recognised_by_canvas_truncated_preview():
    """Canvas lists a body over 100 characters as its first 97 and "..." (CanvasTextHelper)."""
    body = "Dear all, " + "the field trip leaves at 8:00 sharp from the north parking lot. " * 3
    posts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.url.path)
            raise httpx.ReadError("Connection reset by peer", request=request)
        assert request.url.params.get("scope") == "sent"
        return httpx.Response(200, json=[{
            "id": 77, "subject": "Trip", "workflow_state": "read", "last_message": None, "last_message_at": None,
            "last_authored_message": body[:97] + "...", "last_authored_message_at": "2999-01-01T00:00:00Z",
            "message_count": 1, "private": True, "audience": [JANE], "participants": [],
        }])

    async with CanvasClient("https://canvas.example.edu", "t", transport=httpx.MockTransport(handler),
                            retry=FAST) as client:
        created = await client.send_new([JANE], body, author_id=TEACHER)
    assert posts == ["/api/v1/conversations"] and [c.id for c in created.conversations] == [77]
