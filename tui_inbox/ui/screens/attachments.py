"""Choose an attachment or a media comment of the open conversation: download it and open it,
or open a media comment's link in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...canvas.models import Attachment, MediaComment
from ...inbox.formatting import human_size
from ...inbox.media import kind_of, media_title
from ...inbox.text import one_line


@dataclass(frozen=True, slots=True)
class OpenLink:
    """The choice to open a media comment's link in the browser instead of downloading it."""

    media: MediaComment


Choice = Attachment | MediaComment | OpenLink


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


class AttachmentsScreen(ModalScreen[Choice | None]):
    DEFAULT_CSS = """
    AttachmentsScreen { align: center middle; }
    AttachmentsScreen > Vertical { width: 70; max-width: 95%; height: auto; max-height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    AttachmentsScreen OptionList { height: auto; max-height: 20; border: none; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close", show=False)]

    def __init__(self, attachments: list[Attachment], folder: Path,
                 media: list[MediaComment] | None = None) -> None:
        super().__init__()
        self.attachments = attachments
        self.media = list(media or [])
        self.folder = folder
        self.choices: dict[str, Choice] = {}

    def compose(self) -> ComposeResult:
        title = f"Download to {self.folder} and open:"
        if self.media:
            title = f"Download to {self.folder} and open, or open a link:"
        with Vertical():
            yield Static(Text(title, style="bold"))
            yield OptionList(*self.options())

    def options(self) -> list[Option]:
        """Attachments first, as ever; a media comment gets its own heading (audio or video),
        so a recording is never mistaken for a file someone attached. Headings only when there
        is a media comment: a list of attachments alone needs none."""
        options: list[Option] = []
        if self.media and self.attachments:
            options.append(Option(Text("Attachments", style="bold dim"), disabled=True))
        for index, attachment in enumerate(self.attachments):
            label = Text(("  " if self.media else "") + (one_line(attachment.display_name) or "attachment"))
            label.append(f"  {human_size(attachment.size)}", style="dim")
            options.append(self._choice(f"a{index}", label, attachment))
        for index, media in enumerate(self.media):
            heading = Text(f"Media comment ({kind_of(media)}): ", style="bold dim")
            heading.append(one_line(media.display_name or "") or "no name", style="dim")
            options.append(Option(heading, disabled=True))
            if not media.url:
                # Still offered: choosing it says, in one line, why there is nothing to fetch.
                label = Text(f"  ▶ {media_title(media)}")
                label.append("  no link from Canvas", style="dim")
                options.append(self._choice(f"m{index}", label, media))
                continue
            label = Text(f"  ▶ Download the {kind_of(media)} comment")
            if media.content_type:
                label.append(f"  {one_line(media.content_type)}", style="dim")
            options.append(self._choice(f"m{index}", label, media))
            link = Text("  ↗ Open its link in the browser")
            link.append(f"  {one_line(_host(media.url))}", style="dim")
            options.append(self._choice(f"l{index}", link, OpenLink(media)))
        return options

    def _choice(self, key: str, label: Text, choice: Choice) -> Option:
        self.choices[key] = choice
        return Option(label, id=key)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.action_first()  # the first choice, never a heading
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices.get(event.option.id or ""))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
