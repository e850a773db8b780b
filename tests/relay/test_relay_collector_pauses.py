"""The relay keeps the collector's full collections short (relay/collector_pauses.py).

Run in a process of its own: the collector's state is the process's, and a test's relays
and every other test share this one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import asyncio, gc, weakref
    from tui_inbox.relay.collector_pauses import keep_collections_short

    class Connection:  # stands for a connection's objects: alive, and in cycles
        def __init__(self):
            self.parts = [{"scope": {}}, [self]]

    async def until(check):
        while not check():
            await asyncio.sleep(0.005)

    async def main():
        now = [0.0]
        held = [Connection() for _ in range(30_000)]
        gc.collect()
        walked_before = len(gc.get_objects())
        task = asyncio.create_task(keep_collections_short(freeze_seconds=0.01, unfreeze_seconds=60,
                                                          clock=lambda: now[0]))
        await until(lambda: gc.get_freeze_count() > 0)
        print("walked", walked_before, len(gc.get_objects()))

        # A cycle that was alive when frozen, and is garbage now: not found until handed back.
        gone = weakref.ref(held.pop())
        gc.collect()
        print("kept while frozen", gone() is not None)
        now[0] = 61.0  # the quarter hour has passed
        await until(lambda: gone() is None)
        print("collected once handed back", True)

        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        print("left frozen", gc.get_freeze_count())

    asyncio.run(main())
""")


def test_objects_alive_are_taken_out_of_full_collections_and_given_back_to_find_their_cycles():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = dict(line.rsplit(" ", 1) if not line.startswith("walked") else ("walked", line[7:])
                 for line in done.stdout.splitlines())
    before, after = (int(n) for n in lines["walked"].split())
    # 30,000 connections of 4 or 5 tracked objects: a full collection walked them all; frozen, it walks
    # only what came since.
    assert before > 100_000 and after < before // 10
    assert lines["kept while frozen"] == "True"
    assert lines["collected once handed back"] == "True"
    assert lines["left frozen"] == "0"  # stopping gives the process's collector back as it was
