"""The progress of a bulk action: done, total and time left, shown only while one runs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


class BulkProgress(Horizontal):
    DEFAULT_CSS = """
    /* In the screen's flow, between the body and the status bar: docked at the bottom too, it lay
       under the status bar (docked widgets on one edge overlap) and was never seen. */
    BulkProgress { height: 1; display: none; background: $panel; padding: 0 1; }
    BulkProgress.running { display: block; }
    BulkProgress ProgressBar { width: 1fr; }
    BulkProgress #bulk-label { width: auto; min-width: 34; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_eta=False, show_percentage=True, id="bulk-bar")
        yield Static(id="bulk-label")

    def show_progress(self, progress) -> None:
        self.add_class("running")
        self.query_one(ProgressBar).update(total=max(1, progress.total), progress=progress.done)
        what = getattr(progress, "label", "")  # what is running, when the bar is not the triage one
        label = f" {what}: {progress.done:,} of {progress.total:,}" if what else f" {progress.done:,} of {progress.total:,}"
        eta = progress.eta_seconds
        if eta is not None:
            label += f", about {int(eta) + 1} s left"
        self.query_one("#bulk-label", Static).update(Text(label))

    def finish(self) -> None:
        self.remove_class("running")
