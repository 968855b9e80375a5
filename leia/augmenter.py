"""Inserting ``<translate>English</translate>`` spans into a batch of documents: a pure function of an
Arrow record batch, the English names and the parameters, vectorised with pyarrow and numpy.

Every anchor becomes a *mention* of the output, whether or not it got a span, with its offsets in the
un-augmented text, so that training can redraw the spans with another probability or strategy.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leia.entities.names import SOURCES, Cleaning, clean_english
from leia.schemas import AUGMENTED, MARKER_CLOSE, MARKER_OPEN, MENTION
from leia.errors import ConfigError
from leia.spans import check_strategy, draw_mask

__all__ = ["AugmentConfig", "augment_batch", "is_latin", "Names", "NAME_SOURCES", "MENTION_SOURCES",
           "NO_SPAN_REASONS", "UNNAMED", "REPEAT"]

# Names for a batch of normalised targets: a list of (english, source) or None, aligned with the input.
Names = Callable[[Sequence[str]], Sequence["tuple[str, str] | None"]]

_LATIN_RE = re.compile(r"^[\s\d\u0021-\u007e\u00a0-\u024f\u1e00-\u1eff\u2010-\u2027]*$")
_SPAN_OVERHEAD = len(MARKER_OPEN) + len(MARKER_CLOSE)
# The vocabulary of a mention's `source`. A mention that may get a span says where its English name came from
# (NAME_SOURCES), or that it is a later occurrence propagation added (REPEAT); one that may not says why
# (NO_SPAN_REASONS, in the order they are decided; UNNAMED are those where no English name is known).
NAME_SOURCES = ("inline",) + SOURCES
REPEAT = "repeat"
MENTION_SOURCES = NAME_SOURCES + (REPEAT,)
NO_SPAN_REASONS = ("unknown", "invalid", "overlap", "same-as-mention", "marker-text", "english-nearby",
                   "entity-cap")
UNNAMED = NO_SPAN_REASONS[:3]
_UNKNOWN = NO_SPAN_REASONS[0]
_REASONS = ("eligible",) + NO_SPAN_REASONS  # code 0 is "eligible"
_CODE = {reason: code for code, reason in enumerate(_REASONS)}


def is_latin(text: str) -> bool:
    """True for text written in Latin script (with digits, spaces and punctuation)."""
    return bool(_LATIN_RE.match(text))


@dataclass(frozen=True)
class AugmentConfig:
    """How spans are drawn and placed. ``prob`` 1.0 puts a span at every eligible mention.

    ``nearby``: a mention gets no span when its English name already stands within this many characters of
    it on the same line (``ニューヨーク（New York）``), ignoring case, as a word of its own (not inside a longer
    Latin word); 0 turns the check off.
    ``max_spans_per_entity``: at most this many mentions of one entity (one English name) per document may
    get a span, the first ones in the text; the later ones get none, whatever the draw. None: no limit.
    """

    prob: float = 0.5
    strategy: str = "right"
    seed: int = 0
    epoch: int = 0
    cleaning: Cleaning = field(default_factory=Cleaning)
    nearby: int = 20
    max_spans_per_entity: int | None = 10

    def __post_init__(self) -> None:
        if not 0.0 <= self.prob <= 1.0:
            raise ConfigError(f"prob must be between 0 and 1, got {self.prob}")
        if self.nearby < 0:
            raise ConfigError(f"nearby must be at least 0, got {self.nearby}")
        if self.max_spans_per_entity is not None and self.max_spans_per_entity < 1:
            raise ConfigError(f"max_spans_per_entity must be at least 1, got {self.max_spans_per_entity}")
        check_strategy(self.strategy)


def _utf32(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def augment_batch(batch: pa.RecordBatch, names: Names, config: AugmentConfig) -> tuple[pa.RecordBatch, dict]:
    """Augment one batch of documents (columns ``id``, ``title``, ``text``, ``anchors``) and return the batch
    of augmented documents under :data:`leia.schemas.AUGMENTED` with what was counted.

    A mention gets a span when its English name is known (the anchor's inline English title, else the entity
    table's), differs from the mention as written (and, for Latin script, differs ignoring case), its anchor
    is valid and does not overlap an earlier one, and the draw says so.
    """
    counters: Counter = Counter()
    m = _flatten(batch)
    named = _Named.of(m, names, config.cleaning)
    reason = _reasons(m, named, config, counters)
    eligible = reason == 0
    _count_reasons(m, named, reason, counters)
    inserted = eligible & draw_mask(m.ids[m.parent], m.ordinal, config.prob, config.seed, config.epoch)
    picked = np.flatnonzero(inserted)
    picked = picked[np.lexsort((m.starts[picked], m.parent[picked]))]
    out_texts = _insert(m.texts, m.parent[picked], m.starts[picked], m.ends[picked],
                        named.names_arr.take(pa.array(named.index[picked], pa.int64())), config.strategy)
    counters["documents"] += m.n_docs
    counters["mentions"] += m.n
    counters["mentions_eligible"] += int(eligible.sum())
    counters["spans"] += int(inserted.sum())
    counters["text_chars"] += int(m.text_len.sum())
    return _output(batch, m, named, reason, inserted, out_texts), dict(counters)


@dataclass
class _Mentions:
    """A batch's anchors flattened into arrays, one entry a mention: its document (``parent``), its position
    among the document's anchors (``ordinal``), its offsets, target, and whether propagation added it."""

    n_docs: int
    n: int
    ids: np.ndarray
    texts: list[str]
    text_len: np.ndarray
    lengths: np.ndarray
    flat: pa.StructArray
    parent: np.ndarray
    ordinal: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    targets: pa.Array
    repeat: np.ndarray


def _flatten(batch: pa.RecordBatch) -> _Mentions:
    n_docs = batch.num_rows
    anchors = batch.column("anchors")
    lengths = pc.list_value_length(anchors).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(anchors)
    n = len(flat)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n_docs else np.zeros(0, np.int64)
    fields = {f.name for f in flat.type}
    return _Mentions(
        n_docs=n_docs, n=n,
        ids=batch.column("id").to_numpy(zero_copy_only=False).astype(np.int64),
        texts=batch.column("text").to_pylist(),
        text_len=pc.utf8_length(batch.column("text")).to_numpy(zero_copy_only=False).astype(np.int64),
        lengths=lengths, flat=flat,
        parent=np.repeat(np.arange(n_docs, dtype=np.int64), lengths),
        ordinal=np.arange(n, dtype=np.int64) - np.repeat(first, lengths),
        starts=flat.field("start").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64),
        ends=flat.field("end").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64),
        targets=flat.field("target"),
        repeat=(pc.equal(flat.field("source"), REPEAT).fill_null(False).to_numpy(zero_copy_only=False)
                if "source" in fields else np.zeros(n, dtype=bool)),
    )


