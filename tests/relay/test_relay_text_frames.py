"""An event's websocket frame, built once by the relay (relay/text_frames.py), is the frame the
websockets library would build, whatever the length's encoding and the text's characters."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from tui_inbox.relay.text_frames import text_frame


@pytest.mark.parametrize("text", [
    "", "x" * 125, "x" * 126, "é" * 63 + "x",  # 127 bytes: a 2-byte length from 126 on
    "x" * 65535, "x" * 65536, "日本語" * 30000,  # an 8-byte length from 65,536 bytes on
    '{"id": "1", "body": {"text": "<b>not markup</b> \\u2028"}}',
])
def test_the_frame_is_the_one_the_websockets_library_builds(text):
    assert text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def test_the_same_frame_is_built_once_and_a_new_text_gets_its_own():
    text = '{"id": "7"}' + "x" * 200
    first = text_frame(text)
    assert text_frame(text) is first  # the next connection writes the same bytes
    other = "".join(['{"id": "7"}', "x" * 200])  # equal, but another event's str
    assert text_frame(other) == first
    assert text_frame('{"id": "8"}') != first
