"""The broker the relay starts for itself: the real nats-server, with JetStream, that keeps its stream across a restart."""

from __future__ import annotations

import nats

from tui_inbox.relay.nats_child import NatsChild


async def test_the_child_serves_jetstream_and_keeps_the_stream_across_a_restart(nats_server):
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    first = await js.publish("t.x", b"one", headers={"Nats-Msg-Id": "a"})
    again = await js.publish("t.x", b"one", headers={"Nats-Msg-Id": "a"})
    assert (first.seq, again.duplicate) == (1, True)
    await nc.close()

    nats_server.stop(remove_store=False)
    assert not nats_server.running
    nats_server.start()
    nc = await nats.connect(nats_server.url)
    info = await nc.jetstream().stream_info("T")
    assert info.state.messages == 1
    await nc.close()


def test_a_temporary_store_is_removed_on_stop():
    child = NatsChild().start()
    store = child.store_dir
    assert store.is_dir() and (store.stat().st_mode & 0o777) == 0o700
    child.stop()
    assert not store.exists()
