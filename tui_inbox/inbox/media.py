"""A message's media comment (an audio or video recording) as the user sees and saves it."""

from __future__ import annotations

import mimetypes

from ..canvas.models import MediaComment
from ..canvas.uploads import safe_filename, split_suffix
from .text import one_line


def kind_of(media: MediaComment) -> str:
    """``audio`` or ``video`` as Canvas says; any other word shown as ``media``."""
    kind = (media.media_type or "").strip().lower()
    return kind if kind in ("audio", "video") else "media"


def media_title(media: MediaComment) -> str:
    """``video comment: Question about problem 2``, or just ``audio comment`` when it has no name."""
    name = one_line(media.display_name or "")
    return f"{kind_of(media)} comment" + (f": {name}" if name else "")


def media_file_name(media: MediaComment) -> str:
    """The name to save it under: its display name (or its media id) with the extension its
    content type calls for, e.g. ``Question about problem 2.mp4``.

    Canvas's media download URL ends in a redirect whose path names nothing useful (a Kaltura
    flavor id), so the name comes from the comment itself, made safe like any server name."""
    stem = one_line(media.display_name or "") or f"{kind_of(media)} comment {media.media_id}".strip()
    extension = mimetypes.guess_extension((media.content_type or "").split(";")[0].strip().lower()) or ""
    if extension and split_suffix(stem)[1].lower() != extension:
        stem += extension
    return safe_filename(stem, fallback=f"{kind_of(media)} comment")
