"""The sandbox's account admin and Canvas's masquerading (``as_user_id``), over HTTP."""

from __future__ import annotations

import httpx

from tui_inbox.sandbox.events import global_id

INVALID = {"errors": "Invalid as_user_id"}


def _client(sandbox, role: str, index: int = 0) -> httpx.Client:
    token = sandbox.info.token_of(role, index)
    return httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _id_of(sandbox, role: str, index: int = 0) -> int:
    return [u for u in sandbox.info.users if u["role"] == role][index]["id"]


def test_the_admin_is_listed_and_enrolled_nowhere(sandbox):
    admins = [u for u in sandbox.info.users if u["role"] == "admin"]
    assert len(admins) == 1 and admins[0]["token"]
    with _client(sandbox, "admin") as admin:
        assert admin.get("/api/v1/users/self").json()["id"] == admins[0]["id"]
        assert admin.get("/api/v1/courses").json() == []
        assert admin.get("/api/v1/conversations").json() == []
    # The demo's user is still the teacher, listed first.
    assert sandbox.info.users[0]["role"] == "teacher"


def test_an_admin_is_answered_as_the_user_named_by_local_or_global_id(sandbox):
    student = _id_of(sandbox, "student")
    with _client(sandbox, "admin") as admin, _client(sandbox, "student") as own:
        as_local = admin.get("/api/v1/users/self", params={"as_user_id": student})
        as_global = admin.get("/api/v1/users/self", params={"as_user_id": global_id(student)})
        assert as_local.status_code == 200 and as_local.json()["id"] == student
        assert as_global.json()["id"] == student
        # What the student sees is what the admin sees as the student.
        mine = own.get("/api/v1/conversations").json()
        assert mine and admin.get("/api/v1/conversations", params={"as_user_id": student}).json() == mine


def test_reading_a_conversation_as_its_participant_without_marking_it_read(sandbox):
    student = _id_of(sandbox, "student")
    with _client(sandbox, "admin") as admin, _client(sandbox, "student") as own:
        unread = next(c for c in own.get("/api/v1/conversations").json() if c["workflow_state"] == "unread")
        shown = admin.get(f"/api/v1/conversations/{unread['id']}",
                          params={"as_user_id": student, "auto_mark_as_read": "0"})
        assert shown.status_code == 200
        assert student in [p["id"] for p in shown.json()["participants"]]
        again = own.get(f"/api/v1/conversations/{unread['id']}", params={"auto_mark_as_read": "0"}).json()
        assert again["workflow_state"] == "unread"


def test_as_user_id_in_a_form_body_writes_as_that_user(sandbox):
    student = _id_of(sandbox, "student")
    with _client(sandbox, "admin") as admin, _client(sandbox, "student") as own:
        conversation = own.get("/api/v1/conversations").json()[0]
        added = admin.post(f"/api/v1/conversations/{conversation['id']}/add_message",
                           data={"body": "written by the admin as the student", "as_user_id": str(student)})
        assert added.status_code in (200, 201), added.text
        assert added.json()["messages"][0]["author_id"] == student


def test_nobody_but_an_admin_may_masquerade(sandbox):
    teacher = _id_of(sandbox, "teacher")
    with _client(sandbox, "student") as student:
        refused = student.get("/api/v1/users/self", params={"as_user_id": teacher})
        assert refused.status_code == 401 and refused.json() == INVALID
        # Acting as oneself is no masquerade: Canvas allows it.
        me = _id_of(sandbox, "student")
        assert student.get("/api/v1/users/self", params={"as_user_id": me}).json()["id"] == me
        # An empty value means no masquerade (Rails' .presence).
        assert student.get("/api/v1/users/self", params={"as_user_id": ""}).json()["id"] == me


def test_an_unknown_user_is_canvas_s_401_not_a_404(sandbox):
    with _client(sandbox, "admin") as admin:
        for unknown in ("99999", "sis_user_id:bogus", str(9 * 10**13 + 10)):  # the last: another shard
            refused = admin.get("/api/v1/users/self", params={"as_user_id": unknown})
            assert (refused.status_code, refused.json()) == (401, INVALID), unknown


def test_a_bad_token_is_refused_before_any_masquerade(sandbox):
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": "Bearer 7~nope"}) as stranger:
        refused = stranger.get("/api/v1/users/self", params={"as_user_id": _id_of(sandbox, "student")})
        assert refused.status_code == 401 and refused.json() == {"errors": [{"message": "Invalid access token."}]}


def test_the_account_permissions_say_who_may_act_as_users(sandbox):
    """What `tui-inbox relay --check` asks (app/controllers/accounts_controller.rb, ``permissions``): a
    masquerade as oneself is always allowed, so it tells nothing."""
    asked = {"permissions[]": ["become_user", "read_roster"]}
    with _client(sandbox, "admin") as admin, _client(sandbox, "teacher") as teacher:
        assert admin.get("/api/v1/accounts/self/permissions", params=asked).json() == {
            "become_user": True, "read_roster": True}
        assert admin.get("/api/v1/accounts/1/permissions", params=asked).status_code == 200
        refused = teacher.get("/api/v1/accounts/self/permissions", params=asked)
        assert refused.status_code == 401 and refused.json()["status"] == "unauthorized"
        assert admin.get("/api/v1/accounts/99/permissions", params=asked).status_code == 404
