"""A trie of strings whose transitions are hashed into flat numpy arrays, so that a file can hold it for every
process to map and a text is searched at all of its positions at once, one vectorised step per character.

Node ``n`` stands for a prefix of the strings. The nodes of one character are found by code point (``first``);
those of ``L`` characters, ``L`` > 1, by a key, their parent node shifted left by 21 bits (a code point's
width) and or-ed with their last code point. The keys of level ``L`` sit in ``2 ** bits`` buckets, chosen by
the top bits of the key times an odd constant, each bucket's keys in ascending order, and a node's number is
the place of its key: so a level is built with a sort, without inserting keys one by one, and a key is found
by reading where its bucket begins, then the bucket's keys up to the one wanted (mostly the first). A stored
key carries two flags in its top bits: a string ends at its node (whose id is ``values[n]``, -1 for none),
and it is the last key of its bucket.

Searching a text follows every position at once: level 1 for all of them, then level ``L`` for the positions
whose prefix of ``L - 1`` characters is still in the trie, until none is. Keys are compared whole, so a
match is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["HashTrie", "SECTIONS", "SEPARATOR", "WINDOW", "build_hashtrie", "text_codes"]

_SHIFT = np.uint64(21)
_MIX = np.uint64(0x9E3779B97F4A7C15)
# A 21-bit number that is no code point: no key holds it, so no occurrence runs past the end of a text or
# across it to the next.
SEPARATOR = 0x1FFFFF
# How many positions of a text a search follows at once: its arrays stay at a few MB whatever the text's length.
WINDOW = 1 << 16
_ENDS = np.uint64(1 << 63)  # the bit of a stored key that says a string ends at its node
_LAST = np.uint64(1 << 62)  # the bit of the last key of a bucket
_KEY = np.uint64((1 << 62) - 1)
# The arrays of a HashTrie, as a file's sections are named.
SECTIONS = ("first", "keys", "values", "buckets", "levels")


def text_codes(text: str) -> np.ndarray:
    """The code points of ``text`` (uint32)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _bucket(keys: np.ndarray, bits: int) -> np.ndarray:
    return ((keys * _MIX) >> np.uint64(64 - bits)).astype(np.int64)


@dataclass(frozen=True)
class HashTrie:
    """``first`` (int32 by code point, up to one past the greatest initial, which is -1 as any code point
    beyond): the node of each one-character prefix, -1 for none; ``keys`` (uint64, with their flags, and after
    the last one that no key equals) and ``values`` (int32), by node; ``buckets`` (uint32, or int64 past 4 G
    nodes): for each level after the first, where the keys of each of its buckets begin; ``levels`` (int64,
    one row per prefix length): where the level's buckets begin in ``buckets`` and how many bits choose a
    bucket."""

    first: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    buckets: np.ndarray
    levels: np.ndarray

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "HashTrie":
        """Over the arrays :meth:`arrays` gave (read from a file: ``levels`` comes flat)."""
        return cls(*(arrays[name] for name in SECTIONS[:-1]), arrays["levels"].reshape(-1, 2))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in SECTIONS}

    @property
    def depth(self) -> int:
        """The length of the longest string."""
        return len(self.levels) - 1

    def search(self, codes: np.ndarray, wanted: np.ndarray, longest: int, window: int = WINDOW
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every occurrence in the text of code points ``codes`` of a string whose id is ``wanted`` (a boolean
        or 0/1 array by id) and whose length is at most ``longest``: starts, ends and ids (int64), by start
        then end. No occurrence holds a code point above 0x10FFFF: several texts can be searched at once,
        joined by :data:`SEPARATOR`. The starts are followed ``window`` at a time, so that what a search holds
        besides the text and what it finds does not grow with the text."""
        n = len(codes)
        longest = min(longest, self.depth)
        if not n or longest < 1:
            return _empty()
        begins = range(0, n, window)
        parts = [self._window(codes[begin:begin + window + longest], min(window, n - begin), wanted, longest)
                 for begin in begins]
        if len(parts) == 1:
            return parts[0]
        shifted = [(s + begin, e + begin, i) for begin, (s, e, i) in zip(begins, parts)]
        return tuple(np.concatenate(column) for column in zip(*shifted))  # type: ignore[return-value]

    def _window(self, codes: np.ndarray, count: int, wanted: np.ndarray, longest: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`search` for the occurrences that start at the first ``count`` positions of ``codes``."""
        padded = np.concatenate([codes, np.full(count + longest - len(codes), SEPARATOR, np.uint32)]
                                ).astype(np.uint64)
        node = self.first[np.minimum(codes[:count], len(self.first) - 1)]  # past the last initial: -1
        pos = np.flatnonzero(node >= 0)
        node = node[pos].astype(np.int64)
        ends_here = self.values[node] >= 0
        found: list[tuple[np.ndarray, int, np.ndarray]] = []
        keys, values, levels = self.keys, self.values, self._levels
        length = 1
        while True:
            if ends_here.any():
                at, ids = pos[ends_here], values[node[ends_here]].astype(np.int64)
                take = wanted[ids] != 0
                found.append((at[take], length, ids[take]))
            length += 1
            if length > longest or not len(pos):
                break
            key = (node.view(np.uint64) << _SHIFT) | padded[pos + (length - 1)]
            pos, node, ends_here = _probe(keys, key, pos, *levels[length])
        if not found:
            return _empty()
        starts = np.concatenate([f[0] for f in found])
        lengths = np.concatenate([np.full(len(f[0]), f[1], np.int64) for f in found])
        ids = np.concatenate([f[2] for f in found])
        order = np.argsort(starts * (longest + 1) + lengths)
        starts, ids = starts[order], ids[order]
        return starts, starts + lengths[order], ids

    def __getstate__(self) -> dict:
        return {name: getattr(self, name) for name in SECTIONS}  # not the views of ``_levels``

    @cached_property
    def _levels(self) -> list[tuple[np.ndarray, np.uint64]]:
        """For each level after the first, where the keys of each of its buckets begin, and the shift that
        leaves a key's bucket."""
        return [(self.buckets[base:base + (1 << bits)], np.uint64(64 - bits)) if length > 1 else (self.buckets, 0)
                for length, (base, bits) in enumerate(self.levels.tolist())]


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)