def _validity(m: _Mentions) -> tuple[np.ndarray, np.ndarray]:
    """Which anchors are valid (inside the text, non-empty) and which overlap the previous valid one of their
    document, in offset order."""
    n, parent, starts, ends = m.n, m.parent, m.starts, m.ends
    valid = (starts >= 0) & (ends > starts) & (ends <= m.text_len[parent]) if n else np.zeros(0, bool)
    order = np.lexsort((starts, parent)) if n else np.zeros(0, np.int64)
    prev_end = np.full(m.n_docs, -1, dtype=np.int64)
    overlap = np.zeros(n, dtype=bool)
    if n and not (np.all(np.diff(order) == 1) and _non_overlapping(parent, starts, ends, valid)):
        for i in order:
            if not valid[i]:
                continue
            if starts[i] < prev_end[parent[i]]:
                overlap[i] = True
            else:
                prev_end[parent[i]] = ends[i]
    return valid, overlap


@dataclass
class _Named:
    """The English names of a batch's mentions: one lookup per distinct target, then every mention refers to
    an entry of ``names``/``sources`` by ``index`` (the last entries are the inline names)."""

    names: list
    sources: list
    index: np.ndarray
    names_arr: pa.StringArray

    @classmethod
    def of(cls, m: _Mentions, lookup: Names, cleaning: Cleaning) -> "_Named":
        encoded = m.targets.dictionary_encode()
        answers = list(lookup(encoded.dictionary.to_pylist()))
        names = [a[0] if a else None for a in answers]
        sources = [a[1] if a else _UNKNOWN for a in answers]
        index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        index[index < 0] = len(names)
        names.append(None)
        sources.append(_UNKNOWN)
        if "english" in {f.name for f in m.flat.type}:
            raw = m.flat.field("english")
            for i in np.flatnonzero(pc.is_valid(raw).to_numpy(zero_copy_only=False)):
                name, _ = clean_english(raw[int(i)].as_py(), cleaning)
                if name is not None:
                    index[i] = len(names)
                    names.append(name)
                    sources.append("inline")
        return cls(names, sources, index, pa.array(names, pa.string()))


