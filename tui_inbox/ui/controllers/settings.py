"""The Inbox Settings key: the account in focus's signature and out of office, read fresh from
Canvas (they may have been changed in the web Inbox), shown, and saved when the user asks."""

from __future__ import annotations

from ...canvas.errors import CanvasError
from ...canvas.inbox_settings import InboxSettings
from .base import Controller


class Settings(Controller):
    def open(self) -> None:
        account = self.screen.aim.focus_account()
        self.screen.run_worker(self.show(account), group="inbox-settings", exclusive=True)

    async def show(self, account: str) -> None:
        from ..screens.inbox_settings import InboxSettingsScreen

        aim = self.screen.aim
        holder = self.host.accounts.session(account).inbox_settings
        self.status.running = "reading the Inbox Settings"
        try:
            await holder.load()
        except CanvasError as error:
            self.status.show_error(aim.at(account, f"Inbox Settings not read: {error}"))
            return
        finally:
            self.status.running = ""
        if not holder.shows_any:
            self.status.show_message(aim.at(account, "This school has no Inbox Settings turned on "
                                                     "(signature, out of office)."))
            return

        def closed(wanted: InboxSettings | None) -> None:
            if wanted is not None:
                self.screen.run_worker(self.save(account, wanted), group="inbox-settings")

        where = self.where(account)
        self.host.push_screen(InboxSettingsScreen(holder.settings or InboxSettings(), signature=holder.shows_signature,
                                                  out_of_office=holder.shows_out_of_office, where=where), closed)

    def where(self, account: str) -> str:
        """Which account, in the title: its name when there are several, its host and who is signed in."""
        from .writing import Writing

        member = next(m for m in self.host.accounts if m.name == account)
        line = Writing.where(member)
        return f"{account} · {line}" if self.screen.aim.several else line

    async def save(self, account: str, wanted: InboxSettings) -> None:
        holder = self.host.accounts.session(account).inbox_settings
        self.status.running = "saving the Inbox Settings"
        try:
            await holder.save(wanted)
        except CanvasError as error:
            self.status.show_error(self.screen.aim.at(account, f"Inbox Settings not saved: {error}"))
            return
        finally:
            self.status.running = ""
        self.status.show_message(self.screen.aim.at(account, "Inbox Settings saved."))
