"""The texts of a record batch kept as the UTF-8 bytes Arrow holds, addressed by code point as anchors are:
where each code point starts, the line breaks and the letters of the alphabets English names are written
in, a stretch decoded on its own, and the texts rebuilt with strings inserted, never as one Python string
per document."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["BatchText", "is_letter", "first_code_points", "folded_letter_counts"]


def _letter_table() -> np.ndarray:
    table = np.zeros(0x10001, dtype=bool)
    table[0x41:0x5B] = table[0x61:0x7B] = table[0xC0:0x530] = table[0xFF21:0xFF3B] = table[0xFF41:0xFF5B] = True
    table[[0xD7, 0xF7]] = False
    return table


_LETTERS = _letter_table()



def is_letter(codes: np.ndarray) -> np.ndarray:
    """Letters of the alphabets an English name is written in: Latin (with its extensions), Greek, Cyrillic."""
    return _LETTERS.take(codes, mode="clip")


_FOLDED: tuple[np.ndarray, np.ndarray] | None = None


def _folded_letters() -> tuple[np.ndarray, np.ndarray]:
    """How many letters (:func:`is_letter`) each character of the BMP gives when case-folded (``str.casefold``:
    one for most Latin letters, two for ß, three for ﬃ; none for CJK), and the first bytes of the UTF-8 of
    those beyond ASCII that give any."""
    global _FOLDED
    if _FOLDED is None:
        folded = [chr(c).casefold() for c in range(0x10000)]
        codes = np.frombuffer("".join(folded).encode("utf-32-le", "surrogatepass"), np.uint32)
        starts = np.concatenate([[0], np.cumsum([len(f) for f in folded])[:-1]])
        counts = np.add.reduceat(is_letter(codes).astype(np.uint8), starts).astype(np.uint8)
        leads = np.unique([chr(c).encode("utf-8")[0] for c in np.flatnonzero(counts[0x80:]) + 0x80
                           if not 0xD800 <= c < 0xE000])
        _FOLDED = counts, np.union1d(leads, np.arange(0xF0, 0xF5)).astype(np.uint8)  # (beyond the BMP: up to 3)
    return _FOLDED


def folded_letter_counts(texts: list[str]) -> np.ndarray:
    """The letters (:func:`is_letter`) of each text case-folded."""
    folded = [t.casefold() for t in texts]
    if not folded:
        return np.zeros(0, np.int64)
    letters = is_letter(np.frombuffer("".join(folded).encode("utf-32-le", "surrogatepass"), np.uint32))
    ends = np.cumsum([len(f) for f in folded])
    total = np.concatenate([[0], np.cumsum(letters, dtype=np.int64)])
    return total[ends] - total[np.concatenate([[0], ends[:-1]])]


def _decode_at(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The code points of the UTF-8 sequences that start at the byte positions ``at`` of ``data``."""
    if not len(at):
        return np.zeros(0, np.uint32)
    last = len(data) - 1  # a sequence is whole: the bytes past the end are never used
    b0 = data[at].astype(np.uint32)
    b1, b2, b3 = (data[np.minimum(at + k, last)].astype(np.uint32) & 0x3F for k in (1, 2, 3))
    return np.where(b0 < 0x80, b0, np.where(
        b0 < 0xE0, (b0 & 0x1F) << 6 | b1, np.where(
            b0 < 0xF0, (b0 & 0x0F) << 12 | b1 << 6 | b2, (b0 & 0x07) << 18 | b1 << 12 | b2 << 6 | b3)))


