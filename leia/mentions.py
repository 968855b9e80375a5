"""Entity mentions in text without hyperlinks: a dictionary of anchor texts built from extracted documents,
and detection that turns plain Japanese text into the same ``anchors`` column as extraction.

The dictionary (a DuckDB file, ``leia mentions build``) holds, for every anchor text (*surface*), how often
it is linked, how often it occurs in all text (aligned to word boundaries, links included) and so its *link
probability*; in how many documents it is linked and in how many it occurs, and so its document-level link
probability (*keyphraseness*: Wikipedia links an entity once per article, so 日本 is a link at few of its
occurrences but in most articles that name it); and each target it links to with its *prior* (share of the
surface's links). A surface is a mention when either link probability reaches its threshold.

Detection scans the text with an Aho-Corasick automaton of the surfaces from left to right and takes, at each
position, the longest surface whose both ends fall on word boundaries; matches never overlap. With ``block``
a surface that is rarely a link (link probability below the threshold) still takes its span, so that "日本"
is not found inside a seldom linked "日本語" (off by default: the word boundaries below already do that, and
it halves the speed). Each mention gets the most probable target of its surface or, with ``context``, a
less probable one that an unambiguous mention of the same document links to (off by default: on real jawiki
articles it lowered the accuracy of the target).

:class:`Propagator` adds the later occurrences of what a document links (its anchors, or the mentions
detected in it) as mentions of the same entities.

Word boundaries come from MeCab (fugashi with unidic-lite), run only on the stretches of text where the
script alone cannot tell: between kanji and hiragana, say, there is always a boundary, between two kanji or
two hiragana there may be none. UniDic splits compounds finely (日本|語, 東京|都), so a single kanji noun or
suffix right after a mention (語, 人, 都, 軍) or a single kanji prefix right before it (旧) is taken as part
of the same word, except for the affixes in :data:`LOOSE_SUFFIXES` that follow links in Wikipedia
(1990年|頃, 日本|的).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import duckdb
import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm

from leia import __version__
from leia.augmenter import REPEAT
from leia.duckdb_files import read_meta
from leia.errors import ConfigError, InputError, OutputError, require
from leia.schemas import ANCHOR

__all__ = [
    "MentionConfig", "Segmenter", "Detector", "MentionTable", "build_mentions", "count_links",
    "count_occurrences", "make_entries", "detect_batch", "mention_detector", "LOOSE_SUFFIXES", "Propagator",
    "REPEAT", "SOURCED_ANCHOR",
]

# An anchor as propagation hands it to the augmenter: `source` is REPEAT for an added one, null otherwise.
SOURCED_ANCHOR = pa.struct(list(ANCHOR) + [pa.field("source", pa.string())])

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
_DISAMBIGUATOR = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_CLASS_ARRAY = np.append(_char_classes(), np.int8(_OTHER))
_CLASSES = _CLASS_ARRAY.tobytes()
# Pairs of neighbouring classes that are always a word boundary (hiragana next to another script, or katakana
# meets Latin or digits); a pair not listed, and not involving "other", needs the analyser.
_SURE = frozenset(
    [(a, _HIRA) for a in (_KANJI, _KATA, _LATIN, _DIGIT)] + [(_HIRA, b) for b in (_KANJI, _KATA, _LATIN, _DIGIT)]
    + [(_KATA, _LATIN), (_LATIN, _KATA), (_KATA, _DIGIT), (_DIGIT, _KATA)]
)


_SURE_PAIRS = np.array([a == _OTHER or b == _OTHER or (a, b) in _SURE for a in range(6) for b in range(6)],
                       dtype=bool)


@dataclass(frozen=True)
class MentionConfig:
    """Which anchor texts count as mentions. ``min_link_count`` and the length limits (in characters) choose
    the surfaces a dictionary keeps when it is built; the rest applies when it is used, and a detector may
    override any of them (length limits and link counts can only narrow what was built).

    ``block``: a surface below ``min_link_prob`` still takes its span; ``context``: prefer the target an
    unambiguous mention of the same document links to; ``segment`` False: no word boundaries at all, any
    substring match counts (for comparison).
    """

    min_link_prob: float = 0.2
    min_doc_link_prob: float | None = 0.2
    min_prior: float = 0.01
    min_link_count: int = 1
    min_length: int = 1
    max_length: int = 50
    block: bool = False
    context: bool = False
    segment: bool = True

    def __post_init__(self) -> None:
        for name in ("min_link_prob", "min_doc_link_prob", "min_prior"):
            if getattr(self, name) is not None and not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if self.min_length < 1 or self.max_length < self.min_length:
            raise ConfigError(f"length limits must satisfy 1 <= min_length <= max_length, got "
                              f"{self.min_length}..{self.max_length}")
        if self.min_link_count < 1:
            raise ConfigError(f"min_link_count must be at least 1, got {self.min_link_count}")


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
        self._cache: dict[str, list[tuple[int, bool, bool]]] = {}
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
        spans = list(zip(self._bounds[index].tolist(), self._bounds[index + 1].tolist()))
        cache = self._cache
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        new = [(a, b) for a, b in spans if text[a:b] not in cache]
        if new:
            tokens = iter(self._tagger.parse(_STOP + _STOP.join(text[a:b] for a, b in new) + _STOP).split())
            if next(tokens, None) != _STOP:
                raise RuntimeError("MeCab did not keep the separator of the runs")
            for start, end in new:
                run = text[start:end]
                lengths = []
                covered = 0
                for token in tokens:
                    if token == _STOP and covered == len(run):
                        break
                    covered += len(token)
                    if covered > len(run):
                        break
                    lone_kanji = len(token) == 1 and _CLASSES[min(ord(token), 0x30000)] == _KANJI
                    lengths.append((len(token), lone_kanji and token not in LOOSE_SUFFIXES, lone_kanji))
                if covered != len(run):
                    raise RuntimeError(f"MeCab's tokens do not cover {run!r}")
                cache[run] = lengths
            self.tagged += len(new)
        start_ok, end_ok, sure = self.start_ok, self.end_ok, self.sure
        for k, (start, end) in zip(runs, spans):
            self._done.add(k)
            s = start
            for length, glues_before, lone_kanji in cache[text[start:end]]:
                e = s + length
                start_ok[e] = end_ok[e] = True
                if lone_kanji and s == start:
                    start_ok[e] = sure[e]
                elif glues_before and s != start:
                    end_ok[s] = sure[s]
                s = e


@dataclass
class _Entry:
    link_prob: float
    targets: list[tuple[str, float]]
    doc_link_prob: float = 0.0


def make_entries(links: Counter, occurrences: Counter, config: MentionConfig, doc_links: Counter | None = None,
                 doc_occurrences: Counter | None = None) -> dict[str, _Entry]:
    """Dictionary entries from counts: ``links[(surface, target)]``, ``occurrences[surface]`` and, for the
    document-level link probability, ``doc_links[surface]`` (documents where the surface is linked) and
    ``doc_occurrences[surface]`` (documents where it occurs)."""
    doc_links = doc_links or Counter()
    doc_occurrences = doc_occurrences or Counter()
    by_surface: dict[str, list[tuple[str, int]]] = {}
    for (surface, target), n in links.items():
        if n > 0:
            by_surface.setdefault(surface, []).append((target, n))
    entries: dict[str, _Entry] = {}
    for surface, targets in by_surface.items():
        total = sum(n for _, n in targets)
        if total < config.min_link_count or not config.min_length <= len(surface) <= config.max_length:
            continue
        occ = max(occurrences.get(surface, 0), total)
        targets.sort(key=lambda t: (-t[1], t[0]))
        linked_in = doc_links.get(surface, 0)
        doc_prob = linked_in / max(doc_occurrences.get(surface, 0), linked_in) if linked_in else 0.0
        entries[surface] = _Entry(total / occ, [(t, n / total) for t, n in targets], doc_prob)
    return entries


def _is_mention(entry: _Entry, config: MentionConfig) -> bool:
    """Whether a surface is linked often enough: per occurrence, or per document when that is asked for."""
    if entry.targets and entry.targets[0][1] < config.min_prior:
        return False
    return entry.link_prob >= config.min_link_prob or (
        config.min_doc_link_prob is not None and entry.doc_link_prob >= config.min_doc_link_prob)


class _Segmenting:
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


class Detector(_Segmenting):
    """Finds mentions in plain text with a dictionary of surfaces; picklable, so it can go to workers."""

    def __init__(self, entries: dict[str, _Entry], config: MentionConfig = MentionConfig()):
        ahocorasick = require("ahocorasick", "mentions")
        self.config = config
        self.surfaces: list[str] = []
        self.targets: list[list[tuple[str, float]]] = []
        automaton = ahocorasick.Automaton()
        for surface, entry in entries.items():
            if not config.min_length <= len(surface) <= config.max_length:
                continue
            keep = [(t, p) for t, p in entry.targets if p >= config.min_prior]
            is_mention = bool(keep) and _is_mention(entry, config)
            if not is_mention and not config.block:
                continue
            automaton.add_word(surface, (len(self.surfaces), len(surface)))
            self.surfaces.append(surface)
            self.targets.append(keep if is_mention else [])
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
        if not self.surfaces:
            return []
        found = list(self._automaton.iter(text))
        if not found:
            return []
        starts, ends, sids, ok = self._aligned(text, found)
        return list(zip(starts[ok].tolist(), ends[ok].tolist(), sids[ok].tolist()))

    @staticmethod
    def _spans(found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lasts, values = zip(*found)
        sids, lengths = zip(*values)
        ends = np.array(lasts, dtype=np.int64) + 1
        return ends - np.array(lengths, dtype=np.int64), ends, np.array(sids, dtype=np.int64)

    def _aligned(self, text: str, found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The automaton's matches in ``text`` as (starts, ends, surface indices) and which of them begin and
        end on word boundaries."""
        starts, ends, sids = self._spans(found)
        seg = self.segmenter
        seg.reset(text)
        seg.prepare(np.concatenate([starts, ends]))
        return starts, ends, sids, seg.start_ok[starts] & seg.end_ok[ends]

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        """Mentions of ``text`` as ``(start, end, target)``, sorted by start: from left to right, the
        longest surface that starts at a position and ends on a word boundary, no overlaps."""
        if not self.surfaces:
            return []
        found = list(self._automaton.iter_long(text))
        if not found:
            return []
        starts, ends, sids, ok = self._aligned(text, found)
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
        starts, ends, sids = self._spans(found)
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


