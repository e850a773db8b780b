"""Downloads never lose a file: real files on disk, the sandbox's attachments over loopback HTTP.

The file goes into a folder (made, private, when missing), never over a file already
there (``report (1).pdf``), through a temporary file that is gone afterwards whatever
happened, under a name the server cannot use to escape the folder. ``httpx.MockTransport``
only for the names and failures the sandbox never sends.
"""

from __future__ import annotations

import asyncio
import stat
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.canvas import CanvasClient, DownloadError, ForeignOriginError, NetworkError, RetryPolicy
from tui_inbox.canvas.uploads import safe_filename

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.01, throttle_floor=0.001)
PDF = "lab-report-draft.pdf"


@pytest.fixture
async def teacher(sandbox):
    async with CanvasClient(sandbox.base_url, sandbox.state.world.users[1].token, retry=FAST) as client:
        yield client


@pytest.fixture
async def pdf(teacher):
    """The seeded attachment, as the thread shows it: its name, size and download URL."""
    found = [c for c in await teacher.load_conversations() if c.subject == "Lab report extension"]
    convo = await teacher.get_conversation(found[0].id, auto_mark_as_read=False)
    return next(a for m in convo.messages for a in m.attachments if a.display_name == PDF)


def names_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_missing_folder_is_made_private_and_the_file_saved_inside_it(teacher, pdf, tmp_path):
    folder = tmp_path / "home" / "Downloads"  # neither exists yet
    saved = await teacher.download(pdf.url, folder)
    assert saved == folder / PDF and saved.read_bytes().startswith(b"%PDF-1.4") and saved.stat().st_size == pdf.size
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # an attachment is the user's private mail


async def test_an_existing_folder_keeps_its_mode(teacher, pdf, tmp_path):
    tmp_path.chmod(0o755)
    await teacher.download(pdf.url, tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


async def test_a_second_download_of_the_same_name_never_overwrites(teacher, pdf, tmp_path):
    (tmp_path / PDF).write_bytes(b"my own annotated copy")
    first = await teacher.download(pdf.url, tmp_path)
    second = await teacher.download(pdf.url, tmp_path)
    assert (first.name, second.name) == ("lab-report-draft (1).pdf", "lab-report-draft (2).pdf")
    assert (tmp_path / PDF).read_bytes() == b"my own annotated copy"
    assert first.read_bytes() == second.read_bytes() and first.stat().st_size == pdf.size
    assert names_in(tmp_path) == sorted([PDF, "lab-report-draft (1).pdf", "lab-report-draft (2).pdf"])  # no partial


async def test_concurrent_downloads_of_one_name_each_get_their_own_file(teacher, pdf, tmp_path):
    saved = await asyncio.gather(*(teacher.download(pdf.url, tmp_path) for _ in range(6)))
    assert len(set(saved)) == 6
    assert names_in(tmp_path) == sorted([PDF] + [f"lab-report-draft ({n}).pdf" for n in range(1, 6)])
    assert {p.stat().st_size for p in saved} == {pdf.size}


async def test_a_folder_that_is_a_file_is_refused_in_one_line_and_left_alone(teacher, pdf, tmp_path):
    # What the old code left behind: the first attachment written *as* ~/Downloads.
    (tmp_path / "Downloads").write_bytes(b"an earlier attachment")
    with pytest.raises(DownloadError) as caught:
        await teacher.download(pdf.url, tmp_path / "Downloads")
    message = str(caught.value)
    assert "is not a folder" in message and str(tmp_path / "Downloads") in message and "\n" not in message
    assert (tmp_path / "Downloads").read_bytes() == b"an earlier attachment"


# -- names the server chooses --------------------------------------------------------------------------
HOSTILE_NAMES = [
    ("../../.bashrc", "download.bashrc"),
    ("..\\..\\Windows\\evil.exe", "evil.exe"),
    ("/etc/passwd", "passwd"),
    ("..", "download"),
    ("...", "download"),
    ("", "download"),
    ("   ", "download"),
    ("re\x1b[31mport\x07\x00.pdf", "re[31mport.pdf"),
    ("line\nbreak.txt", "linebreak.txt"),
    ("Résumé 測試.pdf", "Résumé 測試.pdf"),
]


def serving(filename: str, body: bytes = b"the bytes") -> httpx.MockTransport:
    header = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body,
                                                              headers={"Content-Disposition": header}))


