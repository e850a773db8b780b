"""Damage SQLite itself would pass over in silence, found before a file of the user's is opened.

SQLite reads what it can and says nothing about the rest in three cases that lose drafts:

- the database file is **empty** (truncated to nothing): SQLite takes it for a new database;
- it is **shorter than its header says** (truncated): the missing pages are only noticed, if
  ever, when a query reaches them;
- its write-ahead log (``-wal``, where every save sits until a checkpoint) has **damaged
  frames**: recovery stops at the first frame whose checksum fails and ignores every later
  one, so the saves after it vanish.

A log normally ends in frames of an older generation (SQLite reuses the file after a
checkpoint): those carry other salts and are rightly ignored. Only a frame of the current
generation that fails its checksum, or one found after such a break, is damage. The format
is SQLite's (https://www.sqlite.org/fileformat2.html, "The WAL File Format").
"""

from __future__ import annotations

import struct
from pathlib import Path

HEADER = 100  # the database header
WAL_HEADER, FRAME_HEADER = 32, 24
WAL_MAGIC = (0x377F0682, 0x377F0683)  # the low bit: checksums in big-endian words (1) or little-endian (0)


def damage(path: Path) -> str | None:
    """Why the database at ``path`` (with its ``-wal``) would silently lose data, or None."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None  # a new file: nothing to lose
    wal = path.with_name(path.name + "-wal")
    if size == 0:
        return "the file is empty (truncated)"
    with path.open("rb") as handle:
        head = handle.read(HEADER)
    if len(head) == HEADER and head.startswith(b"SQLite format 3\x00"):
        page_size = _page_size(head)
        change_counter, pages, valid_for = (struct.unpack(">I", head[o:o + 4])[0] for o in (24, 28, 92))
        # The page count in the header is only kept up to date when these two counters agree.
        if pages and change_counter == valid_for and size < pages * page_size:
            return f"the file is {size:,} bytes of the {pages * page_size:,} it says it has (truncated)"
    # Anything else that is not a database SQLite itself refuses on opening, with its own words.
    return _wal_damage(wal)


def _page_size(head: bytes) -> int:
    value = struct.unpack(">H", head[16:18])[0]
    return 65536 if value == 1 else value


def _wal_damage(wal: Path) -> str | None:
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) <= WAL_HEADER:
        return None  # empty (a checkpoint truncated it) or a header with no frame: nothing in it
    magic, _version, page_size, _sequence, salt1, salt2, check1, check2 = struct.unpack(">8I", data[:WAL_HEADER])
    if magic not in WAL_MAGIC or page_size < 512 or page_size & (page_size - 1):
        return "its write-ahead log has a damaged header"
    big_endian = magic & 1
    if _checksum(data[:24], big_endian, 0, 0) != (check1, check2):
        return "its write-ahead log has a damaged header"
    frame = FRAME_HEADER + page_size
    sums = (check1, check2)
    broken_at: int | None = None
    for number, start in enumerate(range(WAL_HEADER, len(data) - frame + 1, frame), start=1):
        header = data[start:start + FRAME_HEADER]
        frame_salts = struct.unpack(">2I", header[8:16])
        current = frame_salts == (salt1, salt2)
        if broken_at is None:
            if not current:
                return None  # the frames of this generation end here; what follows is older and ignored
            sums = _checksum(header[:8] + data[start + FRAME_HEADER:start + frame], big_endian, *sums)
            if sums != struct.unpack(">2I", header[16:24]):
                broken_at = number
        elif current:
            return f"its write-ahead log is damaged at frame {broken_at}: the saves after it would be lost"
    if broken_at is not None:
        return f"its write-ahead log is damaged at frame {broken_at}"
    return None


def _checksum(data: bytes, big_endian: int, s0: int, s1: int) -> tuple[int, int]:
    """SQLite's WAL checksum: pairs of 32-bit words, each sum carried into the next."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for index in range(0, len(words), 2):
        s0 = (s0 + words[index] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[index + 1] + s0) & 0xFFFFFFFF
    return s0, s1
