"""The client acting as another user (an admin's ``as_user_id``), and sharing one httpx client among tokens."""

from __future__ import annotations

import httpx
import pytest

from tui_inbox.canvas import CanvasClient, MasqueradeRefused


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


def _token(sandbox, role: str, index: int = 0) -> str:
    return sandbox.info.token_of(role, index)


def _id(sandbox, role: str, index: int = 0) -> int:
    return [u for u in sandbox.info.users if u["role"] == role][index]["id"]


async def test_an_admin_reads_a_conversation_as_its_participant_leaving_it_unread(sandbox):
    student = _id(sandbox, "student")
    async with CanvasClient(sandbox.base_url, _token(sandbox, "student")) as own, \
            CanvasClient(sandbox.base_url, _token(sandbox, "admin")) as admin:
        unread = next(c for c in await own.load_conversations() if c.workflow_state == "unread")
        seen = await admin.get_conversation(unread.id, as_user_id=student, auto_mark_as_read=False)
        assert student in [p.id for p in seen.participants]
        assert (await own.get_conversation(unread.id, auto_mark_as_read=False)).workflow_state == "unread"


async def test_a_refused_masquerade_says_so_in_one_line(sandbox):
    async with CanvasClient(sandbox.base_url, _token(sandbox, "student")) as student:
        with pytest.raises(MasqueradeRefused) as refused:
            await student.get_conversation(1, as_user_id=_id(sandbox, "teacher"), auto_mark_as_read=False)
    message = str(refused.value)
    assert "act as that user" in message and "\n" not in message and refused.value.status == 401


async def test_active_courses_only_and_a_shared_http_client_left_open(sandbox):
    async with httpx.AsyncClient() as shared:
        for role in ("student", "teacher"):  # two tokens, one pool
            client = CanvasClient(sandbox.base_url, _token(sandbox, role), client=shared)
            me = await client.get_self()
            courses = await client.get_courses(enrollment_state="active")
            await client.aclose()
            assert me.id == _id(sandbox, role)
            assert courses and all(c.workflow_state != "completed" for c in courses)
        assert not shared.is_closed  # its owner closes it
        assert 4 not in [c.id for c in courses]  # the teacher's concluded STAT 200
