"""A connection's mailbox (relay/mailbox.py): a frame goes straight out while the connection's
writer has nothing waiting, and is queued behind what waits otherwise, so the order holds."""

from __future__ import annotations

import asyncio

from tui_inbox.relay.mailbox import Mailbox


class Socket:
    """Stands for the connection: what was written at once, and whether it can be now."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.writable = True

    def write_now(self, frame: str) -> bool:
        if not self.writable:
            return False
        self.written.append(frame)
        return True


async def test_a_frame_for_an_idle_writer_is_written_at_once_and_does_not_wake_it():
    mailbox, socket = Mailbox(10), Socket()
    mailbox.direct = socket.write_now
    writer = asyncio.create_task(mailbox.take())
    await asyncio.sleep(0)  # the writer now waits in take
    mailbox.put_nowait("1")
    mailbox.put_nowait("2")
    await asyncio.sleep(0)
    assert socket.written == ["1", "2"]
    assert not writer.done() and mailbox.qsize() == 0
    writer.cancel()


async def test_a_frame_that_cannot_be_written_now_is_queued_and_those_after_it_wait_behind_it():
    mailbox, socket = Mailbox(10), Socket()
    mailbox.direct = socket.write_now
    writer = asyncio.create_task(mailbox.take())
    await asyncio.sleep(0)
    socket.writable = False  # the client is not reading
    mailbox.put_nowait("1")
    socket.writable = True
    mailbox.put_nowait("2")  # "1" waits: "2" must not overtake it
    assert await writer == ["1", "2"]
    assert socket.written == []


async def test_without_a_waiting_writer_frames_queue_in_order():
    mailbox, socket = Mailbox(2), Socket()
    mailbox.direct = socket.write_now
    mailbox.put_nowait("1")  # nobody waits in take: the writer is busy elsewhere (a replay, a send)
    mailbox.put_nowait("2")
    try:
        mailbox.put_nowait("3")
    except asyncio.QueueFull:
        pass
    else:
        raise AssertionError("a full mailbox took a third frame")
    assert await mailbox.take() == ["1", "2"] and socket.written == []
