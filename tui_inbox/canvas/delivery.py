"""Sending a message exactly once over an unreliable network.

A POST that creates a message cannot simply be retried: if the server got it but the
answer was lost (a 500 after the work, a dropped connection, a timeout), sending again
posts it twice. So when the outcome is unknown, we ask Canvas whether the message is
there (by author, exact body, and newer than what we knew) and send again only if it
is not. If even that cannot be established, the caller gets ``UncertainDelivery`` and
keeps the text: the user decides, nothing is lost and nothing is doubled.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, TypeVar

from .errors import CanvasError, NetworkError, ServerError, UncertainDelivery
from .http import retry_listener
from .models import Conversation, Message

if TYPE_CHECKING:
    from .client import CanvasClient, Created

T = TypeVar("T")
# Clocks of client and server differ; a message of ours is looked for this far back.
CLOCK_SLACK = timedelta(minutes=10)
ATTEMPTS = 4


def _unknown_outcome(error: CanvasError) -> bool:
    """Did the request perhaps reach Canvas? Then its effect must be checked before resending."""
    if isinstance(error, NetworkError):
        return error.sent
    return isinstance(error, ServerError)


def _same(message: Message, author_id: int, body: str, since_id: int | None, since: datetime) -> bool:
    if message.author_id != author_id or message.generated or message.body != body:
        return False
    if since_id is not None:
        return message.id > since_id
    return message.created_at is None or message.created_at >= since


async def _pause(client: "CanvasClient", attempt: int) -> None:
    await client.http.backoff(attempt)


async def _deliver(client: "CanvasClient", send: Callable[[], Awaitable[T]],
                   look: Callable[[], Awaitable[T | None]]) -> T:
    """Send; when the outcome is unknown, look for the message before sending again."""
    last_error: CanvasError | None = None
    for attempt in range(ATTEMPTS):
        try:
            return await send()
        except CanvasError as error:
            if not _unknown_outcome(error):
                raise
            last_error = error
        if attempt + 1 < ATTEMPTS:
            listener = retry_listener.get()
            if listener is not None:  # the user hears "retrying", not a failure, while it goes on
                listener(attempt + 2, ATTEMPTS, last_error)
        await _pause(client, attempt)
        found = await look()
        if found is not None:
            return found
    raise UncertainDelivery(
        f"Could not send the message ({last_error}); it was not delivered as far as Canvas shows. "
        "Your text is kept: try again."
    )


async def _ask(client: "CanvasClient", request: Callable[[], Awaitable[T]], where: str) -> T:
    """A read made to settle a delivery, asked again on 5xx and network trouble."""
    for attempt in range(ATTEMPTS):
        try:
            return await request()
        except CanvasError as error:
            if isinstance(error, (NetworkError, ServerError)) and attempt + 1 < ATTEMPTS:
                await _pause(client, attempt)
                continue
            raise UncertainDelivery(
                f"The message may or may not have been sent, and Canvas cannot be asked right now ({error}). "
                f"Your text is kept: check {where} before sending again."
            ) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


async def send_reply(
    client: "CanvasClient",
    conversation_id: int,
    body: str,
    *,
    author_id: int,
    since_message_id: int | None = None,
    **options: Any,
) -> Conversation:
    """``add_message`` that neither loses nor doubles the message. ``since_message_id``:
    the newest message id the caller has seen in this conversation (sharpens the check)."""
    since = datetime.now(timezone.utc) - CLOCK_SLACK

    async def look() -> Conversation | None:
        conversation = await _ask(
            client, lambda: client.get_conversation(conversation_id, auto_mark_as_read=False), "the conversation")
        for message in conversation.messages or []:
            if _same(message, author_id, body, since_message_id, since):
                conversation.messages = [message]
                return conversation
        return None

    return await _deliver(client, lambda: client.add_message(conversation_id, body, **options), look)


async def send_new(
    client: "CanvasClient",
    recipients: Iterable[str | int],
    body: str,
    *,
    author_id: int,
    **options: Any,
) -> "Created":
    """``create_conversation`` that neither loses nor doubles the message.

    A new conversation shows under the sender's ``sent`` scope at once (canvas-api.md,
    trap 1), so that is where an unconfirmed one is looked for.
    """
    from .client import Created

    recipients = list(recipients)
    since = datetime.now(timezone.utc) - CLOCK_SLACK
    # An async send lands as a batch that makes its conversations one by one, so right after
    # a lost answer Sent may hold none of them yet: the running batches are asked first. Those
    # running before this send are known, so an earlier send of the same text is not taken for it.
    is_async = options.get("mode") == "async"
    before: set[int] = set()
    if is_async:
        before = {b.id for b in await client.get_running_batches()}  # nothing is sent yet if this fails

    async def look() -> Created | None:
        if is_async:
            running = await _ask(client, client.get_running_batches, "Sent")
            for batch in running:
                message = batch.message
                if (batch.id not in before and message is not None and message.body == body
                        and message.author_id in (author_id, None)):
                    return Created([], batch.id)
        recent = await _ask(
            client, lambda: client.get_conversations_page("sent", per_page=max(20, len(recipients) * 2)), "Sent")
        mine = [
            c for c in recent
            if _is_preview_of(c.last_authored_message, body)
            and (c.last_authored_message_at is None or c.last_authored_message_at >= since)
        ]
        return Created(mine) if mine else None

    return await _deliver(client, lambda: client.create_conversation(recipients, body, **options), look)


def _is_preview_of(preview: str | None, body: str) -> bool:
    """Canvas lists at most 100 characters of a message: a longer body as its first 97 and
    "..." (CanvasTextHelper.truncate_text); the sandbox cuts at 100. Either is ours."""
    if preview is None:
        return False
    if len(body) <= 100:
        return preview == body
    return preview in (body[:100], body[:97] + "...")