@pytest.mark.parametrize("given, expected", HOSTILE_NAMES)
async def test_a_server_given_name_stays_inside_the_folder(given, expected, tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    async with CanvasClient("https://canvas.example.edu", "t", transport=serving(given), retry=FAST) as client:
        saved = await client.download("https://canvas.example.edu/files/1/download", folder)
    assert saved == folder / expected and saved.read_bytes() == b"the bytes"
    assert names_in(tmp_path) == ["Downloads"] and names_in(folder) == [expected]


async def test_a_very_long_name_is_cut_to_fit_the_file_system_keeping_its_extension(tmp_path):
    async with CanvasClient("https://canvas.example.edu", "t", transport=serving("測" * 300 + ".pdf"),
                            retry=FAST) as client:
        first = await client.download("https://canvas.example.edu/files/1/download", tmp_path)
        second = await client.download("https://canvas.example.edu/files/1/download", tmp_path)
    assert first.suffix == ".pdf" and len(first.name.encode()) <= 200 and first.read_bytes() == b"the bytes"
    assert second.name.endswith(" (1).pdf") and second.read_bytes() == b"the bytes"


def test_numbering_keeps_a_double_extension_together():
    from tui_inbox.canvas.uploads import numbered

    names = numbered("notes.tar.gz")
    assert [next(names) for _ in range(3)] == ["notes.tar.gz", "notes (1).tar.gz", "notes (2).tar.gz"]
    assert safe_filename(".hidden", fallback="file") == "file.hidden"


async def test_a_download_that_breaks_off_leaves_nothing_behind(tmp_path):
    async def broken():
        yield b"%PDF-1.4 first half"
        raise httpx.ReadError("Connection reset by peer")

    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, stream=_Stream(broken()), headers={"Content-Disposition": 'attachment; filename="report.pdf"'}))
    (tmp_path / "report.pdf").write_bytes(b"the old report")
    async with CanvasClient("https://canvas.example.edu", "t", transport=transport, retry=FAST) as client:
        with pytest.raises(NetworkError) as caught:
            await client.download("https://canvas.example.edu/files/1/download", tmp_path)
    assert "broke off" in str(caught.value) and "connection reset" in str(caught.value)
    assert names_in(tmp_path) == ["report.pdf"] and (tmp_path / "report.pdf").read_bytes() == b"the old report"


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        async for chunk in self.chunks:
            yield chunk


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://canvas.example.edu/x.pdf", "javascript:alert(1)"])
async def test_a_download_link_that_is_not_http_is_refused_in_one_line(url, tmp_path):
    def never(request):
        raise AssertionError("nothing may be sent")

    async with CanvasClient("https://canvas.example.edu", "t", transport=httpx.MockTransport(never),
                            retry=FAST) as client:
        with pytest.raises(ForeignOriginError) as caught:
            await client.download(url, tmp_path / "Downloads")
    assert "only http(s)" in str(caught.value) and "\n" not in str(caught.value)


# -- in the app --------------------------------------------------------------------------------------
async def test_o_saves_into_the_users_downloads_folder_made_when_missing(make_inbox_app, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()  # a home without ~/Downloads and without user-dirs.dirs
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    opened = []
    monkeypatch.setattr("tui_inbox.inbox.opener.open_with_system", lambda path: opened.append(path) or True)

    app = make_inbox_app(downloads=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await open_row(pilot, "Lab report extension")
        for count in (1, 2):  # the second download of the same attachment gets its own file
            await pilot.press("o")
            await async_wait_until(lambda: app.screen.__class__.__name__ == "AttachmentsScreen")
            await pilot.press("enter")  # the first attachment: rubric.txt
            await async_wait_until(lambda: (len(opened) == count and not app.status.running) or app.status.error)
            assert not app.status.error, app.status.error
            await settle(pilot)
        assert app.status.message == f"Saved to {home / 'Downloads' / 'rubric (1).txt'}"
    downloads = home / "Downloads"
    assert opened == [downloads / "rubric.txt", downloads / "rubric (1).txt"]
    assert downloads.is_dir() and stat.S_IMODE(downloads.stat().st_mode) == 0o700
    assert names_in(downloads) == ["rubric (1).txt", "rubric.txt"]
    assert (downloads / "rubric.txt").read_bytes() == (downloads / "rubric (1).txt").read_bytes() != b""
