"""Live notices that arrive close together, said in one line: "3 new messages: Jane Doe, Bobby Tables".

A notice is who wrote and the whole sentence for it alone; a ``NoticeGroup`` gathers those
shown at once (the status bar empties it when its line fades) and words them together.
No UI here: the status bar shows ``line()``, the messages log keeps each notice whole.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    kind: str  # "message" (a conversation message) or "post" (a discussion or announcement entry)
    who: str
    text: str  # the sentence when it is alone: "New message from Jane Doe: Lab report extension"


NOUNS = {"message": ("message", "messages"), "post": ("post", "posts")}


class NoticeGroup:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def add(self, notice: Notice) -> str:
        self.notices.append(notice)
        return self.line()

    def clear(self) -> None:
        self.notices = []

    def line(self) -> str:
        if not self.notices:
            return ""
        if len(self.notices) == 1:
            return self.notices[0].text
        kinds = {n.kind for n in self.notices}
        if len(kinds) == 1:
            noun = NOUNS.get(next(iter(kinds)), ("update", "updates"))[1]
        else:
            noun = "messages and posts"
        names = list(dict.fromkeys(n.who for n in self.notices))  # each person once, first come first
        return f"{len(self.notices)} new {noun}: {', '.join(names)}"
