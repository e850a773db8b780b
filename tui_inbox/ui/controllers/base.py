"""What every controller starts from: the app as a Host, and the main screen it reads and paints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .host import Host

if TYPE_CHECKING:
    from ...inbox.session import InboxSession
    from ..screens.main import InboxScreen
    from ..widgets.status_bar import StatusBar


class Controller:
    def __init__(self, host: Host, screen: InboxScreen) -> None:
        self.host = host
        self.screen = screen

    @property
    def session(self) -> InboxSession:
        return self.host.session

    @property
    def status(self) -> StatusBar:
        return self.screen.status
