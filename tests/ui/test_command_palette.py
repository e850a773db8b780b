"""The command palette (ctrl+p) lists each command once, with its key, where it can act.

On the main screen and with a thread open: Textual's own commands that fit (Theme,
Screenshot, Maximize) and ours, our help and our Quit instead of Textual's "Keys" panel and
"Quit" (one help, one quit). In the composer: the composer's commands, and none of the
inbox's (archive, star, delete would act on the conversation hidden behind the draft).
"""

from __future__ import annotations

import re
from collections import Counter

from textual.command import CommandList, CommandPalette

from tests.conftest import open_composer, open_row, ready, settle
from tests.waiting import async_wait_until
from tui_inbox.ui.screens.help import HelpScreen

SIZE = (120, 36)


async def open_palette(pilot) -> CommandPalette:
    app = pilot.app
    await pilot.press("ctrl+p")
    palette = await async_wait_until(lambda: app.screen if isinstance(app.screen, CommandPalette) else None)
    await async_wait_until(lambda: gathered(palette))
    return palette


def gathered(palette: CommandPalette) -> bool:
    """The palette fills its list from a worker: the list is whole once that worker has finished."""
    return palette.has_class("-ready") and not any(
        worker.group == palette._GATHER_COMMANDS_GROUP and not worker.is_finished for worker in palette.app.workers)


async def palette_titles(pilot) -> list[str]:
    """Every command the palette offers before anything is typed, as the user reads its first line."""
    palette = await open_palette(pilot)
    commands = palette.query_one(CommandList)
    titles = [str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)]
    await pilot.press("escape")
    await async_wait_until(lambda: not isinstance(pilot.app.screen, CommandPalette))
    return titles


def twice(titles: list[str]) -> list[str]:
    return [title for title, count in Counter(titles).items() if count > 1]


async def palette_lines(pilot) -> list[str]:
    """Every line the palette shows (a command's title, and the help line under it), its key left out."""
    palette = await open_palette(pilot)
    commands = palette.query_one(CommandList)
    lines = [re.sub(r" \([^()]*\)$", "", line.strip())
             for i in range(commands.option_count)
             for line in str(commands.get_option_at_index(i).prompt).split("\n") if line.strip()]
    await pilot.press("escape")
    await async_wait_until(lambda: not isinstance(pilot.app.screen, CommandPalette))
    return lines


async def test_no_line_of_the_palette_says_again_what_the_line_above_it_said(make_inbox_app):
    """A help line that repeats its title reads as every command listed twice."""
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert twice(await palette_lines(pilot)) == []


def helps_and_quits(titles: list[str]) -> list[str]:
    return sorted(t for t in titles if t.split()[0].rstrip(":") in ("Keys", "Help", "Quit"))


async def test_the_palette_lists_each_command_once_on_the_list_the_thread_and_the_composer(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        main = await palette_titles(pilot)
        assert twice(main) == []
        assert helps_and_quits(main) == ["Help: every key (?)", "Quit (q)"]
        for title in ("Archive or unarchive (a)", "Compose a new message (c)", "Reply (r)", "Inbox (1)",
                      "Select by pattern (T)", "Refresh (ctrl+r)", "Theme"):
            assert title in main

        await open_row(pilot, "Lab report extension")
        await pilot.press("tab")  # into the thread pane
        await async_wait_until(lambda: app.focused is app.thread)
        thread = await palette_titles(pilot)
        assert twice(thread) == []
        assert helps_and_quits(thread) == ["Help: every key (?)", "Quit (q)"]
        for title in ("Next message in the thread (J)", "Delete the message under the cursor (d)", "Reply (r)"):
            assert title in thread

        await open_composer(pilot, "r")
        composer = await palette_titles(pilot)
        assert twice(composer) == []
        assert helps_and_quits(composer) == ["Help: every key (?)", "Quit (q)"]
        for title in ("Send (in the composer) (ctrl+s)", "Edit the body in $EDITOR (in the composer) (ctrl+e)",
                      "Close the composer, keeping the draft (Esc)",
                      "Discard the draft (asks first; in the composer) (ctrl+g)",
                      "Quote the message answered into the reply (in the composer) (ctrl+o)"):
            assert title in composer
        for inbox_only in ("Archive or unarchive (a)", "Star or unstar (s)", "Delete (asks first) (d)", "Inbox (1)"):
            assert inbox_only not in composer


async def test_help_from_the_palette_opens_the_help_screen(make_inbox_app):
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_palette(pilot)
        await pilot.press(*"help")
        palette = app.screen
        await async_wait_until(lambda: gathered(palette)
                               and str(palette.query_one(CommandList).get_option_at_index(0).prompt).startswith("Help"))
        await pilot.press("down", "enter")
        await async_wait_until(lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)


async def test_a_commands_help_line_shows_the_config_table_it_names(make_inbox_app):
    """The help line names [keys], the config's table: read as markup, "[keys]" was a tag and vanished."""
    app = make_inbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lines = await palette_lines(pilot)
        assert "its key is archive in the config's [keys]" in lines
        assert "its key is archive in the config's" not in lines
