"""``[compose] send_delay_seconds``: the undo-send window, checked like every other number."""

from __future__ import annotations

import pytest

from tui_inbox import config as config_module
from tui_inbox.config import ConfigError
from tui_inbox.launch import Account, build_app


@pytest.mark.parametrize("text, expected", [
    ("[compose]\nsend_delay_seconds = -1\n", "compose.send_delay_seconds must be between 0 and 60 seconds, 0 to send at once (it is -1)"),
    ("[compose]\nsend_delay_seconds = 600\n", "compose.send_delay_seconds must be between 0 and 60 seconds"),
    ("[compose]\nsend_delay_seconds = 'soon'\n", "compose.send_delay_seconds must be a number (it is a string)"),
    ("[compose]\nsend_delay_seconds = nan\n", "compose.send_delay_seconds must be a finite number"),
    ("[compose]\nsend_delay = 5\n", "unknown key compose.send_delay (did you mean 'send_delay_seconds'?)"),
])
def test_a_bad_send_delay_is_one_line(tmp_path, text, expected):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config_module.load(str(path))
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_the_delay_defaults_to_five_seconds_and_reaches_the_outbox(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[canvas]\nbase_url = 'http://127.0.0.1:9'\n")
    default = config_module.load(str(path))
    assert default.compose.send_delay_seconds == 5
    assert "compose" not in config_module.to_toml(default)  # a default is not written out
    path.write_text("[canvas]\nbase_url = 'http://127.0.0.1:9'\n[compose]\nsend_delay_seconds = 0\n")
    config = config_module.load(str(path))
    app = build_app(config, Account(config.canvas.base_url, "t", None, False), user_id=1,
                    drafts_path=tmp_path / "drafts.sqlite3")
    assert app.session.outbox.send_delay == 0
    assert config_module.to_toml(config)["compose"] == {"send_delay_seconds": 0}
    app.session.drafts.close()
