"""Messages for the search tests, made through the sandbox's API as its users would write them."""

from __future__ import annotations

import httpx

from tests.conftest import user_client

LATIN = "Could I have an extension on the photosynthesis notebook until Friday?"
ACCENTED = "Zoë Müller asked about the résumé workshop"
CJK = "老师您好，关于期末考试的复习范围我想请教一下"
ARCHIVED = "The quarterly spectrometer calibration is finished"


class Recording(httpx.AsyncBaseTransport):
    """A real HTTP transport that remembers every request and answer status (to count and check them)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.seen.append((request.method, request.url.path, response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def threads_fetched(self) -> list[str]:
        return [path for method, path, _ in self.seen if method == "GET" and path.count("/") == 4
                and path.startswith("/api/v1/conversations/") and path.rsplit("/", 1)[1].isdigit()]


def write_to_teacher(sandbox, body: str, subject: str, student: int = 0) -> int:
    """A student writes to the teacher: a new conversation in the teacher's Inbox; its id."""
    with user_client(sandbox, "student", student) as client:
        created = client.post("/api/v1/conversations", data={"recipients[]": ["1"], "body": body,
                                                               "subject": subject}).json()[0]
    with user_client(sandbox, "teacher") as teacher:
        # The teacher's copy has the same id (one conversation, one participant row each).
        listed = teacher.get("/api/v1/conversations", params={"per_page": 100}).json()
    assert any(c["id"] == created["id"] for c in listed)
    return created["id"]


def seed_search_messages(sandbox) -> dict[str, int]:
    ids = {
        "latin": write_to_teacher(sandbox, LATIN, "Extension request"),
        "accented": write_to_teacher(sandbox, ACCENTED, "Workshop", 1),
        "cjk": write_to_teacher(sandbox, CJK, "期末考试", 2),
        "archived": write_to_teacher(sandbox, ARCHIVED, "Lab equipment", 3),
    }
    with user_client(sandbox, "teacher") as teacher:
        answer = teacher.put(f"/api/v1/conversations/{ids['archived']}",
                             data={"conversation[workflow_state]": "archived"})
        assert answer.json()["workflow_state"] == "archived"
    return ids


def unread_count(sandbox) -> int:
    with user_client(sandbox, "teacher") as teacher:
        return int(teacher.get("/api/v1/conversations/unread_count").json()["unread_count"])
