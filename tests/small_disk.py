"""A real, small filesystem that can be filled: a tmpfs of a few hundred KB mounted for one test.

Needs the right to mount (root, or CAP_SYS_ADMIN); where that is refused the test is skipped
with the reason. ``fill`` writes a filler file until the filesystem answers ENOSPC; ``free``
deletes it. The filesystem is unmounted when the test ends, whatever happened.
"""

from __future__ import annotations

import errno
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


class SmallDisk:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.filler = folder / ".filler"

    def fill(self) -> None:
        """Fill the filesystem to the last byte: the next write of any size fails with ENOSPC."""
        with self.filler.open("ab", buffering=0) as handle:
            for size in (65536, 4096, 512, 1):
                while True:
                    try:
                        handle.write(b"\0" * size)
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextmanager
def small_disk(folder: Path, size_kb: int = 512) -> Iterator[SmallDisk]:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem to fill here ({done.stderr.strip() or done.returncode}): "
                    "the full-disk tests need `mount -t tmpfs` (root)")
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