def _reasons(m: _Mentions, named: _Named, config: AugmentConfig, counters: Counter) -> np.ndarray:
    """Why each mention has no span, as a code into ``_REASONS`` (0: eligible), in the order they are decided."""
    valid, overlap = _validity(m)
    names_arr, index = named.names_arr, named.index
    has_name = pc.is_valid(names_arr).to_numpy(zero_copy_only=False)[index]
    name_len = pc.utf8_length(names_arr).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)[index]
    reason = np.zeros(m.n, dtype=np.int8)
    reason[~has_name] = _CODE["unknown"]
    reason[has_name & ~valid] = _CODE["invalid"]
    reason[has_name & valid & overlap] = _CODE["overlap"]
    # A mention that already reads as its English name gets no span; only mentions exactly as long as their
    # name can, so only those are compared.
    for i in np.flatnonzero((reason == 0) & (name_len == m.ends - m.starts)):
        name = named.names[index[i]]
        mention = m.texts[m.parent[i]][m.starts[i]:m.ends[i]]
        if mention == name or (mention.casefold() == name.casefold() and is_latin(mention)):
            reason[i] = _CODE["same-as-mention"]
    marker_docs = [j for j, t in enumerate(m.texts) if MARKER_OPEN in t or MARKER_CLOSE in t]
    if marker_docs:
        reason[(reason == 0) & np.isin(m.parent, marker_docs)] = _CODE["marker-text"]
        counters["documents_with_marker_text"] += len(marker_docs)
    # A name holding a marker would make the span unremovable.
    marked_name = pc.or_(pc.match_substring(names_arr, MARKER_OPEN), pc.match_substring(names_arr, MARKER_CLOSE))
    reason[(reason == 0) & marked_name.fill_null(False).to_numpy(zero_copy_only=False)[index]] = _CODE["marker-text"]
    if config.nearby:
        reason[_english_nearby(m.texts, m.parent, m.starts, m.ends, named.names, index, reason == 0,
                               config.nearby)] = _CODE["english-nearby"]
    if config.max_spans_per_entity is not None:
        reason[_over_cap(m.parent, m.starts, index, names_arr, reason == 0,
                         config.max_spans_per_entity)] = _CODE["entity-cap"]
    return reason


def _count_reasons(m: _Mentions, named: _Named, reason: np.ndarray, counters: Counter) -> None:
    """Mentions by reason for no span, eligible ones by where their name came from, and the repeats."""
    eligible = reason == 0
    for code, count in zip(*np.unique(reason[reason > 0], return_counts=True)):
        counters[f"mentions_{_REASONS[code].replace('-', '_')}"] += int(count)
    if eligible.any():
        kinds, counts = np.unique(np.array(named.sources, dtype=object)[named.index[eligible]].astype(str),
                                  return_counts=True)
        for kind, count in zip(kinds, counts):
            counters[f"mentions_named_{kind}"] += int(count)
    if m.repeat.any():
        counters["mentions_repeat"] += int(m.repeat.sum())
        counters["mentions_repeat_eligible"] += int((m.repeat & eligible).sum())


