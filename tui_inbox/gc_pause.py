"""No cyclic garbage collection from the app command's start to its first frame.

A start imports some 480 modules and builds the screen's widgets: hundreds of thousands of
objects, none of them garbage, which the collector walked again and again before the first
frame (130 young, 11 middle and one full collection in a start from the cache; the full one,
over every object, showed as 40 ms of profiled "object creation" in the first render).
After the first frame the collector runs again, and what the start made is frozen first
(``gc.freeze``): later full collections, which a key press may wait on, skip it too.
"""

from __future__ import annotations

import gc


def pause() -> None:
    gc.disable()


def resume() -> None:
    """After the first frame: the start's objects set aside for good, then collection as usual."""
    gc.freeze()
    gc.enable()
