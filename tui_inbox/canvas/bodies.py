"""Reading an answer's body without letting a server exhaust memory or disk.

httpx, left to itself, reads a whole body into memory (``Content-Length: 5000000000`` took
the app to 3.9 GB) and inflates each gzip chunk in one go (64 kB of gzipped zeros become
64 MB at once). So bodies are read raw and decoded here, in pieces of at most ``PIECE``
bytes, counted as they are decoded: the cap holds whether ``Content-Length`` is missing,
honest about a compressed size, or lying. An honest length over the cap is refused before
a byte of the body is read.
"""

from __future__ import annotations

import zlib
from typing import AsyncIterator, Iterator

from .lazy_httpx import httpx

from .errors import ResponseTooLarge, ServerError
from .origins import where

MB = 1024 * 1024
# Generous: Canvas's largest answers (a page of 100 conversations with their participants)
# are a few hundred kB; anything near this is a broken or hostile server, not data.
MAX_BODY = 32 * MB
MAX_DOWNLOAD = 2048 * MB
PIECE = 1 * MB
ACCEPTED_ENCODINGS = "gzip, deflate"  # what the client asks for: the ones decoded here


def size_text(size: int) -> str:
    if size >= 1024 * MB and size % (1024 * MB) == 0:
        return f"{size // (1024 * MB)} GB"
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    return f"{size:,} bytes"


def declared_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


def too_large(url: httpx.URL, limit: int, what: str = "an answer") -> ResponseTooLarge:
    return ResponseTooLarge(f"{where(url)} sent more than {size_text(limit)} for {what}: refused, "
                            "a broken server or proxy may be in the way.")


async def pieces(response: httpx.Response, limit: int, what: str = "an answer") -> AsyncIterator[bytes]:
    """The decoded body of a streamed response, piece by piece, refused once it passes ``limit``."""
    declared = declared_length(response)
    if declared is not None and declared > limit:
        raise too_large(response.url, limit, what)
    total = 0
    async for piece in _decoded(response):
        total += len(piece)
        if total > limit:
            raise too_large(response.url, limit, what)
        yield piece


async def read_capped(response: httpx.Response, limit: int) -> None:
    """Read a streamed body into the response (so .content, .text and .json() work as usual)."""
    body = bytearray()
    async for piece in pieces(response, limit):
        body += piece
    # Where httpx's own ``aread`` keeps a body it has read.
    response._content = bytes(body)
    await response.aclose()


async def _decoded(response: httpx.Response) -> AsyncIterator[bytes]:
    if hasattr(response, "_content"):  # built in memory (a mock transport): httpx has decoded it already
        yield response.content
        return
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding in ("", "identity"):
        async for raw in response.aiter_raw():
            yield raw
        return
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise ServerError(f"{where(response.url)} sent an answer encoded as {coding[:40]!r}, which was not asked "
                          "for: refused.")
    inflater = None
    try:
        async for raw in response.aiter_raw():
            if inflater is None:
                inflater = zlib.decompressobj(_window(coding, raw))
            for piece in _inflate(inflater, raw):
                yield piece
        if inflater is not None:
            if not inflater.eof:
                raise zlib.error("truncated")
            yield inflater.flush()
    except zlib.error:
        raise ServerError(f"{where(response.url)} sent a damaged {coding} answer: refused.") from None


def _window(coding: str, first: bytes) -> int:
    if coding != "deflate":
        return zlib.MAX_WBITS | 16  # gzip
    # "deflate" is zlib-wrapped by the standard and raw by some servers: tell them apart as httpx does.
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


def _inflate(inflater, data: bytes) -> Iterator[bytes]:
    """Inflate ``data`` at most ``PIECE`` bytes at a time: a bomb never lands in memory whole."""
    while data and not inflater.eof:
        piece = inflater.decompress(data, PIECE)
        if piece:
            yield piece
        data = inflater.unconsumed_tail
