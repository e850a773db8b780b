"""Files: each user's "conversation attachments" folder, uploads in progress, and downloads.

Canvas files live in folders; a message may only carry files from its author's
"conversation attachments" folder (canvas-api.md section 6).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from .clock import iso

ATTACHMENTS_FOLDER = "conversation attachments"


@dataclass(slots=True)
class Folder:
    id: int
    user_id: int
    name: str
    full_name: str
    parent_folder_id: int | None


@dataclass(slots=True)
class File:
    id: int
    user_id: int
    folder_id: int
    display_name: str
    content_type: str
    data: bytes
    created_at: datetime
    uuid: str = field(default_factory=lambda: secrets.token_hex(20))

    @property
    def size(self) -> int:
        return len(self.data)

    def as_json(self, base_url: str) -> dict:
        return {
            "id": self.id,
            "uuid": self.uuid,
            "folder_id": self.folder_id,
            "display_name": self.display_name,
            "filename": self.display_name,
            "upload_status": "success",  # the bytes have arrived: AttachmentUploadStatus says so
            "content-type": self.content_type,
            "url": f"{base_url}/files/{self.id}/download?download_frd=1&verifier={self.uuid}",
            "size": self.size,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "unlock_at": None,
            "locked": False,
            "hidden": False,
            "lock_at": None,
            "hidden_for_user": False,
            "thumbnail_url": None,
            "modified_at": iso(self.created_at),
            "mime_class": mime_class(self.content_type),
            "media_entry_id": None,
            "locked_for_user": False,
            "category": "uncategorized",  # Attachment's default; Canvas sets others for its own uses
        }


@dataclass(slots=True)
class PendingUpload:
    """Step one of an upload has been answered; step two will bring the bytes."""

    key: str
    user_id: int
    folder_id: int
    name: str
    content_type: str
    size: int | None


def mime_class(content_type: str) -> str:
    major = content_type.split("/")[0]
    if content_type == "application/pdf":
        return "pdf"
    return {"image": "image", "audio": "audio", "video": "video", "text": "text"}.get(major, "file")


class FileStore:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.files: dict[int, File] = {}
        self.folders: dict[int, Folder] = {}
        self.pending: dict[str, PendingUpload] = {}
        self._file_ids = itertools.count(1)
        self._folder_ids = itertools.count(1)
        self._by_path: dict[tuple[int, str], int] = {}

    def folder(self, user_id: int, path: str) -> Folder:
        """The user's folder at ``path`` below "my files", created on first use as Canvas does."""
        path = path.strip("/")
        parent = self._root(user_id)
        if not path:
            return parent
        for part in path.split("/"):
            key = (user_id, f"{parent.full_name}/{part}")
            fid = self._by_path.get(key)
            if fid is None:
                folder = Folder(next(self._folder_ids), user_id, part, key[1], parent.id)
                self.folders[folder.id] = folder
                self._by_path[key] = folder.id
                fid = folder.id
            parent = self.folders[fid]
        return parent

    def _root(self, user_id: int) -> Folder:
        key = (user_id, "my files")
        fid = self._by_path.get(key)
        if fid is None:
            folder = Folder(next(self._folder_ids), user_id, "my files", "my files", None)
            self.folders[folder.id] = folder
            self._by_path[key] = folder.id
            fid = folder.id
        return self.folders[fid]

    def attachments_folder(self, user_id: int) -> Folder:
        return self.folder(user_id, ATTACHMENTS_FOLDER)

    def add(self, user_id: int, name: str, content_type: str, data: bytes, folder_id: int | None = None) -> File:
        folder_id = folder_id if folder_id is not None else self.attachments_folder(user_id).id
        file = File(next(self._file_ids), user_id, folder_id, name, content_type, data, self.now())
        self.files[file.id] = file
        return file

    def begin_upload(self, user_id: int, folder_id: int, name: str, content_type: str, size: int | None) -> PendingUpload:
        upload = PendingUpload(secrets.token_urlsafe(24), user_id, folder_id, name, content_type, size)
        self.pending[upload.key] = upload
        return upload

    def attachable(self, user_id: int, file_ids: list[int]) -> list[int]:
        """Only files in the author's own conversation attachments folder (others silently dropped)."""
        folder = self.attachments_folder(user_id).id
        return [fid for fid in file_ids if fid in self.files and self.files[fid].folder_id == folder]
