"""Sending an event's frame to each of its connections without building it again for each.

An event in a big course goes to hundreds of connections of an instance: at 10,000
connections that was 10,000 frames a second, and uvicorn's send (Starlette's checks, the ASGI
message, the websockets library's frame object, the payload encoded and copied twice) was
the relay's largest cost after the collector. A server's frames are not masked (RFC 6455,
5.1), so one event's frame is the same bytes on every connection: it is built once, for the
first connection, and written as it is to the others.

The websocket protocol (connection_guard.py) offers ``TextFrames`` to the application under
the ASGI scope's ``extensions`` (where an ASGI server says what more it can do); stream.py
uses it when it is there and Starlette's ``send_text`` when it is not. ``write_now`` lets the
fanout write a frame straight to a connection that has nothing waiting (mailbox.py), without
waking the connection's task for it.
"""

from __future__ import annotations

from typing import Awaitable, Callable, NamedTuple

EXTENSION = "tui_inbox.text_frames"


class TextFrames(NamedTuple):
    send: Callable[[str], Awaitable[None]]  # waits while the client is not reading; raises once it is gone
    write_now: Callable[[str], bool]  # False, and nothing written, when ``send`` would wait or raise

FIN_TEXT = 0x81  # a whole message (FIN) of opcode 1, text

# The frame last built, by the identity of its text: the fanout hands one str to every
# connection, and they send it one after another. A tuple, replaced whole, so that relays
# running in threads of one process (the tests) never see half of one.
_last: tuple[str, bytes] = ("", bytes((FIN_TEXT, 0)))


def text_frame(text: str) -> bytes:
    """The whole websocket frame of one text message, unmasked, as a server sends it."""
    global _last
    last_text, last_frame = _last
    if text is last_text:
        return last_frame
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        head = bytes((FIN_TEXT, size))
    elif size < 1 << 16:
        head = bytes((FIN_TEXT, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((FIN_TEXT, 127)) + size.to_bytes(8, "big")
    frame = head + payload
    _last = (text, frame)
    return frame
