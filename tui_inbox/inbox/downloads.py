"""Saving an attachment or a media comment to a folder."""

from __future__ import annotations

from pathlib import Path

from ..canvas import CanvasClient, CanvasError
from ..canvas.models import Attachment, MediaComment
from .media import kind_of, media_file_name
from .ports import Reports
from .text import one_line


async def download(client: CanvasClient, item: Attachment | MediaComment, folder: Path,
                   report: Reports) -> Path | None:
    """Save an attachment (under the server's name) or a media comment (under its own) in
    ``folder``; None, with the reason on the status bar, when it cannot be."""
    if isinstance(item, MediaComment):
        if not item.url:
            name = one_line(item.display_name or "")
            report.fail(ValueError(f"Canvas gave no download link for the {kind_of(item)} comment"
                                   + (f" “{name}”" if name else "") + ": play it in Canvas in a browser."))
            return None
        url, name = item.url, media_file_name(item)
    else:
        if not item.url:
            report.fail(ValueError(f"{item.display_name} has no download link."))
            return None
        url, name = item.url, None
    try:
        return await client.download(url, folder, name=name)
    except (CanvasError, OSError) as error:
        report.fail(error)
        return None
