"""Whole threads written out: mbox (mutt opens it), JSON (for scripts), Markdown (for a file).

Text for people (Markdown, mbox) has escape sequences and control characters removed, as on
screen: a file that is ``cat``-ed must not drive the terminal. JSON, for scripts, keeps each
body exactly as Canvas gave it (its encoding escapes them). Each writer takes the threads (conversations with their messages, oldest message first)
and returns the file's bytes; ``inbox/export.py`` puts them on disk without overwriting
anything. Attachments are listed by name, type and size, never embedded, and never with
their download link: Canvas's file URLs carry a verifier that opens the file to anyone
holding the link, and an export is a file people send on.
"""

from __future__ import annotations

import email.policy
import email.utils
import json
import mailbox
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Callable

from ..canvas.models import Conversation, Message
from .formatting import display_name, formal_name, human_size
from .text import clean, one_line

FORMATS = ("mbox", "json", "markdown")


@dataclass(frozen=True)
class Thread:
    """One conversation as exported: the row's facts, its course's short name, its messages, and,
    in an export of several accounts, the account's name and its Canvas host (ids mean something
    only at their own Canvas, so each thread keeps its own)."""

    conversation: Conversation
    course: str | None
    account: str | None = None
    host: str | None = None

    @property
    def messages(self) -> list[Message]:
        return sorted(self.conversation.messages or [], key=lambda m: (m.created_at or _EPOCH, m.id))

    def name_of(self, user_id: int | None) -> str:
        for person in self.conversation.participants:
            if person.id == user_id:
                return display_name(person.name, person.full_name)
        return "someone no longer in the conversation" if user_id is None else f"user {user_id}"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if when else None


def _attachment_lines(message: Message) -> list[str]:
    lines = [f"{one_line(a.display_name)} ({a.content_type}, {human_size(a.size)})" for a in message.attachments]
    if message.media_comment is not None:
        lines.append(f"media comment: {one_line(message.media_comment.display_name or message.media_comment.media_id)}")
    return lines


def _forwarded_text(thread: Thread, message: Message, depth: int = 1) -> list[str]:
    lines: list[str] = []
    for forwarded in message.forwarded_messages:
        prefix = "> " * depth
        lines.append(f"{prefix}---- forwarded: {thread.name_of(forwarded.author_id)}, {_iso(forwarded.created_at)} ----")
        lines += [prefix + line for line in clean(forwarded.body).splitlines()]
        lines += _forwarded_text(thread, forwarded, depth + 1)
    return lines


# -- JSON -----------------------------------------------------------------------------------------------

def _message_json(thread: Thread, message: Message) -> dict:
    return {
        "id": message.id,
        "created_at": _iso(message.created_at),
        "author": {"id": message.author_id, "name": thread.name_of(message.author_id)},
        "body": message.body,
        "generated": message.generated,
        "attachments": [{"name": a.display_name, "content_type": a.content_type, "size": a.size}
                        for a in message.attachments],
        "media_comment": (None if message.media_comment is None else
                          {"name": message.media_comment.display_name, "type": message.media_comment.media_type}),
        "forwarded_messages": [_message_json(thread, m) for m in message.forwarded_messages],
    }


