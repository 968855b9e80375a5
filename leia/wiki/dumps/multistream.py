"""Reading a dump piece by piece: the blocks of a multistream ``.xml.bz2`` (or of a plain ``.xml``), so that
several processes can each decompress only their own part of it.

A *block* is a byte range of the file that can be decoded on its own: one bz2 stream of a multistream dump
(Wikimedia writes 100 pages per stream, the ``<siteinfo>`` header in a stream of its own), or a fixed-size
slice of an uncompressed dump. A page belongs to the block holding the first byte of its ``<page>`` tag,
wherever it ends: a reader of blocks ``[i, j)`` decodes further blocks until the last page that starts in
its range is complete, and skips the tail of a page that started before ``i``. So the pages of consecutive
ranges, one after the other, are exactly the pages of the dump, whatever the cut points.
"""

from __future__ import annotations

import bz2
import os
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import BinaryIO, Callable, Container, Iterator, NamedTuple

from leia.errors import InputError
from leia.wiki.dumps.compression import compression_of
from leia.wiki.dumps.xmldump import PAGE_END, PAGE_START, DumpReader, PageCutter, RawPage

__all__ = ["DumpBlocks", "BlockCount", "RangeReader", "ShardRange", "count_pages", "dump_blocks", "find_streams",
           "is_stream_start", "iter_range", "plan_shards", "split_ranges"]

_MAGIC = b"\x31\x41\x59\x26\x53\x59"  # first block of a stream, right after b"BZh" and the level digit
_END_MAGIC = 0x177245385090  # end of stream, bit-aligned, then a 32-bit CRC and padding to a byte
_SCAN = 1 << 24
_READ = 1 << 20
_PROBE = 1 << 12
_PAGE, _END = PAGE_START, PAGE_END


def is_stream_start(fd: int, offset: int) -> bool:
    """Whether a bz2 stream starts at ``offset`` of the open file ``fd``: its header is there, the bytes
    before it end a stream (end-of-stream magic, CRC, padding), and its first bytes decompress."""
    head = os.pread(fd, _PROBE, offset)
    if head[:3] != b"BZh" or head[3:4] not in b"123456789" or head[4:10] != _MAGIC or len(head) < 10:
        return False
    if offset:
        if offset < 10:
            return False
        tail = int.from_bytes(os.pread(fd, 11, offset - 11) if offset >= 11 else os.pread(fd, offset, 0), "big")
        if not any((tail >> (32 + pad)) & (2**48 - 1) == _END_MAGIC for pad in range(8)):
            return False
    try:
        bz2.BZ2Decompressor().decompress(head)
    except OSError:
        return False
    return True


def find_streams(path: str | os.PathLike) -> list[int]:
    """The offsets at which the bz2 streams of ``path`` start, found by scanning for stream headers (each
    verified by :func:`is_stream_start`); ``[0]`` for an ordinary single-stream file."""
    offsets: list[int] = []
    with open(path, "rb") as f:
        fd = f.fileno()
        base = 0
        carry = b""
        while chunk := f.read(_SCAN):
            data = carry + chunk
            start = base - len(carry)
            pos = data.find(_MAGIC, 4)
            while pos >= 0:
                candidate = start + pos - 4
                if (not offsets or candidate > offsets[-1]) and is_stream_start(fd, candidate):
                    offsets.append(candidate)
                pos = data.find(_MAGIC, pos + 1)
            carry = data[-(len(_MAGIC) + 3):]
            base += len(chunk)
    return offsets


@dataclass(frozen=True)
class DumpBlocks:
    """A dump cut into blocks: block ``b`` is bytes ``offsets[b]:offsets[b + 1]``; ``codec`` is ``"bz2"``
    (each block is whole bz2 streams) or ``"plain"``."""

    path: str
    codec: str
    offsets: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def span(self, i: int, j: int) -> int:
        """Bytes of the file in blocks ``[i, j)``."""
        return self.offsets[j] - self.offsets[i]


def dump_blocks(path: str | os.PathLike, block_size: int = 1 << 23) -> DumpBlocks:
    """The blocks of a dump: the streams of a bz2 file (one block when it is a single stream), slices of
    ``block_size`` bytes of an uncompressed one, a single block for anything else (gzip)."""
    from leia.io.integrity import regular_file

    path = os.fspath(path)
    size = regular_file(path, "dump").st_size
    kind = compression_of(path)
    if kind == "bz2":
        return DumpBlocks(path, "bz2", (*find_streams(path), size))
    if kind == "gzip" or size == 0:
        return DumpBlocks(path, "gzip", (0, size))
    return DumpBlocks(path, "plain", (*range(0, size, block_size), size))


