"""The file handed to $EDITOR: private while it exists, gone after, and read back as a message."""

from __future__ import annotations

import stat

import pytest

from tui_inbox.inbox.editor_file import EditorError, EditorFile, editor_argv, editor_command


def test_the_text_is_in_a_private_file_in_a_private_folder_and_both_go_after(tmp_path):
    with EditorFile("my words") as file:
        assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(file.path.parent.stat().st_mode) == 0o700
        assert file.path.read_text() == "my words\n"  # a text file ends with a newline
        file.path.write_text("my words\nand more\n\n")
        assert file.read() == "my words\nand more"  # the file's last newlines are not the message's
    assert not file.path.exists() and not file.path.parent.exists()


def test_the_editor_is_visual_then_editor_then_vi():
    assert editor_command({"VISUAL": "code -w", "EDITOR": "nano"}) == "code -w"
    assert editor_command({"EDITOR": "nano"}) == "nano"
    assert editor_command({}) == "vi"
    assert editor_argv("emacs -nw '+1'") == ["emacs", "-nw", "+1"]


@pytest.mark.parametrize("command, said", [("", "No editor is set"), ("vim '", "Cannot read the editor command")])
def test_an_editor_command_that_cannot_be_run_is_said_in_words(command, said):
    with pytest.raises(EditorError, match=said):
        editor_argv(command)