def to_json(threads: list[Thread], exported_at: datetime) -> bytes:
    data = {
        "exported_at": _iso(exported_at),
        "conversations": [{
            **({"account": t.account} if t.account is not None else {}),
            "id": t.conversation.id,
            "subject": t.conversation.subject,
            "course": t.course,
            "context_code": t.conversation.context_code,
            "workflow_state": t.conversation.workflow_state,
            "starred": t.conversation.starred,
            "participants": [{"id": p.id, "name": display_name(p.name, p.full_name), "full_name": p.full_name}
                             for p in t.conversation.participants],
            "messages": [_message_json(t, m) for m in t.messages],
        } for t in threads],
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- Markdown -------------------------------------------------------------------------------------------

def _md_text(text: str) -> str:
    """A one-line value in Markdown that cannot start a heading, a list or a link by itself."""
    return one_line(text).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("*", "\\*") \
        .replace("_", "\\_").replace("`", "\\`").replace("<", "&lt;")


def to_markdown(threads: list[Thread], exported_at: datetime) -> bytes:
    out = [f"Exported from Canvas on {exported_at.astimezone().strftime('%Y-%m-%d %H:%M %Z')}: "
           f"{len(threads)} conversation{'s' if len(threads) != 1 else ''}.", ""]
    for thread in threads:
        c = thread.conversation
        out.append(f"# {_md_text(c.subject or '(no subject)')}")
        out.append("")
        facts = [f"**Account:** {_md_text(thread.account)}" if thread.account else None,
                 f"**Course:** {_md_text(thread.course)}" if thread.course else None,
                 "**With:** " + ", ".join(_md_text(formal_name(p.name, p.full_name)) for p in c.participants),
                 f"**Canvas conversation:** {c.id}"]
        out += [f"{fact}  " for fact in facts if fact]
        out.append("")
        for message in thread.messages:
            when = message.created_at.astimezone().strftime("%a %b %d, %Y %H:%M") if message.created_at else ""
            out.append(f"## {_md_text(thread.name_of(message.author_id))}, {when}")
            out.append("")
            # The body as a quote: a student's "# 1." or "* note" stays their text, not the file's structure.
            out += [f"> {line}" if line else ">" for line in clean(message.body).splitlines()] or [">"]
            out += _forwarded_text(thread, message)
            attached = _attachment_lines(message)
            if attached:
                out.append("")
                out += ["Attached: " + _md_text(line) for line in attached]
            out.append("")
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


# -- mbox -------------------------------------------------------------------------------------------------

def _address(thread: Thread, user_id: int | None, host: str) -> str:
    return email.utils.formataddr((thread.name_of(user_id), f"user-{user_id}@{host}"))


def _message_id(conversation_id: int, message_id: int, host: str) -> str:
    return f"<conversation-{conversation_id}.message-{message_id}@{host}>"


def to_mbox_messages(threads: list[Thread], host: str) -> list[EmailMessage]:
    """One email per message, threaded (In-Reply-To, References) so that mutt shows each
    conversation as a thread. The Canvas host (the thread's own, else ``host``) makes the addresses
    and ids; a thread of an export of several accounts also says its account in X-Canvas-Account."""
    emails = []
    default_host = host
    for thread in threads:
        host = thread.host or default_host
        c = thread.conversation
        earlier: list[str] = []
        for message in thread.messages:
            mail = EmailMessage(policy=email.policy.SMTP)
            mail["From"] = _address(thread, message.author_id, host)
            others = [p.id for p in c.participants if p.id != message.author_id]
            if others:
                mail["To"] = ", ".join(_address(thread, uid, host) for uid in others)
            mail["Subject"] = one_line(c.subject or "(no subject)")
            if message.created_at:
                mail["Date"] = email.utils.format_datetime(message.created_at.astimezone(timezone.utc))
            mail["Message-ID"] = _message_id(c.id, message.id, host)
            if earlier:
                mail["In-Reply-To"] = earlier[-1]
                mail["References"] = " ".join(earlier[-20:])
            mail["X-Canvas-Conversation"] = str(c.id)
            if thread.account:
                mail["X-Canvas-Account"] = one_line(thread.account)
            if thread.course:
                mail["X-Canvas-Course"] = one_line(thread.course)
            body = clean(message.body).splitlines() + _forwarded_text(thread, message)
            attached = _attachment_lines(message)
            if attached:
                body += ["", "Attached in Canvas:"] + [f"  {line}" for line in attached]
            mail.set_content("\n".join(body) + "\n", charset="utf-8")
            earlier.append(mail["Message-ID"])
            emails.append(mail)
    return emails


def write_mbox(threads: list[Thread], host: str, path) -> None:
    """Write an mbox file at ``path`` (a new, private temporary file: see export.py)."""
    box = mailbox.mbox(path, create=True)
    try:
        box.lock()
        for mail in to_mbox_messages(threads, host):
            box.add(mailbox.mboxMessage(mail))
        box.flush()
    finally:
        box.unlock()
        box.close()


Writer = Callable[[list[Thread], datetime], bytes]
WRITERS: dict[str, Writer] = {"json": to_json, "markdown": to_markdown}
