"""Canvas's request id and its masquerading admin, on the answers and in the live events, over HTTP.

Events are read straight from the hub on the server's loop (as tests/sandbox/test_sandbox_discussions.py
does): each test subscribes the users it cares about, acts over HTTP, then drains their queues.
"""

from __future__ import annotations

import uuid

import httpx

from tui_inbox.sandbox.events import global_id

TEACHER = 1
HEADER = "X-Request-Context-Id"


def client(sandbox, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10)


def user_of(sandbox, role: str, index: int = 0) -> dict:
    return [u for u in sandbox.info.users if u["role"] == role][index]


def listen(sandbox, user_id: int):
    return sandbox.call(sandbox.state.hub.subscribe, user_id)


def with_teacher(client: httpx.Client) -> dict:
    """One of the client's conversations the teacher is in, so the teacher's queue hears of it."""
    rows = client.get("/api/v1/conversations", params={"per_page": 100}).json()
    return next(c for c in rows if TEACHER in [p["id"] for p in c["participants"]])


def drain(sandbox, queue) -> list[dict]:
    def take():
        out = []
        while not queue.empty():
            out.append(queue.get_nowait())
        return out

    return sandbox.call(take)


def request_id(response: httpx.Response) -> str:
    value = response.headers[HEADER]
    assert str(uuid.UUID(value)) == value  # a UUID, as SecureRandom.uuid makes
    return value


def test_every_answer_carries_its_own_request_context_id(make_sandbox):
    """lib/request_context/generator.rb (RequestContext::Generator#call) sets
    ``X-Request-Context-Id`` on whatever the app answered, errors included, and makes a new
    id for each request; an id a client sends unsigned is ignored
    (spec/lib/request_context/generator_spec.rb, "won't accept an override without a signature")."""
    sandbox = make_sandbox()
    with client(sandbox, sandbox.info.token_of("teacher")) as teacher, client(sandbox, "7~wrong") as stranger:
        answers = [
            teacher.get("/api/v1/conversations"),
            teacher.get("/api/v1/conversations/unread_count"),
            teacher.get("/api/v1/conversations/999999"),  # 404 from the handler
            teacher.get("/api/v1/no/such/route"),  # 404 from the router
            teacher.post("/api/v1/conversations", content=b"{not json", headers={"Content-Type": "application/json"}),
            teacher.post("/api/v1/conversations", data={"body": "to nobody"}),  # 400 recipients
            stranger.get("/api/v1/users/self"),  # 401
            teacher.get("/api/v1/users/self", headers={HEADER: "chosen-by-the-client"}),
        ]
    assert [a.status_code for a in answers] == [200, 200, 404, 404, 400, 400, 401, 200]
    ids = [request_id(a) for a in answers]
    assert len(set(ids)) == len(ids)
    assert "chosen-by-the-client" not in ids


def test_a_throttled_answer_carries_one_too(make_sandbox):
    """Canvas's RequestThrottle (app/middleware/request_throttle.rb) runs inside
    RequestContext::Generator (config/application.rb swaps it in for ActionDispatch::RequestId),
    so its 403 "Rate Limit Exceeded" has an id as well."""
    # A reservation larger than the high-water mark: the first request is already refused.
    sandbox = make_sandbox(throttle=True, throttle_hwm=10, throttle_upfront=50)
    with client(sandbox, sandbox.info.token_of("teacher")) as teacher:
        refused = teacher.get("/api/v1/conversations")
    assert refused.status_code == 403 and "Rate Limit Exceeded" in refused.text
    request_id(refused)


def test_the_events_a_request_caused_carry_its_id_as_request_id(sandbox):
    """ApplicationController#setup_live_events_context (app/controllers/application_controller.rb)
    puts the request's id (``Thread.current[:context][:request_id]``, from
    lib/request_context/generator.rb) into the context of every event the request posts."""
    queue = listen(sandbox, TEACHER)
    with client(sandbox, sandbox.info.token_of("student")) as student:
        first = student.post("/api/v1/conversations",
                             data={"recipients[]": [str(TEACHER)], "body": "Is the lab open?", "force_new": "true"})
        second = student.post(f"/api/v1/conversations/{first.json()[0]['id']}/add_message",
                              data={"body": "And on Saturday?"})
    assert first.status_code == 201 and second.status_code == 200
    events = drain(sandbox, queue)
    by_request: dict[str, list[str]] = {}
    for event in events:
        by_request.setdefault(event["metadata"]["request_id"], []).append(event["metadata"]["event_name"])
    assert by_request == {
        request_id(first): ["conversation_created", "conversation_message_created"],
        request_id(second): ["conversation_message_created"],
    }


