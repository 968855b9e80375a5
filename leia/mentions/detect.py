"""Mention detection: plain Japanese text turned into the same ``anchors`` column as extraction, with a
dictionary of surfaces.

Detection scans the text with an Aho-Corasick automaton of the surfaces from left to right and takes, at each
position, the longest surface whose both ends fall on word boundaries (:mod:`leia.mentions.segment`); matches
never overlap. With ``block`` a surface that is rarely a link (link probability below the threshold) still
takes its span, so that "日本" is not found inside a seldom linked "日本語" (off by default: the word
boundaries already do that, and it halves the speed). Each mention gets the most probable target of its
surface or, with ``context``, a less probable one that an unambiguous mention of the same document links to
(off by default: on real jawiki articles it lowered the accuracy of the target).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa

from leia.errors import require
from leia.mentions.entries import Entry, MentionConfig, is_mention
from leia.mentions.segment import Segmenter, Segmenting
from leia.schemas import ANCHOR

__all__ = ["Detector", "detect_batch", "match_spans"]


def match_spans(found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An automaton's matches (``(last index, (surface index, length))``) as starts, ends and surface indices."""
    lasts, values = zip(*found)
    sids, lengths = zip(*values)
    ends = np.array(lasts, dtype=np.int64) + 1
    return ends - np.array(lengths, dtype=np.int64), ends, np.array(sids, dtype=np.int64)


class Detector(Segmenting):
    """Finds mentions in plain text with a dictionary of surfaces; picklable, so it can go to workers."""

    def __init__(self, entries: dict[str, Entry], config: MentionConfig = MentionConfig()):
        ahocorasick = require("ahocorasick", "mentions")
        self.config = config
        self.surfaces: list[str] = []
        self.targets: list[list[tuple[str, float]]] = []
        automaton = ahocorasick.Automaton()
        for surface, entry in entries.items():
            if not config.min_length <= len(surface) <= config.max_length:
                continue
            keep = [(t, p) for t, p in entry.targets if p >= config.min_prior]
            mention = bool(keep) and is_mention(entry, config)
            if not mention and not config.block:
                continue
            automaton.add_word(surface, (len(self.surfaces), len(surface)))
            self.surfaces.append(surface)
            self.targets.append(keep if mention else [])
        if self.surfaces:
            automaton.make_automaton()
        self._automaton = automaton
        self._segmenter: Segmenter | None = None

    def __len__(self) -> int:
        return sum(1 for t in self.targets if t)

    def _words(self) -> bool:
        return self.config.segment

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence of a surface aligned to word boundaries, overlapping ones included:
        ``(start, end, surface index)``."""
        aligned = self._aligned(text, longest=False)
        if aligned is None:
            return []
        starts, ends, sids, ok = aligned
        return list(zip(starts[ok].tolist(), ends[ok].tolist(), sids[ok].tolist()))

    def _aligned(self, text: str, longest: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The automaton's matches in ``text`` (every one, or the longest at each position) as (starts, ends,
        surface indices) and which of them begin and end on word boundaries; None when there is none."""
        if not self.surfaces:
            return None
        found = list(self._automaton.iter_long(text) if longest else self._automaton.iter(text))
        if not found:
            return None
        starts, ends, sids = match_spans(found)
        return starts, ends, sids, self.on_boundaries(text, starts, ends)

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        """Mentions of ``text`` as ``(start, end, target)``, sorted by start: from left to right, the
        longest surface that starts at a position and ends on a word boundary, no overlaps."""
        aligned = self._aligned(text, longest=True)
        if aligned is None:
            return []
        starts, ends, sids, ok = aligned
        picked = list(zip(starts[ok].tolist(), ends[ok].tolist(), sids[ok].tolist()))
        if not ok.all():
            failed = np.flatnonzero(~ok)
            limits = np.append(starts[1:], len(text))
            picked.extend(self._within(text, starts[failed], limits[failed]))
            picked.sort()
        targets = self.targets
        if not self.config.context:
            return [(s, e, targets[sid][0][0]) for s, e, sid in picked if targets[sid]]
        linked = {targets[sid][0][0] for _, _, sid in picked if len(targets[sid]) == 1}
        return [(s, e, self._target(sid, linked)) for s, e, sid in picked if targets[sid]]

    def _within(self, text: str, begins: np.ndarray, limits: np.ndarray) -> list[tuple[int, int, int]]:
        """Matches inside the ranges ``text[begins[k]:limits[k]]``, where the longest match at ``begins[k]``
        is not on word boundaries: in each range, leftmost first, then longest, that are. The boundaries of
        all the ranges are prepared at once."""
        automaton = self._automaton
        ranges = [list(automaton.iter(text, b, limit)) for b, limit in zip(begins.tolist(), limits.tolist())]
        found = [m for r in ranges for m in r]
        if not found:
            return []
        starts, ends, sids = match_spans(found)
        seg = self.segmenter
        seg.prepare(np.concatenate([starts, ends]))
        ok = (seg.start_ok[starts] & seg.end_ok[ends]).tolist()
        matches = list(zip(starts.tolist(), (starts - ends).tolist(), sids.tolist(), ok))
        picked = []
        at = 0
        for begin, r in zip(begins.tolist(), ranges):
            free = begin
            for start, neg, sid, aligned in sorted(matches[at:at + len(r)]):
                if aligned and start >= free:
                    picked.append((start, start - neg, sid))
                    free = start - neg
            at += len(r)
        return picked

    def _target(self, sid: int, linked: set[str]) -> str:
        """The most probable target, unless a less probable one is what an unambiguous mention of the same
        document links to."""
        targets = self.targets[sid]
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
    for i, (text, existing) in enumerate(zip(texts, anchors)):
        if existing:
            continue
        found = detector.detect(text)
        anchors[i] = [{"start": s, "end": e, "target": t, "english": None} for s, e, t in found]
        counters["documents_detected"] += 1
        counters["anchors_detected"] += len(found)
        changed = True
    if not changed:
        return batch, dict(counters)
    columns = [batch.column(name) for name in batch.schema.names]
    columns[batch.schema.get_field_index("anchors")] = pa.array(anchors, pa.list_(ANCHOR))
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema), dict(counters)
