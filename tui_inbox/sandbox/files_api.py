"""Files over HTTP: Canvas's three-step upload, file JSON, downloads and the user's folders.

The upload follows doc/api/file_uploads.md (canvas-api.md section 6):

1. ``POST /api/v1/users/self/files`` (or a folder's ``/files``) with name, size,
   content_type and a folder, answered with ``upload_url`` and ``upload_params``;
2. a multipart POST of those params plus ``file`` (last) to ``upload_url``. No
   token is sent there: the one-time key in the URL is the credential, so this
   route deliberately does not use ``@api``. It answers 201 with the file JSON,
   which is what canvasapi's Uploader parses, and a ``Location`` for step 3;
3. ``GET /api/v1/files/:id/create_success?uuid=...`` (with the token) for clients
   that follow the Location, as Canvas's local-storage flow does.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors, string_ids
from .endpoint import Call, NotFound, api, authenticate, bearer_token, path_int
from .files import File, FileStore, Folder
from .pagination import paginate
from .state import SandboxState
from .users_api import path_user


# -- who may see a file ------------------------------------------------------------------
def may_see(state: SandboxState, user_id: int, file: File) -> bool:
    """The owner, or anyone who can see a message (or a forwarded copy) carrying the file."""
    if file.user_id == user_id:
        return True
    for participant in state.conversations.views.get(user_id, {}).values():
        for message in participant.messages:
            if _carries(message, file.id):
                return True
    return False


def _carries(message, file_id: int) -> bool:
    return file_id in message.attachment_ids or any(_carries(m, file_id) for m in message.forwarded)


def _store(call_or_state) -> FileStore:
    state = call_or_state.state if isinstance(call_or_state, Call) else call_or_state
    return state.files


# -- step 1: announce the upload -------------------------------------------------------
def _content_type(name: str, given: str | None) -> str:
    # Canvas guesses from the extension when content_type is not given.
    return given or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _unique_name(store: FileStore, folder_id: int, name: str) -> str:
    """``on_duplicate=rename``: "notes.txt" becomes "notes-1.txt", as Canvas renames."""
    taken = {f.display_name for f in store.files.values() if f.folder_id == folder_id}
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if stem else (name, "")
    n = 1
    while f"{stem}-{n}{ext}" in taken:
        n += 1
    return f"{stem}-{n}{ext}"


def _preflight(call: Call, folder: Folder) -> Response:
    name = call.params.get("name") or call.params.get("filename")
    if not name:
        return errors.errors_message("name is required")
    store = _store(call)
    if call.params.get("on_duplicate") == "rename":
        name = _unique_name(store, folder.id, name)
    # Canvas's default, "overwrite", would retire the older file; the sandbox keeps both,
    # since messages may still point at the older one.
    content_type = _content_type(name, call.params.get("content_type"))
    pending = store.begin_upload(call.user.id, folder.id, name, content_type, call.params.int("size"))
    return JSONResponse(
        {
            "upload_url": f"{call.base_url}/files_api/upload/{pending.key}",
            "upload_params": {"filename": name, "content_type": content_type},
            "file_param": "file",
            "progress": None,
        }
    )


def _folder_of(call: Call, folder_id: int) -> Folder:
    folder = _store(call).folders.get(folder_id)
    if folder is None or folder.user_id != call.user.id:
        raise NotFound(folder_id)
    return folder


def _below_root(path: str) -> str:
    """Folder.assert_path: a leading "my files" names the root itself, not a subfolder."""
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[1:] if parts[:1] == ["my files"] else parts)


@api
async def create_user_file(call: Call) -> Response:
    user = path_user(call)
    if user is None:
        return errors.unauthorized()  # uploading into someone else's files
    folder_id, folder_path = call.params.int("parent_folder_id"), call.params.get("parent_folder_path")
    folder_path = folder_path if folder_path is not None else call.params.get("folder")  # deprecated name
    if folder_id is not None and folder_path is not None:
        return errors.errors_message("Can't set folder path and folder id")
    if folder_id is not None:
        folder = _folder_of(call, folder_id)
    else:
        # "my files" when nothing is named (the brief's default); the web inbox names
        # "conversation attachments", which is created on first use like Folder.assert_path.
        folder = _store(call).folder(call.user.id, _below_root(folder_path or ""))
    return _preflight(call, folder)


@api
async def create_folder_file(call: Call) -> Response:
    return _preflight(call, _folder_of(call, path_int(call, "folder_id")))


# -- step 2: the bytes, authenticated by the pending key alone --------------------------
async def upload(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    store = _store(state)
    pending = store.pending.get(request.path_params.get("key", ""))
    if pending is None:
        return errors.not_found()
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return errors.errors_message("file is required")
    try:
        form = await request.form()
    except Exception:  # malformed multipart: Starlette's own 400 would be plain text
        return errors.errors_message("The upload is not valid multipart/form-data.")
    try:
        part = form.get("file")
        if part is None or isinstance(part, str):  # tolerate a client that names the part otherwise
            part = next((v for _, v in form.multi_items() if not isinstance(v, str)), None)
        if part is None:
            return errors.errors_message("file is required")
        data = await part.read()
    finally:
        await form.close()
    # Single use: the key is spent once the bytes arrived.
    store.pending.pop(pending.key, None)
    content_type = pending.content_type or part.content_type or "application/octet-stream"
    file = store.add(pending.user_id, pending.name, content_type, data, folder_id=pending.folder_id)
    base = str(request.base_url).rstrip("/")
    answer = JSONResponse(
        file.as_json(base),
        status_code=201,
        headers={"Location": f"{base}/api/v1/files/{file.id}/create_success?uuid={file.uuid}"},
    )
    # Not an @api handler (no token), but rendered by Canvas all the same.
    return string_ids.restyle(answer) if string_ids.wanted(request) else answer


# -- file JSON ----------------------------------------------------------------------
def _file_for(call: Call) -> File:
    file = _store(call).files.get(path_int(call, "id"))
    if file is None:
        raise NotFound()
    return file


@api
async def show_file(call: Call) -> Response:
    file = _file_for(call)
    if not may_see(call.state, call.user.id, file):
        return errors.unauthorized()  # Canvas's authorized_action: it exists, you may not read it
    return JSONResponse(file.as_json(call.base_url))


@api
async def create_success(call: Call) -> Response:
    file = _file_for(call)
    if file.user_id != call.user.id:
        return errors.unauthorized()
    if call.params.get("uuid") != file.uuid:
        return errors.errors_message("Invalid file uuid")
    return JSONResponse(file.as_json(call.base_url))


# -- download ---------------------------------------------------------------------------
def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name; CR/LF can never reach the header."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: Request) -> Response:
    # Not @api: the verifier from the file's url works without a token, like Canvas's
    # (otherwise a token of someone who may see the file is required).
    state: SandboxState = request.app.state.sandbox
    try:
        file = _store(state).files.get(int(request.path_params.get("id", "")))
    except ValueError:
        file = None
    if file is None:
        return errors.not_found()
    verifier = request.query_params.get("verifier")
    if verifier is None or verifier != file.uuid:
        if bearer_token(request) is None:
            return errors.unauthorized(signed_in=False) if verifier is not None else errors.unauthenticated()
        user = authenticate(request, state)
        if isinstance(user, Response):
            return user
        if not may_see(state, user.id, file):
            return errors.unauthorized()
    return Response(
        file.data,
        media_type=file.content_type,
        headers={
            "Content-Disposition": content_disposition(file.display_name),
            "X-Content-Type-Options": "nosniff",  # never render an uploaded HTML file
        },
    )


# -- folders ---------------------------------------------------------------------------
def folder_json(call: Call, folder: Folder) -> dict:
    store = _store(call)
    return {
        "id": folder.id,
        "name": folder.name,
        "full_name": folder.full_name,
        "context_id": folder.user_id,
        "context_type": "User",
        "parent_folder_id": folder.parent_folder_id,
        "files_count": sum(1 for f in store.files.values() if f.folder_id == folder.id),
        "folders_count": sum(1 for f in store.folders.values() if f.parent_folder_id == folder.id),
        "files_url": f"{call.base_url}/api/v1/folders/{folder.id}/files",
        "folders_url": f"{call.base_url}/api/v1/folders/{folder.id}/folders",
        "position": None,
        "locked": False,
        "hidden": False,
        "lock_at": None,
        "unlock_at": None,
        "locked_for_user": False,
        "hidden_for_user": False,
        "for_submissions": False,
        "can_upload": True,
    }


def _user_folders(call: Call) -> list[Folder]:
    # Canvas creates the attachments folder on demand; listing it makes it exist,
    # so a client can read its id before the first upload.
    _store(call).attachments_folder(call.user.id)
    mine = [f for f in _store(call).folders.values() if f.user_id == call.user.id]
    return sorted(mine, key=lambda f: (f.full_name.casefold(), f.id))


@api
async def list_folders(call: Call) -> Response:
    if path_user(call) is None:
        return errors.unauthorized()
    page, headers = paginate(call, _user_folders(call))
    return JSONResponse([folder_json(call, f) for f in page], headers=headers)


@api
async def folders_by_path(call: Call) -> Response:
    """The folders from "my files" down to the path, or 404 if any part is missing."""
    if path_user(call) is None:
        return errors.unauthorized()
    by_name = {f.full_name: f for f in _user_folders(call)}
    path = "my files"
    chain = [by_name[path]]
    for part in [p for p in call.request.path_params.get("path", "").split("/") if p]:
        path = f"{path}/{part}"
        if path not in by_name:
            raise NotFound(path)
        chain.append(by_name[path])
    return JSONResponse([folder_json(call, f) for f in chain])


@api
async def show_folder(call: Call) -> Response:
    return JSONResponse(folder_json(call, _folder_of(call, path_int(call, "folder_id"))))


routes = [
    Route("/api/v1/users/{user_id}/files", create_user_file, methods=["POST"]),
    Route("/api/v1/folders/{folder_id}/files", create_folder_file, methods=["POST"]),
    Route("/files_api/upload/{key}", upload, methods=["POST"]),
    Route("/api/v1/files/{id}", show_file, methods=["GET"]),
    Route("/api/v1/files/{id}/create_success", create_success, methods=["GET", "POST"]),
    Route("/files/{id}/download", download, methods=["GET"]),
    Route("/api/v1/users/{user_id}/folders", list_folders, methods=["GET"]),
    Route("/api/v1/users/{user_id}/folders/by_path", folders_by_path, methods=["GET"]),
    Route("/api/v1/users/{user_id}/folders/by_path/{path:path}", folders_by_path, methods=["GET"]),
    Route("/api/v1/folders/{folder_id}", show_folder, methods=["GET"]),
]
