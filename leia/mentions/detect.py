"""Mention detection: plain Japanese text turned into the same ``anchors`` column as extraction, with a
dictionary of surfaces.

Detection finds every surface at every position of the text at once (the trie of the dictionary's file,
:mod:`leia.mentions.surfaces`), then takes from left to right the longest at each position, the matches
never overlapping; a match whose both ends fall on word boundaries (:mod:`leia.mentions.segment`) is a
mention, and where the longest match at a position is not, the shorter ones up to the next match are tried,
leftmost first. With ``block`` a surface that is rarely a link (link probability below the threshold) still
takes its span, so that "日本" is not found inside a seldom linked "日本語" (off by default: the word
boundaries already do that, and it halves the speed). Each mention gets the most probable target of its
surface or, with ``context``, a less probable one that an unambiguous mention of the same document links to
(off by default: on real jawiki articles it lowered the accuracy of the target).
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from leia.mentions.entries import Entry, MentionConfig
from leia.mentions.hashtrie import SEPARATOR, text_codes
from leia.mentions.segment import Segmenter, Segmenting
from leia.mentions.surfaces import Surfaces
from leia.schemas import ANCHOR

__all__ = ["BUDGET", "Detector", "detect_batch"]

_JOIN = "\n"  # between the texts detected at once: a word boundary, where the search sees a separator
# How many characters of texts are detected at once, at most (a longer text alone): enough that a search's
# steps and a call of MeCab are shared by many short texts, few enough that the arrays of one stay small.
BUDGET = 1 << 16


def _leftmost_longest(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which of the matches (by start, then end) are taken from left to right, the longest at each start,
    none overlapping the one taken before."""
    last = np.flatnonzero(np.append(starts[1:] != starts[:-1], True))  # the longest at each start
    after = np.searchsorted(starts[last], ends[last]).tolist()  # the first start it leaves free
    chosen = []
    k, count = 0, len(after)
    while k < count:
        chosen.append(k)
        k = after[k]
    return last[chosen]