def _output(batch: pa.RecordBatch, m: _Mentions, named: _Named, reason: np.ndarray, inserted: np.ndarray,
            out_texts: list[str]) -> pa.RecordBatch:
    """The augmented batch: every mention with its English name (where eligible), its ``source`` (where the
    name came from, ``repeat``, or why there is no span) and whether this draw put a span at it."""
    eligible = reason == 0
    index, sources = named.index, named.sources
    english = pc.if_else(pa.array(eligible), named.names_arr.take(pa.array(index, pa.int64())),
                         pa.scalar(None, pa.string()))
    source_table = pa.array(sources + list(_REASONS) + [REPEAT], pa.string())
    code = np.where(eligible, np.where(m.repeat, len(source_table) - 1, index), len(sources) + reason.astype(np.int64))
    source = source_table.take(pa.array(code, pa.int64()))
    mentions = pa.StructArray.from_arrays(
        [pa.array(m.starts, pa.int32()), pa.array(m.ends, pa.int32()), m.targets.cast(pa.string()),
         english, source, pa.array(inserted, pa.bool_())],
        fields=list(MENTION),
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(m.lengths)]).astype(np.int32), pa.int32())
    titles = batch.column("title") if "title" in batch.schema.names else pa.array([""] * m.n_docs, pa.string())
    return pa.RecordBatch.from_arrays(
        [pa.array(m.ids, pa.int64()), titles.cast(pa.string()), pa.array(out_texts, pa.string()),
         pa.ListArray.from_arrays(offsets, mentions, type=AUGMENTED.field("mentions").type)],
        schema=AUGMENTED,
    )


def _english_nearby(texts: list[str], parent: np.ndarray, starts: np.ndarray, ends: np.ndarray, names: list,
                    index: np.ndarray, candidates: np.ndarray, width: int) -> np.ndarray:
    """Which of the ``candidates`` have their English name within ``width`` characters before or after them,
    on the same line, ignoring case, as a word of its own. Only the windows that hold a letter of an
    alphabet are compared (names in other scripts, always)."""
    out = np.zeros(len(parent), dtype=bool)
    todo = np.flatnonzero(candidates)
    if not len(todo):
        return out
    # One code-point array of the batch, documents joined by newlines so that no window crosses two.
    codes = _utf32("\n".join(texts))
    base = np.concatenate([[0], np.cumsum([len(t) + 1 for t in texts])])[parent[todo]]
    s, e = starts[todo] + base, ends[todo] + base
    newlines = np.concatenate([[-1], np.flatnonzero(codes == 10), [len(codes)]])
    lo = np.maximum(s - width, newlines[np.searchsorted(newlines, s) - 1] + 1)
    hi = np.minimum(e + width, newlines[np.searchsorted(newlines, e)])
    letters = np.concatenate([[0], np.cumsum(_is_letter(codes), dtype=np.int32)])
    with_letter = (letters[s] > letters[lo]) | (letters[hi] > letters[e])
    first = _is_letter(np.array([ord(n[0]) if n else 0 for n in names], dtype=np.uint32))
    check = np.flatnonzero(with_letter | ~first[index[todo]])
    if not len(check):
        return out
    rows = todo[check]
    for i, doc, a, b, c, d, name in zip(rows.tolist(), parent[rows].tolist(), (lo[check] - base[check]).tolist(),
                                        starts[rows].tolist(), ends[rows].tolist(), (hi[check] - base[check]).tolist(),
                                        index[rows].tolist()):
        text = texts[doc]
        name = names[name].casefold()
        out[i] = _stands_in(name, text[a:b].casefold()) or _stands_in(name, text[c:d].casefold())
    return out


def _letter_table() -> np.ndarray:
    table = np.zeros(0x10001, dtype=bool)
    table[0x41:0x5B] = table[0x61:0x7B] = table[0xC0:0x530] = table[0xFF21:0xFF3B] = table[0xFF41:0xFF5B] = True
    table[[0xD7, 0xF7]] = False
    return table


_LETTERS = _letter_table()


