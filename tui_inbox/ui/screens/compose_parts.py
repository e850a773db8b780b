"""What the composer shows of a draft around the fields: its title, who an answer reaches, the
courses it can be about, and what it answers or carries. Server strings are shown as ``Text``."""

from __future__ import annotations

from typing import Callable

from rich.text import Text

from ...canvas.models import Conversation
from ...inbox.compose import Draft
from ...inbox.discussion_post import answered_post
from ...inbox.recipient_rules import answering, reply_goes_to
from ...inbox.session import InboxSession
from ...inbox.text import one_line
from ..widgets.compose_context import ComposeContext, forward_context, post_context, reply_context


def title_text(draft: Draft, account: str | None = None) -> Text:
    """The composer's first line: what is written (and to what); with several accounts, which one
    it goes from ("from river"), since a message sent from the wrong school cannot be taken back."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(draft.title, style="bold")
    if account:
        text.append(f"  from {account}", style="bold")
    if draft.kind in ("reply", "reply_all", "add_people", "discussion_reply"):
        subject = one_line(draft.subject)
        text.append("  ·  ")
        text.append(subject or "(no subject)")
    return text


def reply_summary(draft: Draft, current: Conversation | None, me_id: int | None) -> Text:
    """Who an answer goes to, in place of To: Canvas sends it to the conversation's participants."""
    who, why = reply_goes_to(draft, current, me_id)
    text = Text()
    text.append(who, style="bold")
    text.append(why, style="dim")
    return text


def context_options(draft: Draft, session: InboxSession) -> list[tuple[Text, str]]:
    """The courses and groups a new message can be about, for the Course field."""
    options: list[tuple[Text, str]] = []
    for course in session.courses:
        label = Text(one_line(course.course_code) or one_line(course.name))
        if course.course_code and course.name:
            label.append(f"  {one_line(course.name)}", style="dim")
        options.append((label, course.context_code))
    for group in session.groups:
        label = Text(one_line(group.name))
        label.append("  group", style="dim")
        options.append((label, group.context_code))
    code = draft.context_code
    if code and code not in {value for _, value in options}:
        options.append((Text(one_line(code)), code))  # a course we were not told about: keep it choosable
    return options


def context_widget(draft: Draft, session: InboxSession) -> ComposeContext | None:
    """What is answered or forwarded, shown above the body: the thread, or the messages carried."""
    kind = draft.kind
    if kind == "discussion_reply":  # public: the post answered stays in view while writing
        post = answered_post(session.activity, draft)
        if post is None:
            return None
        return ComposeContext(post_context(post), "The topic you answer" if post.is_topic else "The post you answer",
                              id="context")
    if kind not in ("reply", "reply_all", "forward"):
        return None
    conversation = answering(draft, session.current)
    if conversation is not None and kind == "forward":
        return ComposeContext(forward_context(conversation, draft.forward_message_ids),
                              "What the forward carries", id="context", classes="one-line-each")
    if conversation is not None:
        return ComposeContext(reply_context(conversation), "The conversation, newest last", id="context")
    row = session.row(draft.conversation_id) if draft.conversation_id is not None else None
    if row is None or not row.last_message:
        return None
    text = Text()
    text.append(one_line(row.last_message))
    text.append("\n(the latest message; open the conversation to see all of it here)", style="dim")
    return ComposeContext(text, "The conversation", id="context")


def keys_text(draft: Draft, key_of: Callable[[str], str], *, can_quote: bool, can_discard: bool) -> Text:
    """The keys in force, shortest first; the list ones only when there is something to take off."""
    shown = [(key_of("send"), "add them" if draft.kind == "add_people" else "send"),
             (key_of("close_composer"), "close (draft kept)")]
    if draft.needs_body:
        shown.append((key_of("editor"), "$EDITOR"))
    if draft.kind in ("reply", "reply_all") and can_quote:
        shown.append((key_of("quote"), "quote"))
    if draft.needs_recipients and draft.to:
        shown.append((key_of("clear_to"), "clear To"))
    if draft.needs_body and draft.attachments:
        shown.append((key_of("drop_attachment"), "drop last attachment"))
    if can_discard:
        shown.append((key_of("discard_draft"), "discard"))
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (key, what) in enumerate(shown):
        if index:
            text.append("   ")
        text.append(key, style="bold")
        text.append(f" {what}")
    return text