class Propagator(_Segmenting):
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

        n = len(text)
        first: dict[str, int] = {}
        english: dict[str, str] = {}
        by_surface: dict[str, set[str]] = {}
        cover = np.zeros(n + 1, dtype=np.int64)
        subject = _DISAMBIGUATOR.sub("", title).strip()
        named = []
        if subject:
            at = text.find(subject)
            while at >= 0:
                named.append(at)
                at = text.find(subject, at + len(subject))
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
        starts, ends, sids = Detector._spans(found)
        covered = np.concatenate([[0], np.cumsum(np.cumsum(cover)[:-1] > 0)])
        firsts = np.array([first[t] for _, t in surfaces], dtype=np.int64)[sids]
        keep = (covered[ends] == covered[starts]) & (starts >= firsts)
        if named:
            # Inside the subject's name, or across its edge, never; a longer word that holds it whole may be.
            at = np.array(named, dtype=np.int64)
            subject_cover = np.zeros(n + 1, dtype=np.int64)
            np.add.at(subject_cover, at, 1)
            np.add.at(subject_cover, at + len(subject), -1)
            inside = np.concatenate([[0], np.cumsum(np.cumsum(subject_cover)[:-1] > 0)])
            whole = np.searchsorted(at + len(subject), ends, "right") - np.searchsorted(at, starts, "left")
            keep &= inside[ends] - inside[starts] == np.maximum(whole, 0) * len(subject)
        starts, ends, sids = starts[keep], ends[keep], sids[keep]
        if not len(starts):
            return []
        seg = self.segmenter
        seg.reset(text)
        seg.prepare(np.concatenate([starts, ends]))
        ok = seg.start_ok[starts] & seg.end_ok[ends]
        picked: list[tuple[int, int, str, str | None]] = []
        free = 0
        for begin, neg, sid in sorted(zip(starts[ok].tolist(), (starts[ok] - ends[ok]).tolist(), sids[ok].tolist())):
            if begin >= free:
                target = surfaces[sid][1]
                picked.append((begin, begin - neg, target, english.get(target)))
                free = begin - neg
        return picked

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