def _is_letter(codes: np.ndarray) -> np.ndarray:
    """Letters of the alphabets an English name is written in: Latin (with its extensions), Greek, Cyrillic."""
    return _LETTERS[np.minimum(codes, 0x10000)]


def _stands_in(name: str, window: str) -> bool:
    """Whether ``name`` occurs in ``window`` as a word of its own (not inside a longer Latin word)."""
    if name not in window:
        return False
    at = window.find(name)
    while at >= 0:
        before = window[at - 1] if at else " "
        after = window[at + len(name)] if at + len(name) < len(window) else " "
        if not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum()):
            return True
        at = window.find(name, at + 1)
    return False


def _over_cap(parent: np.ndarray, starts: np.ndarray, index: np.ndarray, names: pa.StringArray,
              candidates: np.ndarray, cap: int) -> np.ndarray:
    """Which of the ``candidates`` come after the first ``cap`` candidates of the same English name in the
    same document, in text order."""
    out = np.zeros(len(parent), dtype=bool)
    picked = np.flatnonzero(candidates)
    if not len(picked):
        return out
    name_ids = pc.dictionary_encode(names.take(pa.array(index[picked], pa.int64()))).indices
    name_ids = name_ids.to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.lexsort((starts[picked], name_ids, parent[picked]))
    key_p, key_n = parent[picked][order], name_ids[order]
    new_group = np.concatenate([[True], (key_p[1:] != key_p[:-1]) | (key_n[1:] != key_n[:-1])])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - group_start
    out[picked[order[rank >= cap]]] = True
    return out


def _non_overlapping(parent: np.ndarray, starts: np.ndarray, ends: np.ndarray, valid: np.ndarray) -> bool:
    """True when the anchors are sorted, valid and disjoint within each document (the common case)."""
    if not valid.all():
        return False
    same = parent[1:] == parent[:-1]
    return bool(np.all(~same | (starts[1:] >= ends[:-1])))


def _insert(texts: list[str], parent: np.ndarray, starts: np.ndarray, ends: np.ndarray,
            names: pa.StringArray, strategy: str) -> list[str]:
    """Insert spans (one per entry of ``parent``/``starts``/``ends``/``names``, sorted by document and
    offset) into every text of the batch at once, on one UTF-32 code-point array."""
    if not len(parent):
        return texts
    docs_with = np.unique(parent)
    todo = [texts[j] for j in docs_with]
    lens = np.array([len(t) for t in todo], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(lens)[:-1]])
    doc_slot = np.full(len(texts), -1, dtype=np.int64)
    doc_slot[docs_with] = np.arange(len(docs_with))
    codes = _utf32("".join(todo))
    span_lens = pc.utf8_length(names).to_numpy(zero_copy_only=False).astype(np.int64) + _SPAN_OVERHEAD
    span_codes = _utf32(MARKER_OPEN + (MARKER_CLOSE + MARKER_OPEN).join(names.to_pylist()) + MARKER_CLOSE)
    slot = doc_slot[parent]
    offset = base[slot]
    s = starts + offset
    e = ends + offset
    removed_per_doc = np.zeros(len(docs_with), dtype=np.int64)
    if strategy == "replace":
        cover = np.zeros(len(codes) + 1, dtype=np.int64)
        np.add.at(cover, s, 1)
        np.add.at(cover, e, -1)
        keep = np.cumsum(cover[:-1]) == 0
        removed_before = np.concatenate([[0], np.cumsum(~keep)])
        position = s - removed_before[s]
        codes = codes[keep]
        np.add.at(removed_per_doc, slot, e - s)
    else:
        position = e if strategy == "right" else s
    out = np.insert(codes, np.repeat(position, span_lens), span_codes).tobytes().decode("utf-32-le")
    added = np.zeros(len(docs_with), dtype=np.int64)
    np.add.at(added, slot, span_lens)
    new_lens = lens + added - removed_per_doc
    bounds = np.concatenate([[0], np.cumsum(new_lens)])
    result = list(texts)
    for k, j in enumerate(docs_with):
        result[j] = out[bounds[k]:bounds[k + 1]]
    return result