def _byte_in(raw: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which bytes of ``raw`` are among ``values`` (sorted), a comparison per run of consecutive values."""
    found = np.zeros(len(raw), bool)
    runs = np.split(values, np.flatnonzero(np.diff(values.astype(np.int16)) != 1) + 1) if len(values) else []
    for run in runs:
        found |= (raw - run[0]) <= np.uint8(run[-1] - run[0])
    return found


class BatchText:
    """The texts of a batch (a string array) as one run of UTF-8 bytes, ``raw``: document ``j`` is bytes
    ``offsets[j]:offsets[j + 1]`` and code points ``starts[j]:starts[j + 1]`` of the batch. Positions are
    code points counted over the whole batch unless said otherwise."""

    def __init__(self, array: pa.Array, lengths: np.ndarray):
        """``lengths``: the code points of each text (``pc.utf8_length``)."""
        self.array = array if array.type == pa.string() else array.cast(pa.string())
        buffers = self.array.buffers()
        first = self.array.offset
        offsets = np.frombuffer(buffers[1], np.int32)[first:first + len(self.array) + 1].astype(np.int64)
        self.data = buffers[2] if buffers[2] is not None else pa.py_buffer(b"")
        self.base = int(offsets[0])
        self.offsets = offsets - self.base
        self.raw = np.frombuffer(self.data, np.uint8, count=int(self.offsets[-1]), offset=self.base)
        self.starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self._lead: np.ndarray | None = None
        self._newlines: np.ndarray | None = None
        self._letters: np.ndarray | None = None
        self._folding: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def lead(self) -> np.ndarray:
        """The byte at which each code point starts."""
        if self._lead is None:
            self._lead = np.flatnonzero(self.raw.view(np.int8) >= -64)  # not a continuation byte
        return self._lead

    def byte_at(self, cps: np.ndarray) -> np.ndarray:
        """The byte at which each of the code points ``cps`` starts (the end of the bytes for the position
        after the last one)."""
        lead = self.lead
        inside = cps < len(lead)
        return np.where(inside, lead[np.where(inside, cps, 0)] if len(lead) else 0, len(self.raw))

    def decode(self, start: int, end: int) -> str:
        """Code points ``start:end`` as a string."""
        at = self.byte_at(np.array([start, end]))
        return self.raw[at[0]:at[1]].tobytes().decode("utf-8")

    def code_points(self, cps: np.ndarray) -> np.ndarray:
        """The code points at the positions ``cps``."""
        return _decode_at(self.raw, self.byte_at(cps))

    def _scan(self) -> None:
        raw, lead = self.raw, self.lead
        first = raw[lead]  # the first byte of each character
        self._newlines = lead[first == 10]
        ascii_letters = lead[(first | np.uint8(0x20)) - np.uint8(0x61) < 26]
        # the characters beyond ASCII that are letters, or give some when case-folded (K, ß, ﬁ ...)
        counts, leads = _folded_letters()
        wider = lead[_byte_in(first, leads)]
        codes = _decode_at(raw, wider)
        letter = is_letter(codes)
        self._letters = np.sort(np.concatenate([ascii_letters, wider[letter]])) if letter.any() else ascii_letters
        given = np.where(codes < 0x10000, counts.take(codes, mode="clip"), 3)
        at = np.concatenate([ascii_letters, wider[given > 0]])
        order = np.argsort(at, kind="stable")
        weights = np.concatenate([np.ones(len(ascii_letters), np.int64), given[given > 0]])[order]
        self._folding = (at[order], np.concatenate([[0], np.cumsum(weights)]))

    @property
    def newlines(self) -> np.ndarray:
        """The bytes that are line breaks."""
        if self._newlines is None:
            self._scan()
        return self._newlines

    def folded_letters(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """How many letters (:func:`is_letter`) bytes ``start:end`` give when case-folded, at most."""
        if self._letters is None:
            self._scan()
        at, total = self._folding
        return total[np.searchsorted(at, end)] - total[np.searchsorted(at, start)]

    @property
    def letters(self) -> np.ndarray:
        """The bytes at which a letter of :func:`is_letter` starts, in order."""
        if self._letters is None:
            self._scan()
        return self._letters

    def with_any(self, *needles: str) -> list[int]:
        """The documents whose text holds one of ``needles``."""
        if not any(self._holds(needle.encode("utf-8")) for needle in needles):
            return []
        found = None
        for needle in needles:
            hit = pc.match_substring(self.array, needle)
            found = hit if found is None else pc.or_(found, hit)
        return np.flatnonzero(found.to_numpy(zero_copy_only=False)).tolist() if found is not None else []

    def _holds(self, needle: bytes) -> bool:
        at = np.flatnonzero(self.raw == needle[0])
        at = at[at + len(needle) <= len(self.raw)]
        for k in range(1, len(needle)):
            at = at[self.raw[at + k] == needle[k]]
        return bool(len(at))

    def insert(self, parent: np.ndarray, cut_from: np.ndarray, cut_to: np.ndarray, strings: pa.StringArray
               ) -> pa.StringArray:
        """The texts with ``strings[i]`` put in place of code points ``cut_from[i]:cut_to[i]`` of document
        ``parent[i]`` (equal for an insertion), the cuts sorted by document and position and disjoint."""
        if not len(parent):
            return self.array
        n_docs, n = len(self.offsets) - 1, len(parent)
        starts = self.starts[parent]
        cut_from, cut_to = self.byte_at(starts + cut_from) + self.base, self.byte_at(starts + cut_to) + self.base
        # The bytes cut at every insertion: document j is the pieces base[j], base[j] + 2, ... with the strings
        # between them; the odd pieces are what a string replaces (empty for an insertion).
        per_doc = np.bincount(parent, minlength=n_docs)
        before = np.concatenate([[0], np.cumsum(per_doc)])
        base = np.arange(n_docs) + 2 * before[:-1]
        cuts = np.empty(n_docs + 2 * n + 1, np.int64)
        cuts[base] = self.offsets[:-1] + self.base
        slot = base[parent] + 1 + 2 * (np.arange(n) - before[parent])
        cuts[slot], cuts[slot + 1] = cut_from, cut_to
        cuts[-1] = self.offsets[-1] + self.base
        pieces = pa.Array.from_buffers(pa.string(), len(cuts) - 1, [None, pa.py_buffer(cuts.astype(np.int32)),
                                                                    self.data])
        segments = 2 * per_doc + 1
        bounds = np.concatenate([[0], np.cumsum(segments)])
        doc = np.repeat(np.arange(n_docs), segments)
        k = np.arange(bounds[-1]) - bounds[doc]
        order = np.where(k % 2 == 0, base[doc] + k, len(pieces) + before[doc] + (k - 1) // 2)
        parts = pa.concat_arrays([pieces, strings.cast(pa.string())]).take(pa.array(order, pa.int64()))
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(bounds, pa.int32()), parts), "")


def first_code_points(strings: pa.Array) -> np.ndarray:
    """The first code point of each string of a string array (0 for an empty or null one)."""
    strings = strings if strings.type == pa.string() else strings.cast(pa.string())
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], np.int32)[strings.offset:strings.offset + len(strings) + 1]
    data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    nonempty = offsets[1:] > offsets[:-1]
    out = np.zeros(len(strings), np.uint32)
    out[nonempty] = _decode_at(data, offsets[:-1][nonempty].astype(np.int64))
    return out
