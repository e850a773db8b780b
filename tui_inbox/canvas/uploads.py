"""Files: Canvas's three-step upload of a conversation attachment, and downloads.

1. POST the file's name, size and type to Canvas (with the token) to get an upload URL;
2. POST the bytes there as multipart, the upload parameters first and ``file`` last,
   WITHOUT the token: that URL may be another host (a file store);
3. Canvas answers 201 with the file, or a redirect to GET on Canvas (with the token).

A download is saved without ever losing a file: see ``download_file``.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote

from .lazy_httpx import httpx

from .errors import CanvasError, DeadlineExceeded, DownloadError, NetworkError, ServerError
from .bodies import pieces
from .http import CanvasHTTP, network_reason, parse_json
from .origins import where
from .models import FileInfo

ATTACHMENTS_FOLDER = "conversation attachments"


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


async def upload_file(http: CanvasHTTP, path: Path, *, name: str | None = None, content_type: str | None = None) -> FileInfo:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CanvasError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    name = name or path.name
    content_type = content_type or guess_type(name)
    ticket = await http.json(
        "POST",
        "/api/v1/users/self/files",
        data={"name": name, "size": str(len(data)), "content_type": content_type,
              "parent_folder_path": ATTACHMENTS_FOLDER, "on_duplicate": "rename"},
    )
    if not isinstance(ticket, dict) or not isinstance(ticket.get("upload_url"), str):
        raise ServerError("Canvas did not say where to upload the file.")
    fields = {str(k): str(v) for k, v in (ticket.get("upload_params") or {}).items()}
    file_param = str(ticket.get("file_param") or "file")
    # Not retried: a repeated upload would store the file twice.
    response = await http.request(
        "POST", httpx.URL(ticket["upload_url"]), data=fields, files={file_param: (name, data, content_type)},
        auth=False, retry=False, follow_foreign=True,
    )
    body = parse_json(response)
    if response.status_code == 201 or (isinstance(body, dict) and "id" in body):
        return FileInfo.from_json(body)
    location = response.headers.get("location")
    if location:
        return FileInfo.from_json(await http.json("GET", response.url.join(location)))
    raise ServerError("Canvas accepted the upload but did not describe the file.")


async def download_file(http: CanvasHTTP, url: str, folder: Path, *, name: str | None = None) -> Path:
    """Save a file into ``folder`` and say where; the token goes only to Canvas itself.

    A file already there is never touched: a taken name becomes ``report (1).pdf``. The bytes
    go to a hidden temporary file in the same folder, which is then linked under the free
    name (a hard link fails rather than replaces), so two downloads of one name at once each
    get their own file and a failed one leaves nothing behind. Bounded by ``max_download``
    bytes and ``download_deadline`` seconds.
    """
    target = http.url(url)
    folder = _ready_folder(folder)
    try:
        async with asyncio.timeout(http.download_deadline) as scope:
            response = await http.request("GET", target, auth=http.same_origin(target), follow_foreign=True,
                                          stream=True)
            try:
                return await _save(response, folder, safe_filename(name) if name else _filename(response, target),
                                   http.max_download)
            finally:
                await response.aclose()
    except TimeoutError:
        if not scope.expired():
            raise
        raise DeadlineExceeded(f"The download from {where(target)} did not finish within "
                               f"{http.download_deadline:g} s: gave up, nothing was saved.") from None


def _ready_folder(folder: Path) -> Path:
    """The folder, made (private: 0700, with any missing parents) if it is not there yet."""
    folder = folder.expanduser()
    if folder.is_dir():
        return folder
    if folder.exists() or folder.is_symlink():
        raise DownloadError(f"Cannot save into {folder}: it is not a folder. Move it aside or choose another "
                            "downloads folder.")
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made at the same moment by someone else: theirs, left as it is
        except OSError as exc:
            raise DownloadError(f"Cannot make the downloads folder {made}: {exc.strerror or exc}.") from None
        os.chmod(made, 0o700)  # mkdir's mode passes through the umask
    return missing[0]


async def _save(response: httpx.Response, folder: Path, filename: str, limit: int) -> Path:
    body = pieces(response, limit, f"the file {filename}")  # counted as it arrives: Content-Length may be missing or lying
    temporary: Path | None = None
    try:
        first = await anext(body, b"")  # an honest Content-Length over the limit is refused before any file is made
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=".tui-inbox-", suffix=".part")  # 0600
        temporary = Path(name)
        with os.fdopen(descriptor, "wb") as out:
            out.write(first)
            async for piece in body:
                out.write(piece)
            out.flush()
            await asyncio.to_thread(os.fsync, out.fileno())  # on disk before it has a name
        return _claim(temporary, folder, filename)
    except httpx.TransportError as exc:
        raise NetworkError(f"The download from {where(response.url)} broke off ({network_reason(exc)}): "
                           "nothing was saved, try again.", sent=True) from None
    except OSError as exc:
        raise DownloadError(f"Cannot save {filename} in {folder}: {exc.strerror or exc}.") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)  # linked under its name by now, or given up


def _claim(temporary: Path, folder: Path, filename: str) -> Path:
    """Give the finished file the first free name, never replacing a file that is there."""
    for candidate in numbered(filename):
        path = folder / candidate
        try:
            os.link(temporary, path)  # fails if the name is taken, atomically
            return path
        except FileExistsError:
            continue
        except OSError:
            pass  # no hard links on this file system (FAT, some network shares)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # reserve the name...
        except FileExistsError:
            continue
        os.replace(temporary, path)  # ...and move onto our own reservation
        return path
    raise DownloadError(f"Cannot save {filename} in {folder}: too many files of that name already.")


def numbered(filename: str, tries: int = 10_000):
    """``report.pdf``, ``report (1).pdf``, ``report (2).pdf``...; ``a.tar.gz`` numbers before ``.tar.gz``."""
    yield filename
    stem, suffix = split_suffix(filename)
    for n in range(1, tries):
        yield f"{stem} ({n}){suffix}"


def split_suffix(filename: str) -> tuple[str, str]:
    path = Path(filename)
    suffix = path.suffix if len(path.suffix) <= 16 else ""
    stem = filename[: len(filename) - len(suffix)] if suffix else filename
    if stem.lower().endswith(".tar"):
        stem, suffix = stem[:-4], stem[-4:] + suffix
    return (stem, suffix) if stem else (filename, "")


# RFC 6266/5987 ``filename*=UTF-8''R%C3%A9sum%C3%A9.txt``: the exact name, preferred over the
# ASCII ``filename="R_sum_.txt"`` fallback that Canvas (Rails) sends next to it.
EXTENDED_FILENAME = re.compile(r"""filename\*\s*=\s*([\w!#$%&+^`{}~.-]+)'[^']*'([^;\s]+)""", re.IGNORECASE)


def _filename(response: httpx.Response, url: httpx.URL) -> str:
    from email.message import Message

    header = response.headers.get("content-disposition", "")
    extended = EXTENDED_FILENAME.search(header)
    if extended:
        charset, value = extended.groups()
        try:
            name = unquote(value, encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            name = ""
        if name:
            return safe_filename(name)
    if header:
        message = Message()
        message["content-disposition"] = header
        name = message.get_filename()
        if name:
            return safe_filename(name)
    return safe_filename(Path(url.path).name)


def safe_filename(name: str, fallback: str = "download") -> str:
    """A server-given name made safe to create in the downloads folder: no folders (``/``, ``\\``,
    ``..``), no control characters, no hidden dot-names, not empty, at most 200 bytes."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    hidden = name.startswith(".")
    name = name.lstrip(". ")
    if not name:
        return fallback
    if hidden:
        name = f"{fallback}.{name}"  # ".bashrc" -> "download.bashrc": visible, and still says what it was
    return _shortened(name, 200)


def _shortened(name: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8 (file systems count bytes), keeping the extension."""
    if len(name.encode()) <= limit:
        return name
    stem, suffix = split_suffix(name)
    room = limit - len(suffix.encode())
    return stem.encode()[:room].decode(errors="ignore").rstrip() + suffix
