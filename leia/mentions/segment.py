"""Word boundaries of Japanese text, where a mention may start and end: the script decides most positions,
MeCab (fugashi with unidic-lite) the stretches where the script alone cannot tell.

Between kanji and hiragana, say, there is always a boundary, between two kanji or two hiragana there may be
none. UniDic splits compounds finely (日本|語, 東京|都), so a single kanji noun or suffix right after a mention
(語, 人, 都, 軍) or a single kanji prefix right before it (旧) is taken as part of the same word, except for the
affixes in :data:`LOOSE_SUFFIXES` that follow links in Wikipedia (1990年|頃, 日本|的).
"""

from __future__ import annotations

import numpy as np

from leia.errors import require

__all__ = ["LOOSE_SUFFIXES", "CACHE_SIZE", "Segmenter", "Segmenting"]

# Single-kanji suffixes that do not make a new word with the mention before them.
LOOSE_SUFFIXES = frozenset("頃後前末中時期代間上下内外側的等製産風式領系派版")

# Character classes: 0 other (space, punctuation, symbols), 1 kanji, 2 hiragana, 3 katakana, 4 Latin, 5 digit.
_OTHER, _KANJI, _HIRA, _KATA, _LATIN, _DIGIT = range(6)


def _char_classes() -> np.ndarray:
    table = np.zeros(0x30000, dtype=np.int8)
    table[0x3400:0x4DC0] = table[0x4E00:0xA000] = table[0xF900:0xFB00] = table[0x20000:0x30000] = _KANJI
    table[[0x3005, 0x3006, 0x3007]] = _KANJI
    table[0x3041:0x30A0] = _HIRA
    table[0x30A1:0x30FB] = table[0x30FC:0x3100] = table[0xFF66:0xFFA0] = table[0x31F0:0x3200] = _KATA
    for lo, hi in ((0x41, 0x5B), (0x61, 0x7B), (0xC0, 0x250), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)):
        table[lo:hi] = _LATIN
    table[[0xD7, 0xF7]] = _OTHER
    table[0x30:0x3A] = table[0xFF10:0xFF1A] = _DIGIT
    return table


# Runs whose MeCab tokens a Segmenter keeps.
CACHE_SIZE = 200_000
# What stands between two runs in one call of MeCab: a token of its own on both sides of every run, so that
# the cut of a run depends on the run alone.
_STOP = "。"
_CLASS_ARRAY = np.append(_char_classes(), np.int8(_OTHER))
_CLASSES = _CLASS_ARRAY.tobytes()
# Pairs of neighbouring classes that are always a word boundary (hiragana next to another script, or katakana
# meets Latin or digits); a pair not listed, and not involving "other", needs the analyser.
_SURE = frozenset(
    [(a, _HIRA) for a in (_KANJI, _KATA, _LATIN, _DIGIT)] + [(_HIRA, b) for b in (_KANJI, _KATA, _LATIN, _DIGIT)]
    + [(_KATA, _LATIN), (_LATIN, _KATA), (_KATA, _DIGIT), (_DIGIT, _KATA)]
)


_LOOSE = np.zeros(0x30000, dtype=bool)
_LOOSE[[ord(c) for c in LOOSE_SUFFIXES]] = True
# The flags of a cut of a run (the end of a token, relative to the run's start, as an int32).
_NO_START, _NO_END, _OFFSET = np.int32(1 << 30), np.int32(1 << 29), np.int32((1 << 29) - 1)

_SURE_PAIRS = np.array([a == _OTHER or b == _OTHER or (a, b) in _SURE for a in range(6) for b in range(6)],
                       dtype=bool)


