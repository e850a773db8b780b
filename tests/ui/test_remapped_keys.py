"""Every key can be remapped by its id, as the README says, and a key the config moved away says
once, when pressed where nothing holds it now, which key does its action instead."""

from __future__ import annotations

from textual.command import CommandPalette

from tests.conftest import open_composer, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.config import Config
from tui_inbox.launch import check_settings
from tui_inbox.ui.screens.compose import ComposeScreen

SIZE = (120, 36)


def said(app, text: str) -> int:
    """How many times the session's messages log holds a line with ``text``."""
    return sum(text in entry.text for entry in app.status.history)


async def test_send_close_and_the_palette_follow_the_config(make_inbox_app):
    """ctrl+s, Esc and ctrl+p had no id: [keys] could not move them, and check_settings refused the names."""
    keymap = {"send": "f5", "close_composer": "f2", "command_palette": "ctrl+k"}
    check_settings(Config(keys=keymap))  # known ids, and no key two actions would share
    app = make_inbox_app(keymap=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+k")
        await async_wait_until(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await async_wait_until(lambda: not isinstance(app.screen, CommandPalette))

        await pilot.press("ctrl+p")
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        assert app.status.message == ("ctrl+p no longer does command_palette (Command palette: find any action "
                                      "by name): the config's [keys] moved it to ctrl+k.")

        composer = await open_composer(pilot, "c")
        bar = str(composer.query_one("#compose-keys").render())
        assert "f5 send" in bar and "f2 close" in bar and "ctrl+s" not in bar and "Esc" not in bar
        await pilot.press("escape")  # moved away: the composer stays, and says where closing went
        await settle(pilot)
        assert app.screen is composer
        assert "Esc no longer does close_composer" in composer.status_text and "moved it to f2" in composer.status_text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "ctrl+s no longer does send" in composer.status_text and "moved it to f5" in composer.status_text
        await pilot.press("f5")  # sends: the empty draft is refused as a send is
        await settle(pilot)
        assert composer.status_text == composer.draft.problems()[0]
        await pilot.press("f2")
        await async_wait_until(lambda: not isinstance(app.screen, ComposeScreen))


async def test_a_key_the_config_moved_says_once_which_key_does_it_now(make_inbox_app):
    app = make_inbox_app(keymap={"archive": "e"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        first = app.list.rows[0]
        await pilot.press("a")
        await settle(pilot)
        moved = "a no longer does archive (Archive or unarchive): the config's [keys] moved it to e."
        assert app.status.message == moved
        assert app.list.rows[0].id == first.id  # nothing was archived
        await pilot.press("e")
        await async_wait_until(lambda: first.id not in [row.id for row in app.list.rows])
        await settle(pilot)
        await pilot.press("a")  # said once: the habit is known now
        await settle(pilot)
        assert said(app, "no longer does archive") == 1 and app.status.message != moved
        await pilot.press("s")  # a key still in place says nothing of the kind
        await settle(pilot)
        assert said(app, "no longer does") == 1
