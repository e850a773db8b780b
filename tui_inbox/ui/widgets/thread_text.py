"""The thread's text: the header, each message, a discussion's entries, as ``rich.text.Text``.

Kept apart from the widget (thread_view.py) that lays them out. Every string from the server goes
in as plain text: markup in it is shown, not run.
"""

from __future__ import annotations

from rich.text import Text

from ...canvas.models import Conversation, Message
from ...inbox.formatting import formal_name, full_date, human_size, with_pronouns
from ...inbox.text import clean, html_to_text, one_line
from ...inbox.thread import ThreadItem


def members(conversation: Conversation, me: int) -> list[str]:
    """Who can read the thread: the audience and me, named from ``participants``.

    ``participants`` also lists the authors of forwarded messages, who are not in the
    conversation and cannot read it; naming them here would tell the reader otherwise.
    """
    inside = set(conversation.audience) | {me}
    named = [p for p in conversation.participants if p.id in inside]
    people = [with_pronouns(formal_name(p.name, p.full_name), p.pronouns) + (" (me)" if p.id == me else "")
              for p in named]
    known = {p.id for p in named}
    # An audience id without a participant entry is still someone who reads the thread.
    people += [f"user {uid}" for uid in dict.fromkeys(conversation.audience) if uid not in known and uid != me]
    if me not in known:
        people.append("me")
    return people


def header_text(conversation: Conversation, me: int, course: str | None) -> Text:
    text = Text()
    text.append(one_line(conversation.subject) or "(no subject)", style="bold")
    text.append("\n")
    text.append("With: ", style="dim")
    text.append(", ".join(members(conversation, me)))
    if course:
        text.append("\nCourse: ", style="dim")
        text.append(one_line(course))
    state = []
    if conversation.workflow_state == "unread":
        state.append("kept unread")
    if conversation.workflow_state == "archived":
        state.append("archived")
    if conversation.starred:
        state.append("★ starred")
    if not conversation.subscribed:
        state.append("muted: new messages will not mark it unread")
    if state:
        text.append("\n" + " · ".join(state), style="dim")
    return text


def message_text(item: ThreadItem) -> Text:
    message = item.message
    text = Text()
    if item.generated:
        text.append(f"— {one_line(message.body)} · {full_date(message.created_at)} —", style="italic dim")
        return text
    label = "Forwarded from " if item.forwarded else ""
    text.append(f"{label}{with_pronouns(item.author, item.pronouns)}", style="bold")
    text.append(f"  {full_date(message.created_at)}", style="dim")
    text.append("\n")
    text.append(clean(message.body).rstrip() or "(no text)")
    for attachment in message.attachments:
        text.append("\n📎 ", style="dim")
        text.append(one_line(attachment.display_name) or "attachment")
        text.append(f"  ({human_size(attachment.size)})", style="dim")
    if message.media_comment is not None:
        media = message.media_comment
        text.append("\n▶ ", style="dim")
        text.append(f"{media.media_type or 'media'} comment", style="underline")
        if media.display_name:
            text.append(f": {one_line(media.display_name)}")
        if media.url:
            text.append(f"  {one_line(media.url)}", style="dim")
    return text


def first_line(message: Message, limit: int = 60) -> str:
    """The start of a message's text on one line, for a confirmation that names it."""
    text = one_line(clean(message.body))
    if not text:
        return "(no text)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def discussion_header(open_discussion, course: str | None) -> Text:
    topic = open_discussion.topic
    text = Text()
    kind = "Announcement" if topic.is_announcement else "Discussion"
    text.append(f"{kind}: ", style="dim")
    text.append(one_line(topic.title) or "(untitled)", style="bold")
    if course:
        text.append("\nCourse: ", style="dim")
        text.append(one_line(course))
    if topic.author_name:
        text.append("\nBy: ", style="dim")
        text.append(one_line(topic.author_name))
    body = html_to_text(topic.message)
    if body:
        text.append("\n\n")
        text.append(body)
    return text


def entry_text(entry, author: str, focused: bool) -> Text:
    text = Text()
    text.append(("▶ " if focused else "") + (one_line(author) or "someone"), style="bold")
    text.append(f"  {full_date(entry.created_at)}", style="dim")
    text.append("\n")
    text.append("(deleted)" if entry.deleted else (html_to_text(entry.message) or "(no text)"))
    return text


def more_text(count: int, where: str, keys: str) -> Text:
    """The line at an end of the window: how many messages lie beyond it, and how to reach them."""
    noun = "message" if count == 1 else "messages"
    return Text(f"{'↑' if where == 'above' else '↓'} {count:,} more {noun} {where} ({keys})", style="dim")