class Detector(Segmenting):
    """Finds mentions in plain text with a dictionary of surfaces (entries, or a mapped :class:`Surfaces`);
    picklable, so it can go to workers (a mapped dictionary goes as its path, and is mapped there)."""

    def __init__(self, entries: dict[str, Entry] | Surfaces, config: MentionConfig = MentionConfig()):
        self.config = config
        self.dictionary = entries if isinstance(entries, Surfaces) else Surfaces.from_entries(entries)
        self._segmenter: Segmenter | None = None
        self._prepare()

    def _prepare(self) -> None:
        """Which surfaces this configuration looks for, which of them are mentions and with how many targets
        (:meth:`Surfaces.select`: mapped when the file was built with them, else computed at once)."""
        chosen = self.dictionary.select(self.config)
        self._active, self._kept, self._longest = chosen.active, chosen.kept, chosen.longest

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        for name in ("_active", "_kept", "_longest"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._prepare()

    def __len__(self) -> int:
        return int(np.count_nonzero(self._kept))

    def _words(self) -> bool:
        return self.config.segment

    def surface(self, sid: int) -> str:
        return self.dictionary.surface(sid)

    def targets(self, sid: int) -> list[tuple[str, float]]:
        """The targets a mention of surface ``sid`` may have, most probable first (none when it only blocks)."""
        return self.dictionary.targets(sid, int(self._kept[sid]))

    def _hits(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every occurrence in the text of code points ``codes`` of a surface looked for: starts, ends and
        surface ids, by start then end."""
        return self.dictionary.search.search(codes, self._active, self._longest)

    def _scan(self, text: str, codes: np.ndarray | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Every occurrence in ``text`` (its code points ``codes``) of a surface looked for, and those taken
        from left to right, the longest at each start, none overlapping: each as starts, ends and surface ids."""
        hits = self._hits(text_codes(text) if codes is None else codes)
        if not len(hits[0]):
            return hits, hits
        chosen = _leftmost_longest(hits[0], hits[1])
        return hits, (hits[0][chosen], hits[1][chosen], hits[2][chosen])

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence of a surface aligned to word boundaries, overlapping ones included:
        ``(start, end, surface id)``, by start then end."""
        return self.matches_many([text])[0]

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        """Mentions of ``text`` as ``(start, end, target)``, sorted by start: from left to right, the
        longest surface that starts at a position and ends on a word boundary, no overlaps."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """The mentions of each of ``texts``, as :meth:`detect` finds them, all found at once: the texts are
        joined by a line break (always a word boundary) and searched as one, no surface running across it,
        which spares the steps of a search and of word segmentation that each text would take alone; up to
        :data:`BUDGET` characters at a time, so that memory does not grow with the number of texts."""
        return self._in_groups(texts, self._detect_joined)

    def matches_many(self, texts: Sequence[str]) -> list[list[tuple[int, int, int]]]:
        """The occurrences in each of ``texts``, as :meth:`matches` finds them, all found at once (joined as
        :meth:`detect_many` joins them)."""
        return self._in_groups(texts, self._matches_joined)

    @staticmethod
    def _in_groups(texts: Sequence[str], joined: Callable[[list[str]], list]) -> list:
        """``joined`` applied to runs of ``texts`` of up to :data:`BUDGET` characters (a longer text alone),
        its answers for each text in the order of the texts."""
        out: list = []
        group: list[str] = []
        size = 0
        for text in texts:
            if group and size + len(text) > BUDGET:
                out += joined(group)
                group, size = [], 0
            group.append(text)
            size += len(text) + 1
        if group:
            out += joined(group)
        return out

    @staticmethod
    def _joined(texts: list[str]) -> tuple[str, np.ndarray, np.ndarray]:
        """``texts`` joined by line breaks, where each begins in the joined text, and the joined text's code
        points with the separator the search never runs across between the texts."""
        joined = _JOIN.join(texts)
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        begins = np.cumsum(lengths + 1) - lengths - 1
        codes = text_codes(joined)
        if len(texts) > 1:
            codes = codes.copy()
            codes[begins[1:] - 1] = SEPARATOR
        return joined, begins, codes

    def _matches_joined(self, texts: list[str]) -> list[list[tuple[int, int, int]]]:
        """:meth:`matches_many` for texts searched as one."""
        joined, begins, codes = self._joined(texts)
        starts, ends, sids = self._hits(codes)
        if len(starts):
            ok = self.on_boundaries(joined, starts, ends)
            starts, ends, sids = starts[ok], ends[ok], sids[ok]
        cuts = np.searchsorted(starts, np.append(begins, len(joined) + 1)).tolist()
        offsets = begins[np.searchsorted(begins, starts, side="right") - 1]
        found = list(zip((starts - offsets).tolist(), (ends - offsets).tolist(), sids.tolist()))
        return [found[a:b] for a, b in zip(cuts, cuts[1:])]

    def _detect_joined(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """:meth:`detect_many` for texts detected as one."""
        joined, begins, codes = self._joined(texts)
        starts, ends, sids = self._detect(joined, codes)
        kept = self._kept[sids]
        mention = kept > 0
        starts, ends, sids, kept = starts[mention], ends[mention], sids[mention], kept[mention]
        best = self.dictionary.targets_of(sids)
        cuts = np.searchsorted(starts, np.append(begins, len(joined) + 1)).tolist()
        offsets = begins[np.searchsorted(begins, starts, side="right") - 1]
        found = list(zip((starts - offsets).tolist(), (ends - offsets).tolist(), best))
        if not self.config.context:
            return [found[a:b] for a, b in zip(cuts, cuts[1:])]
        out = []
        alone = (kept == 1).tolist()
        sids = sids.tolist()
        for a, b in zip(cuts, cuts[1:]):
            linked = {t for (_, _, t), one in zip(found[a:b], alone[a:b]) if one}
            out.append([(s, e, self._target(sid, linked)) for (s, e, _), sid in zip(found[a:b], sids[a:b])])
        return out

    def _detect(self, text: str, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The matches taken in ``text`` (its code points ``codes``): starts, ends and surface ids, by start."""
        hits, (starts, ends, sids) = self._scan(text, codes)
        if not len(starts):
            return starts, ends, sids
        ok = self.on_boundaries(text, starts, ends)
        if ok.all():
            return starts, ends, sids
        failed = np.flatnonzero(~ok)
        limits = np.append(starts[1:], len(text))
        more = self._within(hits, starts[failed], limits[failed])
        starts, ends, sids = (np.concatenate([a[ok], b]) for a, b in zip((starts, ends, sids), more))
        order = np.argsort(starts)
        return starts[order], ends[order], sids[order]

    def _within(self, hits: tuple[np.ndarray, np.ndarray, np.ndarray], begins: np.ndarray, limits: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Matches inside the ranges ``text[begins[k]:limits[k]]`` (in order, not overlapping), where the longest
        match at ``begins[k]`` is not on word boundaries: in each range, leftmost first, then longest, that are.
        The ranges follow each other, so one pass over all of them picks what a pass over each would."""
        starts, ends, sids = hits
        inside = np.searchsorted(begins, starts, side="right") - 1
        limit = limits[np.maximum(inside, 0)]
        keep = np.flatnonzero((inside >= 0) & (starts < limit) & (ends <= limit))
        starts, ends, sids = starts[keep], ends[keep], sids[keep]
        if len(keep):
            seg = self.segmenter
            seg.prepare(np.concatenate([starts, ends]))
            ok = np.flatnonzero(seg.start_ok[starts] & seg.end_ok[ends])
            starts, ends, sids = starts[ok], ends[ok], sids[ok]
        if not len(starts):
            return starts, ends, sids
        chosen = _leftmost_longest(starts, ends)
        return starts[chosen], ends[chosen], sids[chosen]

    def _target(self, sid: int, linked: set[str]) -> str:
        """The most probable target, unless a less probable one is what an unambiguous mention of the same
        document links to."""
        targets = self.targets(sid)
        if len(targets) > 1:
            for target, _ in targets:
                if target in linked:
                    return target
        return targets[0][0]

    def detect_batch(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
        """Give every document of a documents batch that has no anchors the mentions detected in its text;
        documents with anchors are left as they are."""
        return detect_batch(batch, self)


def detect_batch(batch: pa.RecordBatch, detector: Detector) -> tuple[pa.RecordBatch, dict]:
    """See :meth:`Detector.detect_batch`."""
    counters: Counter = Counter()
    texts = batch.column("text").to_pylist()
    anchors = batch.column("anchors").to_pylist()
    changed = False
    plain = [i for i, existing in enumerate(anchors) if not existing]
    for i, found in zip(plain, detector.detect_many([texts[i] for i in plain])):
        anchors[i] = [{"start": s, "end": e, "target": t, "english": None} for s, e, t in found]
        counters["documents_detected"] += 1
        counters["anchors_detected"] += len(found)
        changed = True
    if not changed:
        return batch, dict(counters)
    columns = [batch.column(name) for name in batch.schema.names]
    columns[batch.schema.get_field_index("anchors")] = pa.array(anchors, pa.list_(ANCHOR))
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), dict(counters)
