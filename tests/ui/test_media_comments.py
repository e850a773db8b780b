"""Media comments (a recorded audio or video message): `o` offers them beside attachments.

Against the sandbox over loopback HTTP: a student sends an audio comment through the API, the
teacher's app lists it under its own heading, downloads it into the downloads folder (checked
on disk) or hands its link to the browser. ``httpx.MockTransport`` only for what the sandbox
cannot be: Canvas's media server on another host, where the token must not go.
"""

from __future__ import annotations

import stat

import httpx
import pytest

from tests.conftest import open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient, RetryPolicy
from tui_inbox.canvas.models import MediaComment
from tui_inbox.inbox import opener
from tui_inbox.inbox.opener import UnsafeLink, open_url
from tui_inbox.inbox.session import InboxSession
from tui_inbox.sandbox.media_api import flavor_bytes

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.01, throttle_floor=0.001)
SUBJECT = "Spoken answer to question 3"
ENTRY = "m-7c1d4e"


async def send_audio_comment(running) -> None:
    teacher_id = running.info.users[0]["id"]
    async with CanvasClient(running.base_url, running.info.token_of("student"), retry=FAST) as student:
        await student.create_conversation([str(teacher_id)], "My answer, recorded.", subject=SUBJECT,
                                          media_comment_id=ENTRY, media_comment_type="audio")


@pytest.fixture
def handed(monkeypatch):
    """What the app handed to the desktop's opener (a saved file's path or a link), in order."""
    seen: list[str] = []
    monkeypatch.setattr(opener, "_hand_over", lambda target: seen.append(target) or True)
    return seen


def option_texts(screen) -> list[tuple[str, bool]]:
    from textual.widgets import OptionList

    options = screen.query_one(OptionList).options
    return [(str(option.prompt), option.disabled) for option in options]


async def open_picker(pilot):
    from tui_inbox.ui.screens.attachments import AttachmentsScreen

    await ready(pilot)
    await open_row(pilot, SUBJECT)
    await pilot.press("o")
    await async_wait_until(lambda: isinstance(pilot.app.screen, AttachmentsScreen))
    await settle(pilot)
    return pilot.app.screen


async def test_o_lists_the_media_comment_and_downloads_it_into_the_downloads_folder(
        fixed_sandbox, make_inbox_app, tmp_path, handed):
    await send_audio_comment(fixed_sandbox)
    downloads = tmp_path / "home" / "Downloads"  # not there yet
    app = make_inbox_app(downloads=downloads)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_picker(pilot)
        texts = option_texts(screen)
        assert texts[0] == ("Media comment (audio): no name", True)  # a heading, not a choice
        assert texts[1][0].startswith("  ▶ Download the audio comment") and "audio/mp4" in texts[1][0]
        assert texts[2][0].startswith("  ↗ Open its link in the browser  127.0.0.1")
        await pilot.press("enter")  # the first choice: download
        await async_wait_until(lambda: handed or app.status.error)
        assert not app.status.error, app.status.error
        await settle(pilot)
        saved = downloads / f"audio comment {ENTRY}.m4a"
        assert app.status.message == f"Saved to {saved}"
    assert handed == [str(saved)]
    assert [p.name for p in downloads.iterdir()] == [saved.name]
    assert saved.read_bytes() == flavor_bytes(ENTRY) and stat.S_IMODE(saved.stat().st_mode) == 0o600


async def test_o_opens_the_media_comments_link_in_the_browser(fixed_sandbox, make_inbox_app, tmp_path, handed):
    await send_audio_comment(fixed_sandbox)
    app = make_inbox_app(downloads=tmp_path / "Downloads")
    async with app.run_test(size=(120, 36)) as pilot:
        await open_picker(pilot)
        await pilot.press("down", "enter")  # the second choice: its link
        await async_wait_until(lambda: handed or app.status.error)
        await settle(pilot)
        assert app.status.message == "Opened the audio comment in the browser"
    teacher_id = fixed_sandbox.info.users[0]["id"]
    student_id = [u for u in fixed_sandbox.info.users if u["role"] == "student"][0]["id"]
    assert handed == [f"{fixed_sandbox.base_url}/users/{student_id}/media_download?entryId={ENTRY}"
                      "&type=mp4&redirect=1"]
    assert teacher_id != student_id and not (tmp_path / "Downloads").exists()  # nothing downloaded