def split_ranges(blocks: DumpBlocks, n: int) -> list[tuple[int, int]]:
    """At most ``n`` ranges ``[i, j)`` of consecutive blocks, covering all, of about equal size in bytes."""
    count = len(blocks)
    n = max(1, min(n, count))
    ranges: list[tuple[int, int]] = []
    total = blocks.offsets[-1] - blocks.offsets[0]
    i = 0
    for k in range(1, n + 1):
        if i >= count:
            break
        goal = blocks.offsets[0] + total * k / n
        j = i + 1
        while j < count and blocks.offsets[j] < goal and count - j > n - k:
            j += 1
        if k == n:
            j = count
        ranges.append((i, j))
        i = j
    return ranges


class _Decoded:
    """The decoded bytes of the blocks of a dump, one block at a time; ``consumed`` counts the file's bytes
    read."""

    def __init__(self, f: BinaryIO, blocks: DumpBlocks):
        self.f, self.blocks = f, blocks
        self.consumed = 0

    def block(self, b: int) -> Iterator[bytes]:
        blocks = self.blocks
        self.f.seek(blocks.offsets[b])
        left = blocks.span(b, b + 1)
        decompressor = bz2.BZ2Decompressor() if blocks.codec == "bz2" else None
        while left:
            data = self.f.read(min(_READ, left))
            if not data:
                raise InputError(f"{blocks.path}: the file ended early (it changed while being read?)")
            left -= len(data)
            self.consumed += len(data)
            if decompressor is None:
                yield data
                continue
            try:
                while data:
                    if decompressor.eof:
                        decompressor = bz2.BZ2Decompressor()
                    out = decompressor.decompress(data)
                    data = decompressor.unused_data if decompressor.eof else b""
                    if out:
                        yield out
            except OSError as e:
                raise InputError(f"{blocks.path}: compressed stream at byte {blocks.offsets[b]} is corrupt "
                                 f"({e})") from None
        if decompressor is not None and not decompressor.eof:
            raise InputError(f"{blocks.path}: compressed stream at byte {blocks.offsets[b]} is truncated")


def _done(rest: bytes) -> bool:
    """Whether no page starts in ``rest``, what is left of the bytes read after the last complete page: a
    page that started there would show its ``<page>`` tag, or the beginning of it at the very end."""
    return _PAGE not in rest and not any(rest.endswith(_PAGE[:k]) for k in range(1, len(_PAGE)))


def _pieces(decoded: _Decoded, i: int, j: int, done: Callable[[], bool]) -> Iterator[tuple[int, bytes | None]]:
    """(block, bytes) from block ``i`` on; before each block from ``j`` on, ``done()`` may end the range,
    said by a last ``(block, None)``."""
    for b in range(i, len(decoded.blocks)):
        if b >= j and done():
            yield b, None
            return
        for data in decoded.block(b):
            yield b, data


def _pages(blocks: DumpBlocks, i: int, j: int, decoded: _Decoded) -> Iterator[tuple[int, bytes]]:
    """(block, XML) of the pages that start in blocks ``[i, j)``, cut out of the decoded bytes by the
    dump's :class:`PageCutter`; checks what lies between pages and the end of the dump."""
    cutter = PageCutter(lambda what: InputError(f"{blocks.path}: {what}"))
    starts: list[tuple[int, int]] = []  # (position in buffer, block) where each block's bytes begin

    def block_at(position: int) -> int:
        return next(b for p, b in reversed(starts) if p <= position)

    def beyond(begin: int) -> bool:
        return block_at(begin) >= j

    for b, data in _pieces(decoded, i, j, lambda: _done(cutter.buffer)):
        if data is None:
            return
        if not starts or starts[-1][1] != b:
            starts.append((len(cutter.buffer), b))
        cutter.buffer += data
        for begin, xml in cutter.pages(beyond):
            yield block_at(begin), xml
        if cutter.stopped:
            return
        if not cutter.incomplete:
            if b >= j and len(cutter.buffer) >= next(p for p, blk in starts if blk >= j) + len(_PAGE):
                return  # no page that starts before block j is left
            if cutter.leading and len(cutter.buffer) > _READ:
                # the header or the tail of an earlier page: only its end matters
                cutter.pos = len(cutter.buffer) - _PROBE
        pos = cutter.pos
        first = block_at(pos)
        starts = [(0, first)] + [(p - pos, blk) for p, blk in starts if p > pos]
        cutter.drop()
    buffer = cutter.buffer
    if buffer.find(_PAGE) >= 0:
        raise InputError(f"{blocks.path}: the dump ends inside a page")
    if cutter.leading:
        if i == 0:
            return
        if _END in buffer:
            buffer = buffer[buffer.rfind(_END) + len(_END):]
    if buffer.strip() != b"</mediawiki>":
        raise InputError(f"{blocks.path}: malformed XML: the dump does not end with </mediawiki> "
                         f"({buffer.strip()[-40:]!r})")