def count_links(batches: Iterable[pa.RecordBatch], redirects: dict[str, str] | None = None,
                documents: Counter | None = None) -> Counter:
    """``(surface, target)`` -> number of anchors, redirects resolved; surfaces stripped of surrounding
    whitespace (anchors that are only whitespace are dropped). With ``documents``, also counts there in how
    many documents each surface is linked."""
    redirects = redirects or {}
    links: Counter = Counter()
    for rb in batches:
        for text, anchors in zip(rb.column("text").to_pylist(), rb.column("anchors").to_pylist()):
            linked = set()
            for a in anchors:
                surface = text[a["start"]:a["end"]].strip()
                if surface:
                    target = a["target"]
                    links[(surface, redirects.get(target, target))] += 1
                    linked.add(surface)
            if documents is not None:
                documents.update(linked)
    return links


def count_occurrences(detector: Detector, text: str, anchors: Sequence[dict] = ()) -> Counter:
    """How often each surface of ``detector`` occurs in ``text`` aligned to word boundaries, nested and
    overlapping occurrences included; every anchor counts as an occurrence of its (stripped) text, whether
    or not its ends fall on word boundaries."""
    spans = set()
    counts: Counter = Counter()
    for a in anchors:
        surface = text[a["start"]:a["end"]]
        stripped = surface.strip()
        if stripped:
            lead = len(surface) - len(surface.lstrip())
            spans.add((a["start"] + lead, a["start"] + lead + len(stripped)))
            counts[stripped] += 1
    for start, end, sid in detector.matches(text):
        if (start, end) not in spans:
            counts[detector.surfaces[sid]] += 1
    return counts


