"""Search everywhere: every indexed message's words, across all mailboxes, newest first.

Results come as the words are typed (after a short pause, in a worker: the query runs in a
thread), each with its subject, author, date, mailbox and the matching words in context.
Everything shown came from a server, so it is built as ``Text``, never read as markup.
Enter opens the thread at the message that matched; Esc goes back. With several accounts every
account's index is searched (inbox/merged_search.py), and each hit starts with its account's tag.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...inbox.indexer import IndexProgress
from ...inbox.merged_search import Everywhere, Source, Tagged, find_everywhere
from ...inbox.text import clean, one_line
from ...store.search_index import Hit, SearchIndex
from ..widgets.account_tag import AccountTags, tag_classes, tag_css

DEBOUNCE = 0.15  # seconds of no typing before a search runs


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%d %b %Y %H:%M") if moment else ""


def hit_text(hit: Hit, tag: Callable[[Text], None] = lambda text: None) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    tag(text)  # its account's, when there are several
    # The store folded the subject's whitespace: clean keeps the spaces between the pieces.
    for piece, matched in hit.subject_marks or [(one_line(hit.subject) or "(no subject)", False)]:
        text.append(clean(piece).replace("\n", " "), style="bold reverse" if matched else "bold")
    text.append(f"  {one_line(hit.author)}  {when(hit.created_at)}  ", style="dim")
    text.append(one_line(hit.mailbox), style="italic")
    text.append("\n")
    for piece, matched in hit.snippet:
        # The store folded the whitespace already: clean keeps the spaces between the pieces.
        text.append(clean(piece).replace("\n", " "), style="bold reverse" if matched else "")
    return text


class SearchEverywhere(ModalScreen[Tagged | None]):
    """Dismissed with the chosen hit and its account, or None."""

    COMPONENT_CLASSES = tag_classes("search-everywhere")
    DEFAULT_CSS = """
    SearchEverywhere { align: center middle; }
    SearchEverywhere > Vertical { width: 90%; height: 90%; border: round $accent; background: $surface; }
    SearchEverywhere #found { color: $text-muted; padding: 0 1; }
    SearchEverywhere OptionList { height: 1fr; }
    """ + tag_css("SearchEverywhere", "search-everywhere")
    BINDINGS = [Binding("escape", "dismiss(None)", "Back", show=False),
                Binding("down", "results", "Results", show=False)]

    def __init__(self, indexes: list[tuple[str, SearchIndex]], progress: Callable[[str], IndexProgress | None],
                 tags: list[str] | None = None) -> None:
        super().__init__()
        self.indexes = indexes  # each account's index searched, as (account, index)
        self.progress = progress  # an account's indexer's progress now: it may start again while the screen is up
        self.tags = AccountTags(tags)
        self.found: list[Tagged] = []
        self.shown_for = ""  # the words the results on screen were found for
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="Search every message: words, \"a phrase\" (Enter opens, Esc goes back)",
                        id="words")
            yield Static("Type words to find.", id="found")
            yield OptionList(id="results")

    def on_mount(self) -> None:
        self.query_one("#words", Input).focus()

    @on(Input.Changed, "#words")
    def typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, lambda: self.search(event.value))

    @work(exclusive=True, group="search")
    async def search(self, words: str) -> None:
        if not words.strip():
            self.show(None)
            return
        sources = [Source(account, index, self.progress(account)) for account, index in self.indexes]
        self.show(await find_everywhere(sources, words), words)

    @property
    def hits(self) -> list[Hit]:
        """The hits shown, newest first (``found`` has each with its account)."""
        return [hit for _, hit in self.found]

    def show(self, results: Everywhere | None, words: str = "") -> None:
        found = self.query_one("#found", Static)
        options = self.query_one("#results", OptionList)
        options.clear_options()
        self.found = results.hits if results else []
        self.shown_for = words
        if results is None:
            found.update("Type words to find.")
            return
        found.update(Text(results.line()))
        options.add_options([Option(hit_text(hit, lambda text, account=account: self.tags.append(
            text, account, self.get_component_rich_style, "search-everywhere"))) for account, hit in self.found])
        if self.found:
            options.highlighted = 0

    def action_results(self) -> None:
        if self.hits:
            self.query_one("#results", OptionList).focus()

    @on(Input.Submitted, "#words")
    def submitted(self) -> None:
        highlighted = self.query_one("#results", OptionList).highlighted
        if self.found:
            self.dismiss(self.found[highlighted or 0])

    @on(OptionList.OptionSelected, "#results")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.found[event.option_index])
