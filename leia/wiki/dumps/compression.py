"""Compressed files as the readers of the wiki package open them: the compression told by the file's magic
bytes (bz2, multistream bz2 included, gzip, or none), and a decompressed stream that counts the compressed
bytes read, for progress bars.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
from typing import BinaryIO

__all__ = ["compression_of", "open_binary", "CountingReader", "FastBz2"]


def compression_of(path: str | os.PathLike) -> str:
    """``"bz2"``, ``"gzip"`` or ``"plain"``: how the file at ``path`` is compressed, by its magic bytes."""
    with open(path, "rb") as f:
        magic = f.read(3)
    if magic == b"BZh":
        return "bz2"
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    return "plain"


class CountingReader(io.RawIOBase):
    """Wraps a raw file and counts the (compressed) bytes consumed, for progress bars."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class FastBz2(io.RawIOBase):
    """bz2 through indexed_bzip2, which decodes blocks in C++ (about 1.6x Python's bz2 on one thread, and
    on several threads when asked). It reads ahead and fails on the first damaged block it meets, so on a
    fault the rest is read again with Python's bz2, which yields every intact byte before the damage and
    then raises EOFError."""

    def __init__(self, path: str, threads: int):
        import indexed_bzip2

        self.path = path
        self.file = indexed_bzip2.open(path, parallelization=threads)
        self.fallback: BinaryIO | None = None
        self.position = 0
        self._consumed = 0

    @property
    def consumed(self) -> int:
        if self.fallback is None and not self.file.closed:
            self._consumed = self.file.tell_compressed() // 8
        return self._consumed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.fallback is None:
            try:
                n = self.file.readinto(buffer)
                self.position += n
                return n
            except (RuntimeError, ValueError):  # indexed_bzip2 raises either on a damaged block
                self._consumed = os.path.getsize(self.path)
                self.file.close()
                self.fallback = bz2.open(self.path, "rb")
                self.fallback.seek(self.position)
        data = self.fallback.read1(min(len(buffer), 1 << 16))  # small reads: each intact piece before the damage
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.fallback is not None:
            self.fallback.close()
        elif not self.file.closed:
            self._consumed = self.consumed
            self.file.close()
        super().close()


def open_binary(path: str | os.PathLike, threads: int = 1) -> tuple[BinaryIO, "CountingReader | FastBz2"]:
    """Open a possibly compressed file by its magic bytes; returns (decompressed stream, an object whose
    ``consumed`` is the compressed bytes read so far). bz2 (multistream too) is decoded with
    ``threads`` threads when indexed_bzip2 is installed."""
    from leia.io.integrity import regular_file

    path = os.fspath(path)
    regular_file(path)
    kind = compression_of(path)
    if kind == "bz2":
        try:
            fast = FastBz2(path, threads)
        except ImportError:
            pass
        else:
            return io.BufferedReader(fast, buffer_size=1 << 20), fast  # type: ignore[return-value]
    raw = open(path, "rb")
    counter = CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    if kind == "bz2":
        return bz2.BZ2File(buffered), counter  # reads concatenated (multistream) bz2 streams
    if kind == "gzip":
        return gzip.GzipFile(fileobj=buffered), counter
    return buffered, counter