def iter_range(blocks: DumpBlocks, i: int, j: int) -> Iterator[tuple[int, RawPage]]:
    """(block, page) for every page that starts in blocks ``[i, j)``, numbered from 1 within the range."""
    with open(blocks.path, "rb") as f:
        for number, (block, xml) in enumerate(_pages(blocks, i, j, _Decoded(f, blocks)), 1):
            yield block, RawPage.cut(number, xml)


class BlockCount(NamedTuple):
    """What the pages that start in one block are: how many, how many articles, and how many articles
    come before its last page (what decides the shard of that page)."""

    pages: int
    articles: int
    before_last: int


def count_pages(blocks: DumpBlocks, i: int, j: int) -> list[BlockCount]:
    """The :class:`BlockCount` of each block in ``[i, j)``."""
    pages = [0] * (j - i)
    articles = [0] * (j - i)
    before_last = [0] * (j - i)
    for block, page in iter_range(blocks, i, j):
        k = block - i
        pages[k] += 1
        before_last[k] = articles[k]
        articles[k] += page.is_article
    return [BlockCount(*c) for c in zip(pages, articles, before_last)]


class RangeReader(DumpReader):
    """A :class:`DumpReader` whose :meth:`raw_pages` are those starting in blocks ``[first, end)``, numbered
    as in the whole dump (``first_page`` pages come before them); only those blocks are decoded (and the
    rest of a page that crosses the end)."""

    def __init__(self, blocks: DumpBlocks, first: int, end: int, first_page: int = 0):
        super().__init__(blocks.path)
        self.blocks, self.first, self.end, self.first_page = blocks, first, end, first_page
        self._decoded: _Decoded | None = None

    @property
    def bytes_read(self) -> int:
        return self._decoded.consumed if self._decoded else 0

    def raw_pages(self) -> Iterator[RawPage]:
        self.read_siteinfo()
        self.pages_read = 0
        with open(self.path, "rb") as f:
            self._decoded = _Decoded(f, self.blocks)
            for _, xml in _pages(self.blocks, self.first, self.end, self._decoded):
                self.pages_read += 1
                yield RawPage.cut(self.first_page + self.pages_read, xml)


@dataclass(frozen=True)
class ShardRange:
    """Shards ``first_shard`` to ``last_shard`` (inclusive) of an extraction, and the blocks
    ``[first_block, end_block)`` where their pages start; ``first_article`` articles and ``first_page``
    pages come before ``first_block``."""

    first_shard: int
    last_shard: int
    first_block: int
    end_block: int
    first_article: int
    first_page: int

    @property
    def name(self) -> str:
        return f"shards-{self.first_shard:05d}-{self.last_shard:05d}"

    def __contains__(self, shard: object) -> bool:
        return isinstance(shard, int) and self.first_shard <= shard <= self.last_shard


def plan_shards(counts: list[BlockCount], shard_size: int, done: Container[int], units: int) -> list[ShardRange]:
    """Cut the shards not in ``done`` into about ``units`` ranges of consecutive shards, each with the
    blocks it must read. A page is in the shard :func:`leia.wiki.dumps.xmldump.shard_of` says, so a block's pages span
    the shards from its first page's to its last page's, and a shard's pages lie in consecutive blocks."""
    from leia.wiki.dumps.xmldump import shard_of

    articles = pages = 0
    with_pages: list[int] = []
    low: list[int] = []
    high: list[int] = []
    before: list[tuple[int, int]] = []
    for b, count in enumerate(counts):
        if count.pages:
            with_pages.append(b)
            low.append(shard_of(articles, shard_size))
            high.append(shard_of(articles + count.before_last, shard_size))
        before.append((articles, pages))
        articles += count.articles
        pages += count.pages
    if not with_pages:
        return []
    pending = [s for s in range(high[-1] + 1) if s not in done]
    if not pending:
        return []
    size = -(-len(pending) // max(1, units))
    pieces: list[list[int]] = []
    for s in pending:
        if pieces and len(pieces[-1]) < size and pieces[-1][-1] == s - 1:
            pieces[-1].append(s)
        else:
            pieces.append([s])
    plan = []
    for piece in pieces:
        first = with_pages[bisect_left(high, piece[0])]
        end = with_pages[bisect_right(low, piece[-1]) - 1] + 1
        plan.append(ShardRange(piece[0], piece[-1], first, end, *before[first]))
    return plan
