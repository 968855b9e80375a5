"""In-document propagation (:class:`Propagator`): the later occurrences of what a document links (its anchors,
or the mentions detected in it) added as mentions of the same entities, with ``source`` :data:`REPEAT`."""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np
import pyarrow as pa

from leia.augmenter import REPEAT
from leia.errors import require
from leia.mentions.segment import Segmenter, Segmenting
from leia.schemas import ANCHOR

__all__ = ["Propagator", "SOURCED_ANCHOR"]

# An anchor as propagation hands it to the augmenter: `source` is REPEAT for an added one, null otherwise.
SOURCED_ANCHOR = pa.struct(list(ANCHOR) + [pa.field("source", pa.string())])

_DISAMBIGUATOR = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def _match_spans(found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An automaton's matches (``(last index, (surface index, length))``) as starts, ends and surface indices."""
    lasts, values = zip(*found)
    sids, lengths = zip(*values)
    ends = np.array(lasts, dtype=np.int64) + 1
    return ends - np.array(lengths, dtype=np.int64), ends, np.array(sids, dtype=np.int64)


def _outside_subject(text: str, subject: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which matches are neither inside an occurrence of the document's ``subject`` nor across its edge; a
    longer match that holds it whole is."""
    named = []
    at = text.find(subject)
    while at >= 0:
        named.append(at)
        at = text.find(subject, at + len(subject))
    if not named:
        return np.ones(len(starts), dtype=bool)
    at = np.array(named, dtype=np.int64)
    subject_cover = np.zeros(len(text) + 1, dtype=np.int64)
    np.add.at(subject_cover, at, 1)
    np.add.at(subject_cover, at + len(subject), -1)
    inside = np.concatenate([[0], np.cumsum(np.cumsum(subject_cover)[:-1] > 0)])
    whole = np.searchsorted(at + len(subject), ends, "right") - np.searchsorted(at, starts, "left")
    return inside[ends] - inside[starts] == np.maximum(whole, 0) * len(subject)


class Propagator(Segmenting):
    """In-document propagation: once a document links a surface to an entity (an anchor, or a detected
    mention), its later occurrences of that surface, and of the other surfaces the document links to the
    same entity, are mentions of it too.

    An occurrence counts when both its ends fall on word boundaries (:class:`Segmenter`), it overlaps no
    anchor, and it starts after the entity's first anchor; occurrences never overlap each other (leftmost,
    then longest). A surface the document links to more than one entity is not propagated, nor one shorter
    than ``min_length``. The entity's inline English title, when one of its anchors has one, goes with it.
    Picklable, so it can go to workers.
    """

    def __init__(self, min_length: int = 1, segment: bool = True):
        require("ahocorasick", "mentions")
        self.min_length = min_length
        self.segment = segment
        self._segmenter: Segmenter | None = None

    def _words(self) -> bool:
        return self.segment

    def propagate(self, text: str, anchors: Sequence[dict], title: str = "") -> list[tuple[int, int, str, str | None]]:
        """The added mentions of ``text`` as ``(start, end, target, english)``, sorted by start. The
        document's own ``title`` (without a parenthesised disambiguator) names its subject, which Wikipedia
        never links: no occurrence is found inside it or across its edge (中華 in 中華人民共和国 in the article
        中華人民共和国), and the title itself is not propagated (the article メキシコ links メキシコ once, to
        the city); a longer word that holds it whole may be (スウェーデン語 in スウェーデン)."""
        import ahocorasick

        first, english, by_surface, cover = self._linked(text, anchors)
        subject = _DISAMBIGUATOR.sub("", title).strip()
        surfaces = [(s, next(iter(t))) for s, t in by_surface.items() if len(t) == 1 and s != subject]
        if not surfaces:
            return []
        automaton = ahocorasick.Automaton()
        for k, (surface, _) in enumerate(surfaces):
            automaton.add_word(surface, (k, len(surface)))
        automaton.make_automaton()
        found = list(automaton.iter(text))
        if not found:
            return []
        starts, ends, sids = _match_spans(found)
        covered = np.concatenate([[0], np.cumsum(np.cumsum(cover)[:-1] > 0)])
        firsts = np.array([first[t] for _, t in surfaces], dtype=np.int64)[sids]
        keep = (covered[ends] == covered[starts]) & (starts >= firsts)
        if subject:
            keep &= _outside_subject(text, subject, starts, ends)
        starts, ends, sids = starts[keep], ends[keep], sids[keep]
        if not len(starts):
            return []
        ok = self.on_boundaries(text, starts, ends)
        picked: list[tuple[int, int, str, str | None]] = []
        free = 0
        for begin, neg, sid in sorted(zip(starts[ok].tolist(), (starts[ok] - ends[ok]).tolist(), sids[ok].tolist())):
            if begin >= free:
                target = surfaces[sid][1]
                picked.append((begin, begin - neg, target, english.get(target)))
                free = begin - neg
        return picked

    def _linked(self, text: str, anchors: Sequence[dict]
                ) -> tuple[dict[str, int], dict[str, str], dict[str, set[str]], np.ndarray]:
        """What the document links: each target's first anchor start and inline English title, each surface's
        targets (surfaces of at least ``min_length``), and the cover of the anchors (+1 at a start, -1 at an
        end)."""
        n = len(text)
        first: dict[str, int] = {}
        english: dict[str, str] = {}
        by_surface: dict[str, set[str]] = {}
        cover = np.zeros(n + 1, dtype=np.int64)
        for a in anchors:
            start, end, target = a.get("start"), a.get("end"), a.get("target")
            if start is None or end is None or not 0 <= start < end <= n or not target:
                continue
            cover[start] += 1
            cover[end] -= 1
            raw = text[start:end]
            surface = raw.strip()
            if len(surface) < self.min_length:
                continue
            begin = start + len(raw) - len(raw.lstrip())
            first[target] = min(first.get(target, n), begin)
            if a.get("english") and target not in english:
                english[target] = a["english"]
            by_surface.setdefault(surface, set()).add(target)
        return first, english, by_surface, cover

    def propagate_batch(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
        """The batch with every document's added mentions after its anchors, under anchors of type
        :data:`SOURCED_ANCHOR`: the anchors keep their order (and so their draws), ``source`` null; the added
        mentions follow in text order with ``source`` :data:`REPEAT`."""
        counters: Counter = Counter()
        texts = batch.column("text").to_pylist()
        anchors = batch.column("anchors").to_pylist()
        titles = batch.column("title").to_pylist() if "title" in batch.schema.names else [""] * len(texts)
        out = []
        for text, existing, title in zip(texts, anchors, titles):
            added = self.propagate(text, existing, title or "")
            counters["anchors_repeated"] += len(added)
            counters["documents_with_repeats"] += bool(added)
            out.append([{"start": a["start"], "end": a["end"], "target": a["target"], "english": a.get("english"),
                         "source": None} for a in existing]
                       + [{"start": s, "end": e, "target": t, "english": en, "source": REPEAT} for s, e, t, en in added])
        index = batch.schema.get_field_index("anchors")
        columns = [batch.column(name) for name in batch.schema.names]
        columns[index] = pa.array(out, pa.list_(SOURCED_ANCHOR))
        schema = batch.schema.set(index, pa.field("anchors", pa.list_(SOURCED_ANCHOR), nullable=False))
        return pa.RecordBatch.from_arrays(columns, schema=schema), dict(counters)