def test_a_discussion_entry_event_carries_the_request_id_too(sandbox):
    """The same context (app/controllers/application_controller.rb#setup_live_events_context)
    for discussion_entry_created (lib/canvas/live_events.rb)."""
    queue = listen(sandbox, TEACHER)
    with client(sandbox, sandbox.info.token_of("student")) as student:
        topics = student.get("/api/v1/courses/1/discussion_topics", params={"per_page": 100}).json()
        topic = next(t for t in topics if t["title"] == "Introduce yourself")
        posted = student.post(f"/api/v1/courses/1/discussion_topics/{topic['id']}/entries",
                              data={"message": "Hello"})
    assert posted.status_code == 201
    (event,) = drain(sandbox, queue)
    assert event["metadata"]["event_name"] == "discussion_entry_created"
    assert event["metadata"]["request_id"] == request_id(posted)


def test_a_500_after_the_work_was_done_names_the_request_its_events_came_from(make_sandbox):
    """A failure after the app did its work (tui_inbox/sandbox/faults.py) is Canvas's own 500, so
    it passes through RequestContext::Generator (lib/request_context/generator.rb) like any answer:
    a client can match it to the events its POST caused."""
    sandbox = make_sandbox(fail_rate=1.0)
    queue = listen(sandbox, TEACHER)
    with client(sandbox, sandbox.info.token_of("student")) as student:
        for _ in range(50):  # each try is a load balancer's 503 (nothing done) or the 500 looked for
            failed = student.post("/api/v1/conversations",
                                  data={"recipients[]": [str(TEACHER)], "body": "Did this arrive?", "force_new": "1"})
            if failed.status_code == 500:
                break
            assert failed.status_code == 503 and HEADER not in failed.headers  # never reached Canvas
    assert failed.status_code == 500
    events = drain(sandbox, queue)
    assert {e["metadata"]["event_name"] for e in events} == {"conversation_created", "conversation_message_created"}
    assert {e["metadata"]["request_id"] for e in events} == {request_id(failed)}


def test_events_of_a_masquerading_admin_name_the_user_and_the_real_user(sandbox):
    """app/controllers/application_controller.rb#setup_live_events_context: ``user_id`` is
    @current_user, whom the admin acts as (with that user's login and SIS id, from
    @current_pseudonym, which AuthenticationMethods#load_user swaps too), and ``real_user_id``
    is @real_current_user, the admin; a request without ``as_user_id`` has no ``real_user_id``."""
    admin, student = user_of(sandbox, "admin"), user_of(sandbox, "student")
    queue = listen(sandbox, TEACHER)
    with client(sandbox, admin["token"]) as as_admin, client(sandbox, student["token"]) as own:
        conversation = with_teacher(own)
        acted = as_admin.post(f"/api/v1/conversations/{conversation['id']}/add_message",
                              data={"body": "Written by the admin as the student", "as_user_id": str(student["id"])})
        in_query = as_admin.post("/api/v1/conversations", params={"as_user_id": global_id(student["id"])},
                                 data={"recipients[]": [str(TEACHER)], "body": "A new one", "force_new": "1"})
        plain = own.post(f"/api/v1/conversations/{conversation['id']}/add_message", data={"body": "Myself"})
    assert acted.status_code == plain.status_code == 200 and in_query.status_code == 201
    events = drain(sandbox, queue)
    masqueraded = [e["metadata"] for e in events if e["metadata"]["request_id"] in (request_id(acted),
                                                                                    request_id(in_query))]
    assert len(masqueraded) == 3  # a message; then a conversation and its message
    for meta in masqueraded:
        assert meta["user_id"] == global_id(student["id"])
        assert meta["user_login"] == student["login_id"]
        assert meta["real_user_id"] == global_id(admin["id"])
    (own_event,) = [e["metadata"] for e in events if e["metadata"]["request_id"] == request_id(plain)]
    assert own_event["user_id"] == global_id(student["id"]) and "real_user_id" not in own_event


def test_naming_oneself_as_user_id_still_names_a_real_user(sandbox):
    """User#can_masquerade? is true for oneself (app/models/user.rb), so AuthenticationMethods#load_user
    (lib/authentication_methods.rb) sets @real_current_user even then, and the events carry
    ``real_user_id`` (app/controllers/application_controller.rb#setup_live_events_context)."""
    student = user_of(sandbox, "student")
    queue = listen(sandbox, TEACHER)
    with client(sandbox, student["token"]) as own:
        conversation = with_teacher(own)
        sent = own.post(f"/api/v1/conversations/{conversation['id']}/add_message",
                        data={"body": "As myself", "as_user_id": str(student["id"])})
    assert sent.status_code == 200
    (event,) = drain(sandbox, queue)
    assert event["metadata"]["user_id"] == event["metadata"]["real_user_id"] == global_id(student["id"])
