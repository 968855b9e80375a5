"""The names of an entity table as a file every process memory-maps (``<table>.names``): its titles hashed and
sorted, with their English names and sources, looked up a batch at a time with numpy.

A title's 64-bit hash is computed over its UTF-8 bytes with numpy for a whole batch at once (a polynomial
over the bytes, then a mixing step); ``searchsorted`` finds it among the table's sorted hashes, and the bytes
of the title stored at that place are compared with the asked title's, so a title absent from the table is
never mistaken for another. The hash's seed is chosen when the file is built so that no two titles of the
table share a hash; the file depends on the table's content only.

Chosen by measurement (tests/benchmarks/bench_lookup.py, 1.25 M names among 2.5 M titles): looked up a batch at
a time it answers 1.6-2 times as many titles per CPU-second as a marisa-trie of the titles (asked one title at
a time from Python), and about two thirds as many as a dict, which costs every process 416 MB and 4.4 s to
load; the marisa-trie's file is half the size (40 MB against 80 MB), both start in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leia.io.mapped import Companion, MappedFile, write_mapped

__all__ = ["NAMES", "CACHE_SIZE", "Names", "hash_strings", "build_names"]

_CHUNK = 1 << 14  # strings hashed at once (their bytes: the size of the table of powers)
# Answers a Names keeps (about 250 bytes each): the titles linked most often, asked in batch after batch.
CACHE_SIZE = 65_536
_ASK = object()
_MASK = (1 << 64) - 1


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _string_parts(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, one more than the strings) into the bytes of a string array, and those bytes."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.type == pa.string():
        otype = np.int32
    elif strings.type == pa.large_string():
        otype = np.int64
    else:
        raise TypeError(f"titles must be strings, not {strings.type}")
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], otype)[strings.offset:strings.offset + len(strings) + 1].astype(np.int64) \
        if len(strings) else np.zeros(1, np.int64)
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    return offsets, data


def hash_strings(strings: pa.Array | tuple[np.ndarray, np.ndarray], seed: int) -> np.ndarray:
    """The 64-bit hash of each string of an Arrow string array (its UTF-8 bytes), or of the strings given as
    offsets into bytes, for ``seed``: with ``m`` an odd number drawn from the seed, the sum over the bytes
    ``b[j]`` of a string of ``(b[j] + 1) * m ** (j + 1)`` modulo 2**64, mixed with the length. Computed for
    all the bytes of a chunk of strings at once, each term with the power of its place in the chunk and each
    string's sum brought back to its own first byte by the inverse power of its start."""
    offsets, data = strings if isinstance(strings, tuple) else _string_parts(strings)
    out = np.empty(len(offsets) - 1, np.uint64)
    for lo in range(0, len(out), _CHUNK):
        out[lo:lo + _CHUNK] = _hash_chunk(offsets[lo:lo + _CHUNK + 1], data, seed)
    return out


