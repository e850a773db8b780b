"""Beside the composer's body, what it answers or forwards: the thread a reply goes into (its
latest messages, the newest nearest the body), or the messages a forward carries, named."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...canvas.models import Conversation
from ...inbox.discussion_post import Post
from ...inbox.formatting import full_date
from ...inbox.thread import thread_items
from .thread_text import first_line, message_text

SHOWN = 6  # the latest messages of a thread shown above a reply (the rest is a line saying how many)


def reply_context(conversation: Conversation) -> Text:
    items = [i for i in thread_items(conversation, "oldest") if not i.forwarded]
    text = Text()
    if len(items) > SHOWN:
        earlier = len(items) - SHOWN
        text.append(f"{earlier} earlier message{'s' if earlier != 1 else ''} not shown\n\n", style="dim italic")
        items = items[-SHOWN:]
    for index, item in enumerate(items):
        if index:
            text.append("\n\n")
        text.append_text(message_text(item))
    return text


def forward_context(conversation: Conversation, message_ids: list[int]) -> Text:
    """Each forwarded message by its author, date and first words: what the recipients will get."""
    wanted = set(message_ids)
    carried = [i for i in thread_items(conversation, "oldest") if not i.forwarded and i.message.id in wanted]
    text = Text()  # one line each, however long the message (the widget's class one-line-each)
    text.append(f"Forwarding {len(carried)} message{'s' if len(carried) != 1 else ''} of this conversation:",
                style="bold")
    for item in carried:
        text.append("\n• ")
        text.append(item.author, style="bold")
        text.append(f"  {full_date(item.message.created_at)}  ", style="dim")
        text.append(first_line(item.message))
    return text


def post_context(post: Post) -> Text:
    """The discussion post a reply answers: its author, when, and its text (the user's and others'
    words: Text, never markup)."""
    text = Text()
    text.append(post.author, style="bold")
    if post.when is not None:
        text.append(f"  {full_date(post.when)}", style="dim")
    text.append("\n")
    text.append(post.text.strip() or "(no text)")
    return text


class ComposeContext(VerticalScroll, can_focus=False):
    """What the draft answers; scrolled to its end, so the newest message sits above the body."""

    DEFAULT_CSS = """
    ComposeContext { height: auto; max-height: 40%; margin: 0 1; padding: 0 1;
                     border: round $panel-lighten-1; border-title-color: $text-muted; }
    ComposeContext > Static { height: auto; }
    ComposeContext.one-line-each > Static { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, content: Text, title: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = content
        self.border_title = title

    def compose(self):
        yield Static(self._text, id="context-text")

    def on_mount(self) -> None:
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
