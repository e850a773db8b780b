"""Bad requests get Canvas's 4xx answers, never an unplanned 500: a deep JSON body, and a fuzz over every route."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from tests.request_fuzz import FuzzRequest, RequestFuzzer

TEACHER = 1
PARSE_ERROR = [{"message": "An error occurred.", "error_code": "bad_request"}]
ADD_RECIPIENTS = re.compile(r"\A/api/v1/conversations/(\d+)/add_recipients(\.json)?\Z")


def nested(depth: int) -> str:
    """A JSON value whose arrays nest ``depth`` deep."""
    return "[" * depth + "]" * depth


def test_a_json_body_nested_too_deep_is_canvas_s_400_and_does_nothing(sandbox):
    """Rails parses a JSON body with JSON.parse (Oj's mimic of it in Canvas), whose default
    max_nesting is 100; what it refuses raises ``ActionDispatch::Http::Parameters::ParseError``
    when the controller first reads ``params``, and ApplicationController#rescue_action_in_api
    (app/controllers/application_controller.rb) answers it as a 400 with the generic body, its
    ``error_code`` the status's name (``api_error_json``). 5,000 deep once crashed the sandbox
    with a plain-text 500 (a RecursionError in its parameter parsing)."""
    token = sandbox.info.token_of("student")
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as student:
        conversation = student.get("/api/v1/conversations").json()[0]
        path = f"/api/v1/conversations/{conversation['id']}/add_message"
        before = student.get(f"/api/v1/conversations/{conversation['id']}").json()["message_count"]

        def post(text: str) -> httpx.Response:
            return student.post(path, content=text.encode(), headers={"Content-Type": "application/json"})

        refused = [post('{"body": "hi", "x": %s}' % nested(depth)) for depth in (100, 4999)]  # 101 and 5,000 deep
        refused.append(post(nested(20_000)))
        refused.append(post('{"body": "hi",'))  # not JSON at all: the same ParseError
        for answer in refused:
            assert answer.status_code == 400, answer.text
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.json()["errors"] == PARSE_ERROR and isinstance(answer.json()["error_report_id"], int)
        assert student.get(f"/api/v1/conversations/{conversation['id']}").json()["message_count"] == before

        # 100 deep is within the limit: the message is posted.
        accepted = post('{"body": "hi", "x": %s}' % nested(99))
        assert accepted.status_code == 200, accepted.text
        assert student.get(f"/api/v1/conversations/{conversation['id']}").json()["message_count"] == before + 1


async def send(client: httpx.AsyncClient, tokens: dict, request: FuzzRequest) -> httpx.Response:
    headers = dict(request.headers)
    if request.token_role is not None:
        headers["Authorization"] = f"Bearer {tokens.get(request.token_role, '7~not-a-token')}"
    form: dict[str, list[str]] | None = None
    if request.data is not None:
        form = {}
        for name, value in request.data:
            form.setdefault(name, []).append(value)
    return await client.request(request.method, request.path, params=request.query, headers=headers,
                                content=request.content, data=form, files=request.files)


async def test_twenty_clients_of_fuzzed_requests_get_no_unplanned_500(make_sandbox):
    """No request a client can send makes the sandbox answer 500, but the one Canvas itself
    gives: ``add_recipients`` on a private conversation (Conversation#add_participants raises,
    app/models/conversation.rb; ../shared/canvas-api.md). Twenty clients send requests drawn
    from a seeded generator (tests/request_fuzz.py) over every route of the sandbox, with odd
    ids, parameters and bodies, until 600 are answered or 15 seconds have passed. Each request
    has its own connection: a kept-alive one the server closed after refusing an unread body
    could fail the next request on it, which would be the client's race, not the server's."""
    seed = 23
    sandbox = make_sandbox(seed=seed)
    tokens = {u["role"]: u["token"] for u in reversed(sandbox.info.users) if u["token"]}
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=60,
                                 limits=httpx.Limits(max_keepalive_connections=0)) as http:
        mine = await http.get("/api/v1/conversations", params={"per_page": 50},
                              headers={"Authorization": f"Bearer {tokens['teacher']}"})
        fuzzer = RequestFuzzer(seed, [c["id"] for c in mine.json()], sorted(tokens))
        deadline = time.monotonic() + 15.0
        answered: list[tuple[FuzzRequest, httpx.Response]] = []
        unplanned: list[str] = []

        async def client() -> None:
            while len(answered) < 600 and time.monotonic() < deadline:
                request = fuzzer.next()
                try:
                    answered.append((request, await send(http, tokens, request)))
                except httpx.TransportError as exc:  # the server dropped the connection: no answer at all
                    unplanned.append(f"{type(exc).__name__} <- {request.describe()}")

        await asyncio.gather(*(client() for _ in range(20)))

    assert len(answered) >= 150, f"only {len(answered)} requests answered in the time given"
    for request, response in answered:
        if response.status_code < 500:
            continue
        planned = ADD_RECIPIENTS.match(request.path)
        if planned and response.json()["errors"][0]["error_code"] == "internal_server_error" and \
                sandbox.call(lambda: sandbox.state.conversations.conversations[int(planned.group(1))].private):
            continue
        unplanned.append(f"{response.status_code} {response.text[:200]!r} <- {request.describe()}")
    assert not unplanned, f"seed {seed}: {len(unplanned)} unplanned 5xx:\n" + "\n".join(unplanned[:10])
    # The bad requests were answered as such, not waved through.
    statuses = {response.status_code for _, response in answered}
    assert {200, 400, 401, 404} <= statuses