class Segmenter:
    """Word boundaries of Japanese text: where a mention may start and where it may end.

    After :meth:`reset` with a text, ``start_ok[p]`` and ``end_ok[p]`` (numpy arrays over the code-point
    positions ``0..len(text)``) tell whether a mention may start or end at ``p``, for every position the
    script decides and every run :meth:`prepare` analysed. A *run* is a stretch of text between two
    consecutive positions the script decides, with undecided positions inside (two kanji, two hiragana,
    kanji and katakana, ...), so it never holds spaces or punctuation; MeCab analyses a run only when asked
    about a position in it, and so decides every position it is asked about. ``analyse`` False takes every
    position as a boundary.
    """

    def __init__(self, analyse: bool = True) -> None:
        self.analyse = analyse
        if analyse:
            fugashi = require("fugashi", "mentions")
            require("unidic_lite", "mentions")
            self._tagger = fugashi.Tagger("-Owakati")
        self.analysed = 0
        self.tagged = 0
        self._cache: dict[str, bytes] = {}
        self.reset("")

    def reset(self, text: str) -> None:
        self._text = text
        self._done: set[int] = set()
        n = len(text)
        if not self.analyse or n < 2:
            self.sure = np.ones(n + 1, dtype=bool)
        else:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            classes = _CLASS_ARRAY[np.minimum(codes, len(_CLASS_ARRAY) - 1)]
            self.sure = np.concatenate([[True], _SURE_PAIRS[classes[:-1] * 6 + classes[1:]], [True]])
        self._bounds = np.flatnonzero(self.sure)
        self.start_ok = self.sure.copy()
        self.end_ok = self.sure.copy()

    def prepare(self, positions: np.ndarray) -> None:
        """Analyse in one MeCab call the runs that hold those of ``positions`` the script leaves undecided."""
        positions = np.asarray(positions, dtype=np.int64)
        undecided = positions[~self.sure[positions]]
        if not len(undecided):
            return
        runs = np.unique(np.searchsorted(self._bounds, undecided) - 1).tolist()
        done = self._done
        todo = [k for k in runs if k not in done]
        if todo:
            self._analyse(todo)

    def starts(self, p: int) -> bool:
        """Whether a mention may start at ``p``."""
        self.prepare(np.array([p]))
        return bool(self.start_ok[p])

    def ends(self, p: int) -> bool:
        """Whether a mention may end at ``p``."""
        self.prepare(np.array([p]))
        return bool(self.end_ok[p])

    def _analyse(self, runs: list[int]) -> None:
        """Token boundaries of each run, less those a lone kanji token closes: after one at the start of the
        run no mention may start (旧|ソ連), before one inside the run no mention may end (日本|語), unless it
        is one of :data:`LOOSE_SUFFIXES`. The runs go to MeCab in one call, with a token of its own
        (:data:`_STOP`) between and around them (joined by spaces they would cut each other: the cost of
        connecting two tokens crosses a space), so a run's tokens depend on its text alone: they are kept (up
        to :data:`CACHE_SIZE` runs) and a run seen before is not analysed again."""
        text = self._text
        self.analysed += len(runs)
        index = np.array(runs, dtype=np.int64)
        starts = self._bounds[index]
        pieces = [text[a:b] for a, b in zip(starts.tolist(), self._bounds[index + 1].tolist())]
        cache = self._cache
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        new = [run for run in dict.fromkeys(pieces) if run not in cache]
        if new:
            self._tag(new)
            self.tagged += len(new)
        self._done.update(runs)
        cuts = [cache[run] for run in pieces]
        entries = np.frombuffer(b"".join(cuts), dtype=np.int32)
        counts = np.fromiter(map(len, cuts), np.int64, len(cuts)) // 4
        positions = (entries & _OFFSET) + np.repeat(starts, counts)
        start_ok, end_ok, sure = self.start_ok, self.end_ok, self.sure
        start_ok[positions] = end_ok[positions] = True
        held = positions[entries & _NO_START != 0]
        start_ok[held] = sure[held]
        held = positions[entries & _NO_END != 0]
        end_ok[held] = sure[held]

    def _tag(self, runs: list[str]) -> None:
        """Analyse ``runs`` (distinct) in one call of MeCab and keep the cuts of each: the end of each of its
        tokens, relative to the run's start (int32 bytes), marked where no mention may start
        (:data:`_NO_START`) or end (:data:`_NO_END`)."""
        joined = _STOP + _STOP.join(runs) + _STOP
        tokens = self._tagger.parse(joined).split()
        if "".join(tokens) != joined:
            raise RuntimeError("MeCab's tokens are not the text of the runs")
        lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
        ends = np.cumsum(lengths)
        begins = ends - lengths
        sizes = np.fromiter(map(len, runs), np.int64, len(runs))
        run_begins = np.cumsum(sizes + 1) - sizes  # after the separator before each
        if not (np.isin(run_begins, begins).all() and np.isin(run_begins + sizes, ends).all()):
            raise RuntimeError("MeCab did not keep the separators of the runs")
        run = np.searchsorted(run_begins, begins, side="right") - 1
        inside = np.flatnonzero((run >= 0) & (begins < (run_begins + sizes)[np.maximum(run, 0)]))
        run, begins, ends, lengths = run[inside], begins[inside], ends[inside], lengths[inside]
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)[begins]
        lone_kanji = (lengths == 1) & (_CLASS_ARRAY[np.minimum(codes, len(_CLASS_ARRAY) - 1)] == _KANJI)
        glues = lone_kanji & ~_LOOSE[np.minimum(codes, len(_LOOSE) - 1)]
        first = begins == run_begins[run]
        entries = (ends - run_begins[run]).astype(np.int32)
        entries[first & lone_kanji] |= _NO_START
        after = np.flatnonzero(glues & ~first) - 1  # the token before a glued suffix: no mention ends there
        entries[after] |= _NO_END
        data = entries.tobytes()
        bounds = (np.searchsorted(run, np.arange(len(runs) + 1)) * 4).tolist()
        cache = self._cache
        for k, piece in enumerate(runs):
            cache[piece] = data[bounds[k]:bounds[k + 1]]


class Segmenting:
    """A :class:`Segmenter` loaded on first use and left behind when pickled: each process loads its own."""

    _segmenter: Segmenter | None = None

    def _words(self) -> bool:
        raise NotImplementedError

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_segmenter"] = None
        return state

    @property
    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = Segmenter(self._words())
        return self._segmenter

    def on_boundaries(self, text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Which of the spans ``text[starts[k]:ends[k]]`` begin and end on word boundaries."""
        seg = self.segmenter
        seg.reset(text)
        seg.prepare(np.concatenate([starts, ends]))
        return seg.start_ok[starts] & seg.end_ok[ends]
