"""Mention detection: plain Japanese text turned into the same ``anchors`` column as extraction, with a
dictionary of surfaces.

Detection scans the text from left to right for the longest surface that starts at each position (a
marisa-trie of the surfaces, :mod:`leia.mentions.surfaces`, mapped from the dictionary's file), the matches
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

import numpy as np
import pyarrow as pa

from leia.mentions.entries import Entry, MentionConfig
from leia.mentions.segment import Segmenter, Segmenting
from leia.mentions.surfaces import Surfaces, pair_slots
from leia.schemas import ANCHOR

__all__ = ["Detector", "detect_batch"]



class Detector(Segmenting):
    """Finds mentions in plain text with a dictionary of surfaces (entries, or a mapped :class:`Surfaces`);
    picklable, so it can go to workers (a mapped dictionary goes as its path, and is mapped there)."""

    def __init__(self, entries: dict[str, Entry] | Surfaces, config: MentionConfig = MentionConfig()):
        self.config = config
        self.dictionary = entries if isinstance(entries, Surfaces) else Surfaces.from_entries(entries)
        self._segmenter: Segmenter | None = None
        self._prepare()

    def _prepare(self) -> None:
        """Which surfaces this configuration looks for, which of them are mentions and with how many targets,
        and the characters they begin with (:meth:`Surfaces.select`: mapped when the file was built with
        them, else computed at once)."""
        chosen = self.dictionary.select(self.config)
        self._active_bytes, self._kept, self._longest = chosen.active, chosen.kept, chosen.longest
        self._singles, self._pairs = chosen.singles, chosen.pairs

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        for name in ("_active_bytes", "_kept", "_singles", "_pairs", "_longest"):
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

    def _candidates(self, text: str, begin: int, end: int) -> list[int]:
        """The positions of ``text[begin:end]`` where a surface looked for may start: a surface of one character
        is that character, a longer one begins with the two characters there (by a hash of the pair, so a
        position may be kept in vain, never left out)."""
        if begin >= end:
            return []
        codes = np.frombuffer(text[begin:end + 1].encode("utf-32-le"), dtype=np.uint32)
        seconds = codes[1:] if len(codes) > end - begin else np.append(codes[1:], np.uint32(0))
        codes = codes[:end - begin]
        keep = self._singles[codes] | self._pairs[pair_slots(codes, seconds)]
        return (np.flatnonzero(keep) + begin).tolist()

    def _scan(self, text: str, begin: int = 0, end: int | None = None, longest: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Matches within ``text[begin:end]``: from left to right the longest at each position, not
        overlapping (``longest``), or every one; as starts, ends and surface ids, by start."""
        if end is not None and end < len(text):
            text = text[:end]  # so that no match runs past ``end``
        trie = self.dictionary.trie
        prefixes, active, reach = trie.prefixes, self._active_bytes, self._longest
        starts: list[int] = []
        ends: list[int] = []
        sids: list[int] = []
        free = begin
        for i in self._candidates(text, begin, len(text)):
            if i < free:
                continue
            found = prefixes(text[i:i + reach])
            if not found:
                continue
            if longest:
                for prefix in reversed(found):
                    sid = trie[prefix]
                    if active[sid]:
                        starts.append(i), ends.append(i + len(prefix)), sids.append(sid)
                        free = i + len(prefix)
                        break
            else:
                for prefix in found:
                    sid = trie[prefix]
                    if active[sid]:
                        starts.append(i), ends.append(i + len(prefix)), sids.append(sid)
        return (np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), np.array(sids, dtype=np.int64))

    def matches(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence of a surface aligned to word boundaries, overlapping ones included:
        ``(start, end, surface id)``, by start then end."""
        aligned = self._aligned(text, longest=False)
        if aligned is None:
            return []
        starts, ends, sids, ok = aligned
        return list(zip(starts[ok].tolist(), ends[ok].tolist(), sids[ok].tolist()))

    def _aligned(self, text: str, longest: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The matches in ``text`` (every one, or the longest at each position) as (starts, ends, surface ids)
        and which of them begin and end on word boundaries; None when there is none."""
        if not self._longest:
            return None
        starts, ends, sids = self._scan(text, longest=longest)
        if not len(starts):
            return None
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
        kept = self._kept
        picked = [(s, e, sid) for s, e, sid in picked if kept[sid]]
        best = self.dictionary.targets_of([sid for _, _, sid in picked])
        if not self.config.context:
            return [(s, e, t) for (s, e, _), t in zip(picked, best)]
        linked = {t for (_, _, sid), t in zip(picked, best) if kept[sid] == 1}
        return [(s, e, self._target(sid, linked)) for s, e, sid in picked]

    def _within(self, text: str, begins: np.ndarray, limits: np.ndarray) -> list[tuple[int, int, int]]:
        """Matches inside the ranges ``text[begins[k]:limits[k]]``, where the longest match at ``begins[k]``
        is not on word boundaries: in each range, leftmost first, then longest, that are. The boundaries of
        all the ranges are prepared at once."""
        ranges = [self._scan(text, b, limit, longest=False) for b, limit in zip(begins.tolist(), limits.tolist())]
        if not any(len(r[0]) for r in ranges):
            return []
        starts = np.concatenate([r[0] for r in ranges])
        ends = np.concatenate([r[1] for r in ranges])
        sids = np.concatenate([r[2] for r in ranges])
        seg = self.segmenter
        seg.prepare(np.concatenate([starts, ends]))
        ok = (seg.start_ok[starts] & seg.end_ok[ends]).tolist()
        matches = list(zip(starts.tolist(), (starts - ends).tolist(), sids.tolist(), ok))
        picked = []
        at = 0
        for begin, r in zip(begins.tolist(), ranges):
            free = begin
            for start, neg, sid, aligned in sorted(matches[at:at + len(r[0])]):
                if aligned and start >= free:
                    picked.append((start, start - neg, sid))
                    free = start - neg
            at += len(r[0])
        return picked

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
