"""What happens when someone writes: the store changes and the live events go out.

The API handlers and the simulated activity both go through these functions, so a
message from either emits exactly the events real Canvas would, to exactly the
participants who may see them.
"""

from __future__ import annotations

from typing import Iterable

from .context_tags import named_contexts, tags_for
from .conversations import Conversation, Message
from .events import Origin, conversation_created, conversation_forwarded, conversation_message_created
from .state import SandboxState


def conversation_tags(state: SandboxState, sender_id: int, recipient_ids: list[int], context_code: str | None,
                      *, private: bool = False, named: Iterable[str] = ()) -> dict[int, set[str]]:
    """The course and group tags each participant files a new conversation under (``filter[]``):
    the contexts the message names, else those most participants share (context_tags.py)."""
    members = list(dict.fromkeys([sender_id, *recipient_ids]))
    world = state.world
    return tags_for(world, members, private, named_contexts(world, [context_code, *named]))


def added_text(state: SandboxState, user_ids: list[int], actor_id: int) -> str:
    """ "X was added to the conversation by Y" / "X, Y, and Z were added ..." (short names)."""
    names = [state.world.users[u].short_name for u in user_ids]
    actor = state.world.users[actor_id].short_name
    if len(names) == 1:
        return f"{names[0]} was added to the conversation by {actor}"
    listed = ", ".join(names[:-1]) + (", and " if len(names) > 2 else " and ") + names[-1]
    return f"{listed} were added to the conversation by {actor}"


def post_message(
    state: SandboxState,
    origin: Origin,
    conversation: Conversation,
    author_id: int,
    body: str,
    *,
    recipient_ids: list[int] | None = None,
    generated: bool = False,
    attachment_ids: tuple[int, ...] = (),
    media_comment: dict | None = None,
    forwarded: tuple[Message, ...] = (),
    update_for_sender: bool = True,
) -> Message:
    message = state.conversations.add_message(
        conversation,
        author_id,
        body,
        recipient_ids=recipient_ids,
        generated=generated,
        attachment_ids=attachment_ids,
        media_comment=media_comment,
        forwarded=forwarded,
        update_for_sender=update_for_sender,
    )
    receivers = [uid for uid, p in conversation.participants.items() if p.messages and p.messages[-1] is message]
    state.hub.publish(
        conversation_message_created(origin, state.now(), conversation.id, message.id, author_id, message.created_at),
        receivers,
    )
    return message


def start_conversation(
    state: SandboxState,
    origin: Origin,
    sender_id: int,
    recipient_ids: list[int],
    subject: str | None,
    body: str,
    *,
    private: bool,
    context_code: str | None = None,
    reuse: bool = True,
    attachment_ids: tuple[int, ...] = (),
    media_comment: dict | None = None,
    forwarded: tuple[Message, ...] = (),
    named: Iterable[str] = (),
) -> tuple[Conversation, Message]:
    """Create (or, for a private pair, reuse) a conversation and post its first message.

    As in Canvas the sender's own view is not updated: a new conversation is absent
    from the sender's inbox and shows under ``sent``.
    """
    tags = conversation_tags(state, sender_id, recipient_ids, context_code, private=private, named=named)
    conversation, is_new = state.conversations.start(
        sender_id, recipient_ids, subject, private=private, context_code=context_code, tags=tags, reuse=reuse
    )
    if is_new:
        # As in Canvas, the conversation exists (and is announced) before its first message.
        event = conversation_created(origin, state.now(), conversation.id, conversation.created_at)
        state.hub.publish(event, list(conversation.participants))
    message = post_message(
        state, origin, conversation, sender_id, body,
        attachment_ids=attachment_ids, media_comment=media_comment, forwarded=forwarded,
        update_for_sender=False,
    )
    return conversation, message


def add_people(
    state: SandboxState, origin: Origin, conversation: Conversation, actor_id: int, user_ids: list[int],
    *, with_history: bool = True,
) -> Message | None:
    """Add participants to a group conversation: ``conversation_forwarded``, and with the
    history (``add_recipients``) a generated "X was added" message."""
    new = [uid for uid in dict.fromkeys(user_ids) if uid not in conversation.participants]
    if not new:
        return None
    text = added_text(state, new, actor_id)
    message = state.conversations.add_participants(conversation, actor_id, new, text, with_history=with_history)
    # Newcomers file it under what most participants now share (Conversation#infer_new_tags_for).
    everyone = list(conversation.participants)
    tags = tags_for(state.world, everyone, conversation.private, set())
    state.conversations.file_under(conversation, {uid: tags[uid] for uid in new})
    event = conversation_forwarded(origin, state.now(), conversation.id, conversation.updated_at)
    state.hub.publish(event, list(conversation.participants))
    if message is not None:
        state.hub.publish(
            conversation_message_created(origin, state.now(), conversation.id, message.id, actor_id, message.created_at),
            list(conversation.participants),
        )
    return message