_WORKER: Detector | None = None


def _occurrences_of_batch(rb: pa.RecordBatch) -> tuple[int, Counter, Counter]:
    assert _WORKER is not None
    total: Counter = Counter()
    documents: Counter = Counter()
    for text, anchors in zip(rb.column("text").to_pylist(), rb.column("anchors").to_pylist()):
        counts = count_occurrences(_WORKER, text, anchors)
        total.update(counts)
        documents.update(counts.keys())
    return rb.num_rows, total, documents


_SCHEMA_SQL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE surfaces (surface VARCHAR, links BIGINT, occurrences BIGINT, link_prob DOUBLE,
                       documents_linked BIGINT, documents BIGINT, doc_link_prob DOUBLE);
CREATE TABLE candidates (surface VARCHAR, target VARCHAR, links BIGINT, prior DOUBLE);
"""


def _redirects(entities: Path) -> tuple[dict[str, str], dict]:
    from leia.entities import EntityTable

    table = EntityTable(entities)
    con = duckdb.connect(str(entities), read_only=True)
    try:
        rows = con.execute("SELECT title, target FROM redirects").fetchall()
    except duckdb.Error as e:
        raise InputError(f"{entities}: not an entity table built by `leia entities` ({e})") from None
    finally:
        con.close()
    return dict(rows), table.wiki


def build_mentions(
    documents: str | os.PathLike,
    entities: str | os.PathLike,
    output: str | os.PathLike,
    *,
    config: MentionConfig = MentionConfig(),
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> dict:
    """Build the mention dictionary of a folder of extracted documents at ``output`` (DuckDB) and return
    what was counted. Link targets are resolved through the entity table's redirects. Two streaming passes
    over the documents: anchors, then occurrences of the kept surfaces (in ``workers`` processes).
    The file appears only when complete."""
    from leia.shards import iter_record_batches, read_manifest

    docs = Path(documents)
    manifest = read_manifest(docs, "documents")
    if not manifest.complete:
        raise InputError(f"{docs}: the extraction is not complete; rerun `leia extract` to finish it")
    out = Path(output)
    if out.resolve() == Path(entities).resolve():
        raise OutputError(f"{out}: is the entity table; write the dictionary to another file")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: exists; choose another file or pass --overwrite")
    entities = Path(entities)
    redirects, wiki = _redirects(entities)
    doc_wiki = manifest.extra.get("wiki") or {}
    if doc_wiki.get("dbname") and wiki.get("dbname") and doc_wiki["dbname"] != wiki["dbname"]:
        raise ConfigError(f"{docs} comes from {doc_wiki['dbname']} but the entity table {entities} was built "
                          f"from {wiki['dbname']}; use the same wiki's entity table")
    total_rows = sum(s.get("rows", 0) for s in manifest.shards)

    doc_links: Counter = Counter()
    links = count_links(tqdm(iter_record_batches(docs, "documents"), desc="mentions: links", unit=" batches",
                             disable=not progress, dynamic_ncols=True), redirects, doc_links)
    entries = make_entries(links, Counter(), replace(config, min_link_prob=0.0, min_prior=0.0, block=False))
    detector = Detector(entries, replace(config, min_link_prob=0.0, min_prior=0.0, block=False))
    occurrences, doc_occurrences = _count_all(detector, iter_record_batches(docs, "documents"), workers,
                                              progress, total_rows)

    counters: Counter = Counter()
    counters["anchors"] = sum(links.values())
    counters["surfaces_linked"] = len({s for s, _ in links})
    counters["surfaces"] = len(entries)
    counters["pairs"] = sum(len(e.targets) for e in entries.values())
    final = make_entries(links, occurrences, replace(config, min_link_prob=0.0, min_prior=0.0), doc_links,
                         doc_occurrences)
    counters["surfaces_mentions"] = sum(1 for e in final.values() if _is_mention(e, config))
    from leia.outputs import atomic_duckdb

    with atomic_duckdb(out, overwrite=overwrite) as con:
        con.execute(_SCHEMA_SQL)
        surface_links = Counter()
        for (s, _), n in links.items():
            surface_links[s] += n
        names = list(final)
        surf = pa.table({
            "surface": pa.array(names, pa.string()),
            "links": pa.array([surface_links[s] for s in names], pa.int64()),
            "occurrences": pa.array([max(occurrences.get(s, 0), surface_links[s]) for s in names], pa.int64()),
            "link_prob": pa.array([final[s].link_prob for s in names], pa.float64()),
            "documents_linked": pa.array([doc_links[s] for s in names], pa.int64()),
            "documents": pa.array([max(doc_occurrences.get(s, 0), doc_links[s]) for s in names], pa.int64()),
            "doc_link_prob": pa.array([final[s].doc_link_prob for s in names], pa.float64()),
        })
        cand_rows = [(s, t, links[(s, t)], p) for s in names for t, p in final[s].targets]
        cand = pa.table({
            "surface": pa.array([r[0] for r in cand_rows], pa.string()),
            "target": pa.array([r[1] for r in cand_rows], pa.string()),
            "links": pa.array([r[2] for r in cand_rows], pa.int64()),
            "prior": pa.array([r[3] for r in cand_rows], pa.float64()),
        })
        con.register("_s", surf)
        con.execute("INSERT INTO surfaces SELECT * FROM _s ORDER BY surface")
        con.register("_c", cand)
        con.execute("INSERT INTO candidates SELECT * FROM _c ORDER BY surface, links DESC, target")
        meta = {
            "config": json.dumps(asdict(config)),
            "wiki": json.dumps(doc_wiki or wiki, ensure_ascii=False),
            "inputs": json.dumps([{"kind": "documents", "path": docs.name, "counters": manifest.counters},
                                  {"kind": "entities", "path": entities.name, "size": entities.stat().st_size}],
                                 ensure_ascii=False),
            "counters": json.dumps(dict(sorted(counters.items()))),
            "leia_version": __version__,
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    return dict(sorted(counters.items()))


def _count_all(detector: Detector, batches: Iterator[pa.RecordBatch], workers: int, progress: bool,
               total: int) -> tuple[Counter, Counter]:
    """Occurrences of every surface, and the number of documents where each occurs."""
    global _WORKER
    occurrences: Counter = Counter()
    documents: Counter = Counter()
    bar = tqdm(total=total or None, desc="mentions: occurrences", unit=" docs", disable=not progress,
               dynamic_ncols=True)
    _WORKER = detector
    try:
        if workers <= 1:
            results: Iterator[tuple[int, Counter, Counter]] = map(_occurrences_of_batch, batches)
            for rows, counts, docs in results:
                occurrences.update(counts)
                documents.update(docs)
                bar.update(rows)
        else:
            from leia.runner import imap_ordered

            for rows, counts, docs in imap_ordered(_occurrences_of_batch, batches, workers):
                occurrences.update(counts)
                documents.update(docs)
                bar.update(rows)
    finally:
        _WORKER = None
        bar.close()
    return occurrences, documents


class MentionTable:
    """A built mention dictionary, opened read-only: its configuration, counters and :meth:`detector`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.meta = read_meta(self.path, "mention dictionary", "leia mentions build", "candidates")
        self.config = MentionConfig(**json.loads(self.meta.get("config", "{}")))
        self.wiki: dict = json.loads(self.meta.get("wiki", "{}"))
        self.counters: dict = json.loads(self.meta.get("counters", "{}"))

    @property
    def dbname(self) -> str:
        return self.wiki.get("dbname", "")

    def entries(self) -> dict[str, _Entry]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            columns = {r[0] for r in con.execute("DESCRIBE surfaces").fetchall()}
            if "doc_link_prob" not in columns:
                raise InputError(f"{self.path}: a mention dictionary without document-level link "
                                 "probabilities; rebuild it with `leia mentions build`")
            surfaces = con.execute("SELECT surface, link_prob, doc_link_prob FROM surfaces").fetchall()
            candidates = con.execute(
                "SELECT surface, target, prior FROM candidates ORDER BY surface, links DESC, target").fetchall()
        finally:
            con.close()
        entries = {s: _Entry(p, [], d) for s, p, d in surfaces}
        for s, t, p in candidates:
            entries[s].targets.append((t, p))
        return entries

    def detector(self, **overrides) -> Detector:
        """A detector with the thresholds the dictionary was built with, or ``overrides`` of them."""
        return Detector(self.entries(), replace(self.config, **overrides))


def mention_detector(path: str | os.PathLike, table=None, wiki: dict | None = None) -> tuple[Detector, dict]:
    """The detector of the dictionary at ``path``, ready to fork into workers, and how a manifest names it;
    refuses a dictionary of another wiki than the entity table's or the input's."""
    mentions = MentionTable(path)
    for other, what in ((getattr(table, "dbname", ""), f"the entity table {getattr(table, 'path', '')}"),
                        ((wiki or {}).get("dbname", ""), "the input")):
        if other and mentions.dbname and other != mentions.dbname:
            raise ConfigError(f"the mention dictionary {mentions.path} was built from {mentions.dbname} but "
                              f"{what} comes from {other}; build the dictionary from the same wiki")
    detector = mentions.detector()
    if detector.config.segment:
        detector.segmenter  # load MeCab once, before workers fork
    described = {"path": mentions.path.name, "size": mentions.path.stat().st_size,
                 "config": asdict(detector.config)}
    return detector, described