_POWERS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _powers(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``m ** (i + 1)`` and ``m ** -i`` modulo 2**64 for ``i < size`` (at least), for the seed's ``m``."""
    known = _POWERS.get(seed)
    if known is None or len(known[0]) < size:
        size = max(size, 1 << 16, 2 * len(known[0]) if known else 0)
        m = _splitmix(seed) | 1
        up = np.cumprod(np.full(size, m, np.uint64))  # wraps modulo 2**64
        down = np.concatenate([np.ones(1, np.uint64), np.cumprod(np.full(size - 1, pow(m, -1, 1 << 64), np.uint64))])
        known = _POWERS[seed] = (up, down)
    return known


def _hash_chunk(offsets: np.ndarray, data: np.ndarray, seed: int) -> np.ndarray:
    begin = int(offsets[0])
    total = int(offsets[-1]) - begin
    up, down = _powers(seed, total + 1)
    terms = data[begin:begin + total].astype(np.uint64)
    terms += np.uint64(1)
    terms *= up[:total]
    sums = np.zeros(total + 1, np.uint64)
    np.cumsum(terms, out=sums[1:])
    starts, ends = offsets[:-1] - begin, offsets[1:] - begin
    h = (sums[ends] - sums[starts]) * down[starts]
    h ^= (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(_splitmix(seed + 1))
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def build_names(con, path: Path, table_key: str) -> str:
    """Write the names file of the entity table open on ``con`` at ``path``; return its digest."""
    table = con.sql("SELECT title, english, source FROM entities").to_arrow_table()
    titles = table.column("title").combine_chunks().cast(pa.large_string())
    for seed in range(16):
        hashes = hash_strings(titles, seed)
        order = np.argsort(hashes, kind="stable")
        hashes = hashes[order]
        if not len(hashes) or not (hashes[1:] == hashes[:-1]).any():
            break
    else:  # sixteen seeds that all collide: the same title twice
        raise RuntimeError("the entity table holds the same title twice")
    take = pa.array(order)
    english = table.column("english").combine_chunks().cast(pa.large_string()).take(take)
    source = table.column("source").combine_chunks().take(take)
    encoded = source.dictionary_encode()
    sources = sorted(encoded.dictionary.to_pylist())
    recode = np.array([sources.index(s) for s in encoded.dictionary.to_pylist()], np.uint8)
    codes = recode[encoded.indices.to_numpy(zero_copy_only=False)] if len(source) else np.zeros(0, np.uint8)
    t_off, t_data = _string_parts(titles.take(take))
    e_off, e_data = _string_parts(english)
    return write_mapped(path, NAMES.kind, {
        "hashes": hashes,
        "title_offsets": t_off - t_off[0], "title_data": t_data[t_off[0]:t_off[-1]],
        "english_offsets": e_off - e_off[0], "english_data": e_data[e_off[0]:e_off[-1]],
        "source": codes.astype(np.uint8),
    }, {"format": NAMES.format, "seed": seed, "sources": sources, "rows": len(hashes), "table": table_key})


NAMES = Companion(suffix=".names", key="names_file", kind="entity names", what="names file",
                  command="leia entities", build=build_names)


class Names:
    """A names file, mapped: English names and sources for batches of titles."""

    def __init__(self, mapped: MappedFile):
        self.mapped = mapped
        self.seed: int = mapped.extra["seed"]
        self.sources: list[str] = mapped.extra["sources"]
        self.hashes = mapped.array("hashes")
        self.titles = pa.Array.from_buffers(pa.large_string(), len(mapped.array("hashes")), [
            None, pa.py_buffer(mapped.buffer("title_offsets")), pa.py_buffer(mapped.buffer("title_data"))])
        self.codes = mapped.array("source")
        self._cache: dict[str, tuple[str, str] | None] = {}
        self.english = pa.Array.from_buffers(pa.large_string(), len(self.hashes), [
            None, pa.py_buffer(mapped.buffer("english_offsets")), pa.py_buffer(mapped.buffer("english_data"))])

    def __len__(self) -> int:
        return len(self.hashes)

    def find(self, titles: pa.Array) -> np.ndarray:
        """The row of each title (int64), -1 where the table has none."""
        rows = self._find(*_string_parts(titles))
        if titles.null_count:
            rows[np.asarray(titles.is_null().to_numpy(zero_copy_only=False))] = -1
        return rows

    def _find(self, offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
        """The row of each string ``data[offsets[k]:offsets[k + 1]]``, -1 where the table has none."""
        rows = np.full(len(offsets) - 1, -1, np.int64)
        if not len(rows) or not len(self.hashes):
            return rows
        hashes = hash_strings((offsets, data), self.seed)
        at = np.searchsorted(self.hashes, hashes)
        at[at == len(self.hashes)] = 0
        # The title stored where each hash was found, compared with the asked one: an absent title whose hash
        # is some title's is not taken for it.
        asked = pa.Array.from_buffers(pa.large_string(), len(rows), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        same = np.asarray(pc.equal(asked, self.titles.take(pa.array(at))).to_numpy(zero_copy_only=False))
        equal = same & (self.hashes[at] == hashes)
        rows[equal] = at[equal]
        return rows

    def _find_list(self, titles: list) -> np.ndarray:
        """:meth:`find` for a list of str: their UTF-8 bytes made in one call, joined by NUL (which no title
        holds; a list with one, or with None, goes through Arrow)."""
        joined = "\0".join(titles) if all(isinstance(t, str) for t in titles) else None
        if joined is None or joined.count("\0") != len(titles) - 1:
            return self.find(pa.array(titles, pa.string()))
        data = np.frombuffer(joined.encode("utf-8"), np.uint8)
        nul = np.flatnonzero(data == 0)
        offsets = np.concatenate([np.zeros(1, np.int64), nul + 1 - np.arange(1, len(titles), dtype=np.int64),
                                  np.array([len(data) - len(nul)], np.int64)])
        return self._find(offsets, data[data != 0])

    def lookup_arrow(self, titles: pa.Array) -> pa.Table:
        """``english`` and ``source`` of each title (null where unknown), in the titles' order."""
        rows = self.find(titles)
        missing = rows < 0
        index = pa.array(rows, mask=missing)
        codes = np.zeros(len(rows), np.int32)
        codes[~missing] = self.codes[rows[~missing]]
        source = pa.DictionaryArray.from_arrays(pa.array(codes, mask=missing), pa.array(self.sources, pa.string()))
        return pa.table({"english": self.english.take(index), "source": source})

    def lookup_with_source(self, titles: Iterable[str]) -> list[tuple[str, str] | None]:
        """``(English name, source)`` of each title, None where unknown. The answers of the last
        :data:`CACHE_SIZE` titles asked are kept: the titles linked most often are asked again and again."""
        cache = self._cache
        answers = [cache.get(t, _ASK) for t in titles]
        missed = [k for k, a in enumerate(answers) if a is _ASK]
        if not missed:
            return answers
        asked = [titles[k] for k in missed] if isinstance(titles, (list, tuple)) else None
        if asked is None:
            titles = list(titles)
            asked = [titles[k] for k in missed]
        rows = self._find_list(asked)
        present = rows >= 0
        english = iter(self.english.take(pa.array(rows[present])).to_pylist())
        sources = iter(self.codes[rows[present]].tolist())
        if len(cache) + len(missed) > CACHE_SIZE:
            cache.clear()
        names = self.sources
        for k, title, found in zip(missed, asked, present.tolist()):
            answer = (next(english), names[next(sources)]) if found else None
            answers[k] = cache[title] = answer
        return answers

    def lookup(self, titles: Sequence[str | None]) -> list[str | None]:
        return [a[0] if a else None for a in self.lookup_with_source(titles)]