def _probe(keys: np.ndarray, key: np.ndarray, pos: np.ndarray, begins: np.ndarray, shift: np.uint64
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions ``pos`` whose ``key`` is in a level (where its buckets begin, and the shift that leaves a
    key's bucket), with the node of each and whether a string ends there. A bucket's first key is read
    whatever the bucket holds: an empty bucket begins where the next one does (or at the sentinel after the
    last key), and so reads a key of another bucket, never the key wanted; the keys after it are read up to
    the last of its bucket, or one greater than the key wanted."""
    at = begins[((key * _MIX) >> shift).view(np.int64)].astype(np.int64)
    got = keys[at]
    bare = got & _KEY
    hit = bare == key
    more = np.flatnonzero(bare < key)
    more = more[got[more] & _LAST == 0]
    if not len(more):
        return pos[hit], at[hit], got[hit] >= _ENDS
    found = [(pos[hit], at[hit], got[hit])]
    at, want, where = at[more] + 1, key[more], pos[more]
    while len(at):
        got = keys[at]
        bare = got & _KEY
        hit = bare == want
        found.append((where[hit], at[hit], got[hit]))
        more = (bare < want) & (got & _LAST == 0)
        at, want, where = at[more] + 1, want[more], where[more]
    return (np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]) >= _ENDS)


def build_hashtrie(strings: list[str], ids: np.ndarray) -> HashTrie:
    """The trie of ``strings`` (distinct, not empty), each ending at a node whose value is its id in ``ids``."""
    if any(not s for s in strings):
        raise ValueError("a trie of strings holds no empty string")
    lengths = np.fromiter(map(len, strings), np.int64, len(strings))
    codes = np.concatenate([text_codes("".join(strings)), np.zeros(1, np.uint32)])
    offsets = np.zeros(len(strings), np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    ids = np.asarray(ids, np.int64)
    depth = int(lengths.max()) if len(strings) else 0
    initials = codes[offsets]
    uniq = np.unique(initials)
    first = np.full(int(uniq[-1]) + 2 if len(uniq) else 1, -1, np.int32)
    first[uniq] = np.arange(len(uniq), dtype=np.int32)
    node = np.searchsorted(uniq, initials).astype(np.int64)
    value_parts = [np.full(len(uniq), -1, np.int32)]
    ends_here = lengths == 1
    value_parts[0][node[ends_here]] = ids[ends_here]
    key_parts = [uniq.astype(np.uint64) | np.where(value_parts[0] >= 0, _ENDS, np.uint64(0))]
    bucket_parts: list[np.ndarray] = []
    levels = np.zeros((depth + 1, 2), np.int64)
    total, bounds = len(uniq), 0
    for length in range(2, depth + 1):
        alive = np.flatnonzero(lengths >= length)
        key = (node[alive].astype(np.uint64) << _SHIFT) | codes[offsets[alive] + (length - 1)]
        uniq, inverse = np.unique(key, return_inverse=True)
        bits = max(1, (len(uniq) - 1).bit_length())
        bucket = _bucket(uniq, bits)
        order = np.argsort(bucket, kind="stable")  # within a bucket, keys stay ascending
        numbers = np.empty(len(uniq), np.int64)
        numbers[order] = total + np.arange(len(uniq), dtype=np.int64)
        node[alive] = numbers[inverse.reshape(-1)]
        values = np.full(len(uniq), -1, np.int32)
        last = lengths[alive] == length
        values[numbers[inverse.reshape(-1)[last]] - total] = ids[alive[last]]
        stored = uniq[order] | np.where(values >= 0, _ENDS, np.uint64(0))
        starts = np.zeros((1 << bits) + 1, np.int64)
        np.cumsum(np.bincount(bucket, minlength=1 << bits), out=starts[1:])
        lasts = starts[1:][starts[1:] > starts[:-1]] - 1  # the last key of each bucket that has one
        stored[lasts] |= _LAST
        key_parts.append(stored)
        value_parts.append(values)
        bucket_parts.append(starts[:-1] + total)
        levels[length] = (bounds, bits)
        total += len(uniq)
        bounds += 1 << bits
    bounds_type = np.uint32 if total < 1 << 32 else np.int64  # half the size, for any trie that fits
    key_parts.append(np.full(1, np.iinfo(np.uint64).max, np.uint64))  # after the last bucket: no key
    return HashTrie(first, np.concatenate(key_parts), np.concatenate(value_parts),
                    np.concatenate(bucket_parts).astype(bounds_type) if bucket_parts else np.zeros(0, bounds_type),
                    levels)