async def test_a_conversation_with_attachments_and_a_media_comment_says_which_is_which(
        fixed_sandbox, make_inbox_app, tmp_path, handed):
    from tui_inbox.ui.screens.attachments import AttachmentsScreen

    app = make_inbox_app(downloads=tmp_path / "Downloads")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_row(pilot, "Lab report extension")  # attachments only: the list as it always was
        await pilot.press("o")
        await async_wait_until(lambda: isinstance(app.screen, AttachmentsScreen))
        plain = option_texts(app.screen)
        assert all(not disabled and not text.startswith(("Attachments", "Media")) for text, disabled in plain)
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, AttachmentsScreen))
        # The same attachments beside a media comment: each kind under its heading.
        message = app.session.current.messages[0]
        message.media_comment = MediaComment("m-1", "video", "Walkthrough", "video/mp4", None)
        await pilot.press("o")
        await async_wait_until(lambda: isinstance(app.screen, AttachmentsScreen))
        texts = option_texts(app.screen)
        assert texts[0] == ("Attachments", True)
        assert [t for t, _ in texts[1:len(plain) + 1]] == ["  " + t for t, _ in plain]
        assert texts[len(plain) + 1:] == [("Media comment (video): Walkthrough", True),
                                          ("  ▶ video comment: Walkthrough  no link from Canvas", False)]
        # No URL: choosing it says why in one line, and nothing is fetched or opened.
        await pilot.press("end", "enter")
        await async_wait_until(lambda: app.status.error)
        assert app.status.error == ("Canvas gave no download link for the video comment “Walkthrough”: "
                                    "play it in Canvas in a browser.")
    assert handed == [] and not (tmp_path / "Downloads").exists()


# -- the media server on another host ------------------------------------------------------------------
async def test_the_token_never_goes_to_the_media_server_canvas_redirects_to(tmp_path):
    seen: list[tuple[str, str | None]] = []

    def canvas_and_kaltura(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        if request.url.host == "canvas.example.edu":
            return httpx.Response(302, headers={"Location": "https://cfvod.kaltura.example/p/1/flavorId/0_x/name/a.mp4"})
        return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42", headers={"Content-Type": "video/mp4"})

    media = MediaComment("m-9", "video", "../../Question 2", "video/mp4",
                         "https://canvas.example.edu/users/5/media_download?entryId=m-9&type=mp4&redirect=1")
    async with CanvasClient("https://canvas.example.edu", "secret-token", retry=FAST,
                            transport=httpx.MockTransport(canvas_and_kaltura)) as client:
        saved = await InboxSession(client).download(media, tmp_path)
    assert seen == [("canvas.example.edu", "Bearer secret-token"), ("cfvod.kaltura.example", None)]
    assert saved == tmp_path / "Question 2.mp4" and saved.read_bytes() == b"\x00\x00\x00\x18ftypmp42"


# -- the link opener ---------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "javascript:alert(1)",
    "ftp://canvas.example.edu/a.mp4",
    "x-custom-app://run?cmd=rm",
    "--help",
    "http:///no-host",
    "https://canvas.example.edu/a b",
    "https://canvas.example.edu/\x1b]8;;evil\x07",
    "",
])
def test_the_link_opener_refuses_anything_but_http_links_in_one_line(url, monkeypatch):
    monkeypatch.setattr(opener, "_hand_over", lambda target: pytest.fail(f"handed on {target!r}"))
    with pytest.raises(UnsafeLink) as refused:
        open_url(url)
    message = str(refused.value)
    assert message.startswith("Not opening the link") and "\n" not in message and "\x1b" not in message


@pytest.mark.parametrize("url", ["https://canvas.example.edu/media_objects/m-1/redirect", "HTTP://127.0.0.1:8080/x"])
def test_the_link_opener_hands_on_http_links(url, handed):
    assert open_url(url) is True and handed == [url]


# -- the sandbox's media download, as Canvas answers it ---------------------------------------------
async def test_the_sandbox_media_download_redirects_answers_json_and_refuses_unknown_entries(fixed_sandbox):
    await send_audio_comment(fixed_sandbox)
    base = fixed_sandbox.base_url
    async with httpx.AsyncClient(base_url=base) as http:  # no token: the link works without one, as Canvas's does
        followed = await http.get(f"/users/1/media_download?entryId={ENTRY}&type=mp4&redirect=1", follow_redirects=True)
        described = await http.get(f"/users/1/media_download?entryId={ENTRY}&type=mp4")
        unknown = await http.get("/users/1/media_download?entryId=m-nope&type=mp4&redirect=1")
    assert followed.status_code == 200 and followed.content == flavor_bytes(ENTRY)
    assert followed.headers["content-type"] == "audio/mp4" and len(followed.history) == 1
    assert described.json() == {"url": f"{base}/media_server/p/entry/{ENTRY}/flavor.mp4"}
    assert (unknown.status_code, unknown.text) == (404, "Could not find download URL")
