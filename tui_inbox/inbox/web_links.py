"""Where a conversation or a discussion lives in Canvas's own web interface.

The web Inbox answers ``/conversations/<id>`` with that conversation open (the link of
Canvas's message notifications). A discussion topic carries its page as ``html_url``; when
the topic was not fetched, the page is ``/<courses|groups>/<id>/discussion_topics/<id>``,
and an entry is named with ``?entry_id=``, which Canvas's discussion page scrolls to.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def conversation_url(base_url: str, conversation_id: int) -> str:
    return f"{base_url.rstrip('/')}/conversations/{conversation_id}"


def context_path(context_code: str) -> str | None:
    """``course_12`` -> ``courses/12``; ``group_3`` -> ``groups/3``; None for anything else."""
    kind, _, number = context_code.partition("_")
    if kind in ("course", "group") and number.isdigit():
        return f"{kind}s/{number}"
    return None


def discussion_url(base_url: str, context_code: str, topic_id: int, *, html_url: str | None = None,
                   entry_id: int | None = None) -> str | None:
    """The topic's page (at the entry, if one is named), or None when the context is unknown."""
    page = html_url
    if not page:
        path = context_path(context_code)
        if path is None:
            return None
        page = f"{base_url.rstrip('/')}/{path}/discussion_topics/{topic_id}"
    if entry_id is None:
        return page
    parts = urlsplit(page)
    query = f"{parts.query}&entry_id={entry_id}" if parts.query else f"entry_id={entry_id}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
