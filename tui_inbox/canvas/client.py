"""The async Canvas client: every Conversations endpoint, and the rest an inbox needs.

Method names follow canvasapi's where they exist (the vocabulary Canvas scripters
know). Parameters are sent as Canvas expects them (``recipients[]``, ``conversation[starred]``).
Writes that create messages go through ``delivery.py`` so that a message is neither lost
nor sent twice; bulk changes through ``bulk.py``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Sequence

from .lazy_httpx import httpx

from . import pagination, rows
from .errors import ServerError
from .inbox_settings import InboxSettings, InboxSwitches, get_inbox_settings, get_switches, update_inbox_settings
from .http import MAX_BODY, MAX_DOWNLOAD, MAX_PAGES, CanvasHTTP, RetryPolicy, expect_list, parse_json
from .models import (Batch, Conversation, Course, DiscussionEntry, DiscussionTopic, DiscussionView, FileInfo, Group,
                     Progress, Recipient, User)
from .origins import where
from .parsing import as_id, as_int
from .sharing import Shared

Params = list[tuple[str, Any]]
BATCH_EVENTS = ("mark_as_read", "mark_as_unread", "star", "unstar", "archive", "destroy")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _view_params(scope: str | None, filters: Sequence[str] | None, filter_mode: str | None) -> Params:
    """The scope/filter parameters that decide ``visible`` in create and update answers."""
    params: Params = []
    if scope:
        params.append(("scope", scope))
    for tag in filters or ():
        params.append(("filter[]", tag))
    if filter_mode:
        params.append(("filter_mode", filter_mode))
    return params


@dataclass(slots=True)
class Created:
    """What ``POST /conversations`` gave: conversations, or (``mode=async``) a batch id to follow."""

    conversations: list[Conversation]
    batch_id: int | None = None


class CanvasClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        sleep=None,
        deadline: float = 60.0,
        max_body: int = MAX_BODY,
        download_deadline: float = 1800.0,
        max_download: int = MAX_DOWNLOAD,
        max_pages: int = MAX_PAGES,
        string_ids: bool = False,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """``timeout`` bounds each read, ``deadline`` each whole exchange; see CanvasHTTP for the limits.
        ``string_ids`` asks Canvas for every id as a string (as its JavaScript clients do); the models read both.
        ``client`` is a shared httpx client (its owner closes it), see CanvasHTTP."""
        kwargs = {"sleep": sleep} if sleep is not None else {}
        self.http = CanvasHTTP(base_url, token, transport=transport, timeout=timeout, concurrency=concurrency,
                               retry=retry, deadline=deadline, max_body=max_body, download_deadline=download_deadline,
                               max_download=max_download, max_pages=max_pages, string_ids=string_ids, client=client, **kwargs)

        # Told the one line an answer's left-out rows make (rows.py): the session shows it.
        self._skipped_listeners: list[Callable[[str], None]] = []

    def __repr__(self) -> str:
        return f"CanvasClient(base_url={self.http.base_text!r}, token=***)"

    def on_skipped(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(line)`` when an answer had items that cannot be rows (a bad id), left
        out; returns the function that stops it."""
        self._skipped_listeners.append(listener)
        return lambda: self._skipped_listeners.remove(listener) if listener in self._skipped_listeners else None

    def _said(self, left_out: rows.LeftOut, path: str) -> None:
        rows.said(left_out, f"{where(self.http.base_url)}{path}", self._skipped_listeners)

    def _conversation(self, data: Any, path: str) -> Conversation:
        """One conversation answered alone: a bad id is the error; its bad messages are left out."""
        left_out = rows.LeftOut()
        found = Conversation.from_json(data, left_out=left_out)
        self._said(left_out, path)
        return found

    @property
    def base_url(self) -> str:
        return str(self.http.base_url)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> "CanvasClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    # -- conversations: reading ---------------------------------------------------------
    def _index_params(self, scope, filters, filter_mode, include_avatars, per_page) -> Params:
        params = _view_params(scope, filters, filter_mode)
        if include_avatars:
            params.append(("include[]", "participant_avatars"))
        if per_page:
            params.append(("per_page", str(per_page)))
        return params

    def get_conversations(
        self,
        scope: str | None = None,
        filters: Sequence[str] | None = None,
        filter_mode: str | None = None,
        *,
        include_avatars: bool = False,
        per_page: int | None = 100,
    ) -> AsyncIterator[Conversation]:
        """Every conversation in a scope, page after page, newest first."""
        params = self._index_params(scope, filters, filter_mode, include_avatars, per_page)

        async def run() -> AsyncIterator[Conversation]:
            shared, left_out = Shared(), rows.LeftOut()
            try:
                async for item in pagination.iterate(self.http, "/api/v1/conversations", params):
                    row = rows.one(item, lambda data: Conversation.from_json(data, shared, left_out), "conversation",
                                   left_out)
                    if row is not None:
                        yield row
            finally:
                self._said(left_out, "/api/v1/conversations")

        return run()

    async def get_conversations_page(
        self, scope: str | None = None, filters: Sequence[str] | None = None, filter_mode: str | None = None,
        *, page: int = 1, per_page: int = 50,
    ) -> list[Conversation]:
        params = self._index_params(scope, filters, filter_mode, False, per_page) + [("page", str(page))]
        shared, left_out = Shared(), rows.LeftOut()
        items = await self.http.json_list("GET", "/api/v1/conversations", params=params)
        found = rows.usable(items, lambda data: Conversation.from_json(data, shared, left_out), "conversation", left_out)
        self._said(left_out, "/api/v1/conversations")
        return found

    async def load_conversations(
        self,
        scope: str | None = None,
        filters: Sequence[str] | None = None,
        filter_mode: str | None = None,
        *,
        per_page: int = 100,
        on_page: Callable[[int, int | None], None] | None = None,
    ) -> list[Conversation]:
        """A whole scope at once: the pages after the first are fetched concurrently, in order.
        The rows share one object per repeated value (people, audiences, states: see sharing.py),
        and each page is parsed into rows as it arrives."""
        params = self._index_params(scope, filters, filter_mode, False, per_page)
        shared, left_out = Shared(), rows.LeftOut()
        found = await pagination.fetch_all(
            self.http, "/api/v1/conversations", params, on_page=on_page,
            convert=lambda item: rows.one(item, lambda data: Conversation.from_json(data, shared, left_out),
                                          "conversation", left_out))
        self._said(left_out, "/api/v1/conversations")
        return [row for row in found if row is not None]

    async def conversation_ids(
        self, scope: str | None = None, filters: Sequence[str] | None = None, filter_mode: str | None = None
    ) -> list[int]:
        """Ids of every conversation in a scope in one request (``include_all_conversation_ids``)."""
        params = _view_params(scope, filters, filter_mode) + [("include_all_conversation_ids", "true"), ("per_page", "1")]
        response = await self.http.request("GET", "/api/v1/conversations", params=params)
        body = parse_json(response)
        ids = expect_list(body.get("conversation_ids") if isinstance(body, dict) else body, response)
        # Numbers or digits (string ids) are ids, or bad ones left out as their rows are; anything
        # else means the answer is not an id list at all, and reading none would empty the view.
        wrong = next((v for v in ids if v is not None and not isinstance(v, (int, str))), None)
        if wrong is not None:
            raise ServerError(f"Canvas sent {rows.kind_of(wrong)} where a conversation id was expected "
                              f"({where(response.url)}{response.url.path}); a proxy or a broken server may be in the way.")
        left_out, found = rows.LeftOut(), []
        for value in ids:
            cid = as_id(value)
            if cid is None:
                left_out.add("conversation", value)
            else:
                found.append(cid)
        self._said(left_out, "/api/v1/conversations")
        return found

    async def get_conversation(
        self, conversation_id: int, *, auto_mark_as_read: bool = True, scope: str | None = None,
        filters: Sequence[str] | None = None, filter_mode: str | None = None, as_user_id: int | str | None = None,
    ) -> Conversation:
        """``as_user_id``: answered as that user (an admin token's masquerade); pass ``auto_mark_as_read=False``
        with it, or reading the conversation marks it read for them."""
        # Sent explicitly both ways: Canvas says the default will change (seed 002).
        params = _view_params(scope, filters, filter_mode) + [("auto_mark_as_read", _bool(auto_mark_as_read))]
        if as_user_id is not None:
            params.append(("as_user_id", str(as_user_id)))
        path = f"/api/v1/conversations/{int(conversation_id)}"
        response = await self.http.request("GET", path, params=params)
        # Canvas sends every message of the conversation in this one answer (it has no paging for
        # them): read in pieces, but parsed in a thread, so that 20,000 messages (5.5 MB, 0.2 s to
        # parse) never hold the event loop and the keys waiting on it. What was left out is said here.
        left_out = rows.LeftOut()
        found = await asyncio.to_thread(_conversation_of, response, left_out)
        self._said(left_out, path)
        return found

    async def unread_count(self) -> int:
        body = await self.http.json("GET", "/api/v1/conversations/unread_count")
        return as_int(body.get("unread_count") if isinstance(body, dict) else None, 0) or 0

    async def get_running_batches(self) -> list[Batch]:
        return [Batch.from_json(b) for b in await self.http.json_list("GET", "/api/v1/conversations/batches")]

    # -- conversations: writing ---------------------------------------------------------
    async def create_conversation(
        self,
        recipients: Iterable[str | int],
        body: str,
        *,
        subject: str | None = None,
        group_conversation: bool = False,
        bulk_message: bool = False,
        force_new: bool = False,
        attachment_ids: Iterable[int] = (),
        media_comment_id: str | None = None,
        media_comment_type: str | None = None,
        mode: str | None = None,
        context_code: str | None = None,
        forwarded_message_ids: Iterable[int] = (),
        scope: str | None = None,
        filters: Sequence[str] | None = None,
        filter_mode: str | None = None,
    ) -> Created:
        """One raw ``POST /conversations`` (never retried blindly: see delivery.py)."""
        data: Params = [("recipients[]", str(r)) for r in recipients]
        data.append(("body", body))
        if subject is not None:
            data.append(("subject", subject))
        if group_conversation:
            data.append(("group_conversation", "true"))
        if bulk_message:
            data.append(("bulk_message", "true"))
        if force_new:
            data.append(("force_new", "true"))
        data += [("attachment_ids[]", str(a)) for a in attachment_ids]
        data += [("forwarded_message_ids[]", str(m)) for m in forwarded_message_ids]
        if media_comment_id:
            data += [("media_comment_id", media_comment_id), ("media_comment_type", media_comment_type or "video")]
        if mode:
            data.append(("mode", mode))
        if context_code:
            data.append(("context_code", context_code))
        data += _view_params(scope, filters, filter_mode)
        response = await self.http.request("POST", "/api/v1/conversations", data=data)
        batch = response.headers.get("X-Conversation-Batch-Id")
        made = parse_json(response)
        made = [] if made is None else expect_list(made, response)  # an async send may answer nothing
        left_out = rows.LeftOut()
        created = rows.usable(made, lambda data: Conversation.from_json(data, left_out=left_out), "conversation",
                              left_out)
        self._said(left_out, "/api/v1/conversations")
        return Created(created, as_int(batch))

    async def add_message(
        self,
        conversation_id: int,
        body: str,
        *,
        attachment_ids: Iterable[int] = (),
        media_comment_id: str | None = None,
        media_comment_type: str | None = None,
        recipients: Iterable[str | int] | None = None,
        included_messages: Iterable[int] = (),
        forwarded_message_ids: Iterable[int] = (),
    ) -> Conversation:
        """One raw ``add_message`` (never retried blindly: see delivery.py)."""
        data: Params = [("body", body)]
        data += [("attachment_ids[]", str(a)) for a in attachment_ids]
        if media_comment_id:
            data += [("media_comment_id", media_comment_id), ("media_comment_type", media_comment_type or "video")]
        if recipients is not None:
            data += [("recipients[]", str(r)) for r in recipients]
        data += [("included_messages[]", str(m)) for m in included_messages]
        data += [("forwarded_message_ids[]", str(m)) for m in forwarded_message_ids]
        path = f"/api/v1/conversations/{int(conversation_id)}/add_message"
        answer = await self.http.json("POST", path, data=data)
        if isinstance(answer, list) and not answer:
            answer = {"id": int(conversation_id)}  # 202 ``[]``: Canvas deferred it (a large conversation)
        return self._conversation(answer, path)

    async def add_recipients(self, conversation_id: int, recipients: Iterable[str | int]) -> Conversation:
        data = [("recipients[]", str(r)) for r in recipients]
        # Adding the same people twice changes nothing, so a retry is harmless.
        path = f"/api/v1/conversations/{int(conversation_id)}/add_recipients"
        return self._conversation(await self.http.json("POST", path, data=data, retry=True), path)

    async def remove_messages(self, conversation_id: int, message_ids: Iterable[int]) -> Conversation:
        data = [("remove[]", str(m)) for m in message_ids]
        path = f"/api/v1/conversations/{int(conversation_id)}/remove_messages"
        return self._conversation(await self.http.json("POST", path, data=data, retry=True), path)

    async def update_conversation(
        self,
        conversation_id: int,
        *,
        workflow_state: str | None = None,
        starred: bool | None = None,
        subscribed: bool | None = None,
        scope: str | None = None,
        filters: Sequence[str] | None = None,
        filter_mode: str | None = None,
    ) -> Conversation:
        data: Params = []
        if workflow_state is not None:
            data.append(("conversation[workflow_state]", workflow_state))
        if starred is not None:
            data.append(("conversation[starred]", _bool(starred)))
        if subscribed is not None:
            data.append(("conversation[subscribed]", _bool(subscribed)))
        data += _view_params(scope, filters, filter_mode)
        path = f"/api/v1/conversations/{int(conversation_id)}"
        return self._conversation(await self.http.json("PUT", path, data=data), path)

    async def delete_conversation(self, conversation_id: int) -> Conversation:
        path = f"/api/v1/conversations/{int(conversation_id)}"
        return self._conversation(await self.http.json("DELETE", path), path)

    async def mark_all_as_read(self) -> None:
        # Marking read twice is the same as once: safe to retry.
        await self.http.request("POST", "/api/v1/conversations/mark_all_as_read", retry=True)

    async def batch_update_request(self, conversation_ids: Sequence[int], event: str) -> Progress:
        """One ``PUT /conversations`` of at most 500 ids; see bulk.py for any number."""
        if event not in BATCH_EVENTS:
            raise ValueError(f"unknown batch event {event!r}")
        if not 0 < len(conversation_ids) <= 500:
            raise ValueError("a batch update takes 1 to 500 conversation ids")
        data = [("conversation_ids[]", str(i)) for i in conversation_ids] + [("event", event)]
        return Progress.from_json(await self.http.json("PUT", "/api/v1/conversations", data=data))

    async def batch_update(self, conversation_ids: Sequence[int], event: str, *, concurrency: int = 3,
                           on_progress=None):
        """Any number of ids: chunks of 500 sent concurrently, each Progress followed (bulk.py)."""
        from .bulk import batch_update

        return await batch_update(self, conversation_ids, event, concurrency=concurrency, on_progress=on_progress)

    async def send_reply(self, conversation_id: int, body: str, *, author_id: int, since_message_id: int | None = None,
                         **options: Any) -> Conversation:
        """Reply exactly once even when the network fails after the request left (delivery.py)."""
        from .delivery import send_reply

        return await send_reply(self, conversation_id, body, author_id=author_id,
                                since_message_id=since_message_id, **options)

    async def send_new(self, recipients: Iterable[str | int], body: str, *, author_id: int, **options: Any) -> Created:
        """Start a conversation exactly once even when the network fails (delivery.py)."""
        from .delivery import send_new

        return await send_new(self, recipients, body, author_id=author_id, **options)

    async def get_progress(self, progress_id: int) -> Progress:
        return Progress.from_json(await self.http.json("GET", f"/api/v1/progress/{int(progress_id)}"))

    async def cancel_progress(self, progress_id: int) -> Progress:
        return Progress.from_json(await self.http.json("POST", f"/api/v1/progress/{int(progress_id)}/cancel", retry=True))

    # -- people and places ----------------------------------------------------------------
    async def search_recipients(
        self,
        search: str | None = None,
        *,
        context: str | None = None,
        exclude: Iterable[str] = (),
        type: str | None = None,
        user_id: int | str | None = None,
        from_conversation_id: int | None = None,
        permissions: Iterable[str] = (),
        synthetic_contexts: bool = False,
        per_page: int | None = None,
    ) -> list[Recipient]:
        params: Params = []
        if search is not None:
            params.append(("search", search))
        if context:
            params.append(("context", context))
        params += [("exclude[]", str(e)) for e in exclude]
        if type:
            params.append(("type", type))
        if user_id is not None:
            params.append(("user_id", str(user_id)))
        if from_conversation_id is not None:
            params.append(("from_conversation_id", str(from_conversation_id)))
        params += [("permissions[]", p) for p in permissions]
        if synthetic_contexts:
            params.append(("synthetic_contexts", "true"))
        if per_page:
            params.append(("per_page", str(per_page)))
        body = await self.http.json_list("GET", "/api/v1/search/recipients", params=params)
        return [Recipient.from_json(r) for r in body]

    async def find_recipients(self, search: str | None = None, **kwargs) -> list[Recipient]:
        """The deprecated ``/conversations/find_recipients``; same answer as search_recipients."""
        params: Params = [("search", search)] if search is not None else []
        params += [(k, str(v)) for k, v in kwargs.items() if v is not None]
        body = await self.http.json_list("GET", "/api/v1/conversations/find_recipients", params=params)
        return [Recipient.from_json(r) for r in body]

    async def get_self(self) -> User:
        return User.from_json(await self.http.json("GET", "/api/v1/users/self"))

    # -- Inbox Settings (inbox_settings.py) ------------------------------------------------------
    async def get_inbox_switches(self) -> InboxSwitches:
        return await get_switches(self.http)

    async def get_inbox_settings(self) -> InboxSettings:
        return await get_inbox_settings(self.http)

    async def update_inbox_settings(self, settings: InboxSettings) -> InboxSettings:
        return await update_inbox_settings(self.http, settings)

    async def get_courses(self, *, enrollment_state: str | None = None, include: tuple[str, ...] = ()) -> list[Course]:
        """The user's courses; ``enrollment_state="active"`` leaves out concluded and invited ones."""
        params: Params = [("per_page", "100")]
        if enrollment_state:
            params.append(("enrollment_state", enrollment_state))
        params += [("include[]", name) for name in include]
        items = await pagination.fetch_all(self.http, "/api/v1/courses", params)
        return [Course.from_json(c) for c in items]

    async def get_groups(self) -> list[Group]:
        items = await pagination.fetch_all(self.http, "/api/v1/users/self/groups", [("per_page", "100")])
        return [Group.from_json(g) for g in items]

    async def get_group(self, group_id: int) -> Group:
        return Group.from_json(await self.http.json("GET", f"/api/v1/groups/{int(group_id)}"))

    # -- files ------------------------------------------------------------------------------
    async def upload_attachment(self, path: str | Path, *, name: str | None = None,
                                content_type: str | None = None) -> FileInfo:
        from .uploads import upload_file

        return await upload_file(self.http, Path(path), name=name, content_type=content_type)

    async def download(self, url: str, folder: str | Path, *, name: str | None = None) -> Path:
        """Save a file into ``folder`` (made if missing) under the server's name (or ``name``), never
        overwriting: a taken name becomes ``report (1).pdf``. Returns where it was saved."""
        from .uploads import download_file

        return await download_file(self.http, url, Path(folder), name=name)

    # -- discussions ----------------------------------------------------------------------
    @staticmethod
    def _context_path(context_code: str) -> str:
        kind, _, number = context_code.partition("_")
        if kind not in ("course", "group") or not number.isdigit():
            raise ValueError(f"not a course or group code: {context_code!r}")
        return f"/api/v1/{kind}s/{number}"

    async def get_discussion_topics(self, context_code: str, *, only_announcements: bool = False,
                                    per_page: int = 50) -> list[DiscussionTopic]:
        params: Params = [("per_page", str(per_page))]
        if only_announcements:
            params.append(("only_announcements", "true"))
        body = await self.http.json_list("GET", f"{self._context_path(context_code)}/discussion_topics", params=params)
        return [DiscussionTopic.from_json(t) for t in body]

    async def get_discussion_topic(self, context_code: str, topic_id: int, *,
                                   include: tuple[str, ...] = ()) -> DiscussionTopic:
        return DiscussionTopic.from_json(await self.http.json(
            "GET", f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}",
            params=[("include[]", name) for name in include] or None))

    async def get_discussion_view(self, context_code: str, topic_id: int) -> DiscussionView:
        return DiscussionView.from_json(await self.http.json(
            "GET", f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}/view",
            params=[("include_new_entries", "1")]))

    async def get_discussion_entries(self, context_code: str, topic_id: int) -> list[DiscussionEntry]:
        items = await pagination.fetch_all(
            self.http, f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}/entries",
            [("per_page", "50")])
        return [DiscussionEntry.from_json(e) for e in items]

    async def get_entry_replies(self, context_code: str, topic_id: int, entry_id: int) -> list[DiscussionEntry]:
        items = await pagination.fetch_all(
            self.http,
            f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}/entries/{int(entry_id)}/replies",
            [("per_page", "50")])
        return [DiscussionEntry.from_json(e) for e in items]

    async def post_discussion_entry(self, context_code: str, topic_id: int, message: str) -> DiscussionEntry:
        return DiscussionEntry.from_json(await self.http.json(
            "POST", f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}/entries",
            data={"message": message}))

    async def post_entry_reply(self, context_code: str, topic_id: int, entry_id: int, message: str) -> DiscussionEntry:
        return DiscussionEntry.from_json(await self.http.json(
            "POST",
            f"{self._context_path(context_code)}/discussion_topics/{int(topic_id)}/entries/{int(entry_id)}/replies",
            data={"message": message}))

    async def get_announcements(self, context_codes: Iterable[str], *, per_page: int = 50) -> list[DiscussionTopic]:
        params: Params = [("context_codes[]", c) for c in context_codes] + [("per_page", str(per_page))]
        body = await self.http.json_list("GET", "/api/v1/announcements", params=params)
        return [DiscussionTopic.from_json(t) for t in body]


def _conversation_of(response: httpx.Response, left_out: "rows.LeftOut") -> Conversation:
    """One conversation answered alone: a bad id is the error; its bad messages are left out."""
    return Conversation.from_json(parse_json(response), left_out=left_out)
