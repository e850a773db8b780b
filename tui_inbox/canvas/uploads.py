"""Files: Canvas's three-step upload of a conversation attachment, and downloads.

1. POST the file's name, size and type to Canvas (with the token) to get an upload URL;
2. POST the bytes there as multipart, the upload parameters first and ``file`` last,
   WITHOUT the token: that URL may be another host (a file store);
3. Canvas answers 201 with the file, or a redirect to GET on Canvas (with the token).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote

import httpx

from .errors import CanvasError, ServerError
from .http import CanvasHTTP, parse_json
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


async def download_file(http: CanvasHTTP, url: str, destination: Path) -> Path:
    """Save a file to ``destination`` (a folder or a path); the token goes only to Canvas itself."""
    target = http.url(url)
    response = await http.request("GET", target, auth=http.same_origin(target), follow_foreign=True, stream=True)
    try:
        if destination.is_dir():
            destination = destination / _filename(response, target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        with partial.open("wb") as out:
            async for chunk in response.aiter_bytes():
                out.write(chunk)
        partial.replace(destination)
    finally:
        await response.aclose()
    return destination


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


def safe_filename(name: str) -> str:
    """A server-given name made safe to create: no folders, no control characters, no dot-names."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", "..") or name.startswith("."):
        name = "download" + (name if name not in ("", ".", "..") else "")
    return name[:200]
