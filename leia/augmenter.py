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

from leia.batchtext import BatchText, first_code_points, folded_letter_counts, is_letter
from leia.commands import Cleaning, SpanControls
from leia.entities.names import SOURCES, clean_english
from leia.schemas import AUGMENTED, MARKER_CLOSE, MARKER_OPEN, MENTION
from leia.spans import draw_mask

__all__ = ["AugmentConfig", "augment_batch", "is_latin", "Names", "NAME_SOURCES", "MENTION_SOURCES",
           "NO_SPAN_REASONS", "UNNAMED", "REPEAT"]

# Names for a batch of normalised targets: a list of (english, source) or None, aligned with the input.
Names = Callable[[Sequence[str]], Sequence["tuple[str, str] | None"]]

_LATIN_CHAR = r"[\s\d\u0021-\u007e\u00a0-\u024f\u1e00-\u1eff\u2010-\u2027]"
_LATIN_RE = re.compile(f"^{_LATIN_CHAR}*$")
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


_LATIN_TABLE: np.ndarray | None = None


def _may_start_latin(codes: np.ndarray) -> np.ndarray:
    """Whether a text starting with each code point may be written in Latin script (:func:`is_latin`): false
    only where its first character rules it out (characters beyond U+FFFF are not ruled out)."""
    global _LATIN_TABLE
    if _LATIN_TABLE is None:
        table = np.zeros(0x10001, dtype=bool)
        table[[m.start() for m in re.finditer(_LATIN_CHAR, "".join(map(chr, range(0x10000))))]] = True
        table[0x10000] = True
        _LATIN_TABLE = table
    return _LATIN_TABLE.take(codes, mode="clip")


@dataclass(frozen=True, kw_only=True)
class AugmentConfig(SpanControls):
    """How spans are drawn and placed: the span controls of ``leia augment`` (:class:`leia.commands.SpanControls`,
    where each is described), the ``epoch`` of the draw (training redraws the spans each epoch) and how English
    titles are cleaned into names (``cleaning``)."""

    epoch: int = 0
    cleaning: Cleaning = field(default_factory=Cleaning)


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
    if not m.in_order:
        picked = picked[np.lexsort((m.starts[picked], m.parent[picked]))]
    out_texts = _insert(m.text, m.parent[picked], m.starts[picked], m.ends[picked],
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
    text: BatchText
    text_len: np.ndarray
    lengths: np.ndarray
    flat: pa.StructArray
    parent: np.ndarray
    ordinal: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    targets: pa.Array
    repeat: np.ndarray
    in_order: bool  # the mentions are sorted by document and start

    @staticmethod
    def sorted_by_start(parent: np.ndarray, starts: np.ndarray) -> bool:
        return bool(np.all((parent[1:] != parent[:-1]) | (starts[1:] >= starts[:-1])))


def _flatten(batch: pa.RecordBatch) -> _Mentions:
    n_docs = batch.num_rows
    anchors = batch.column("anchors")
    lengths = pc.list_value_length(anchors).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(anchors)
    n = len(flat)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n_docs else np.zeros(0, np.int64)
    fields = {f.name for f in flat.type}
    text_len = pc.utf8_length(batch.column("text")).to_numpy(zero_copy_only=False).astype(np.int64)
    parent = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    starts = flat.field("start").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return _Mentions(
        n_docs=n_docs, n=n,
        ids=batch.column("id").to_numpy(zero_copy_only=False).astype(np.int64),
        text=BatchText(batch.column("text"), text_len), text_len=text_len,
        lengths=lengths, flat=flat,
        parent=parent, ordinal=np.arange(n, dtype=np.int64) - np.repeat(first, lengths), starts=starts,
        ends=flat.field("end").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64),
        targets=flat.field("target"),
        repeat=(pc.equal(flat.field("source"), REPEAT).fill_null(False).to_numpy(zero_copy_only=False)
                if "source" in fields else np.zeros(n, dtype=bool)),
        in_order=_Mentions.sorted_by_start(parent, starts),
    )


def _validity(m: _Mentions) -> tuple[np.ndarray, np.ndarray]:
    """Which anchors are valid (inside the text, non-empty) and which overlap the previous valid one of their
    document, in offset order."""
    n, parent, starts, ends = m.n, m.parent, m.starts, m.ends
    valid = (starts >= 0) & (ends > starts) & (ends <= m.text_len[parent]) if n else np.zeros(0, bool)
    prev_end = np.full(m.n_docs, -1, dtype=np.int64)
    overlap = np.zeros(n, dtype=bool)
    if n and not (m.in_order and _non_overlapping(parent, starts, ends, valid)):
        for i in (range(n) if m.in_order else np.lexsort((starts, parent)).tolist()):
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

    def __post_init__(self) -> None:
        kinds = pa.array(self.sources, pa.string()).dictionary_encode()
        # each entry's source as a number into ``kinds``, and each name's first character
        self.kinds: list[str] = kinds.dictionary.to_pylist()
        self.kind: np.ndarray = kinds.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.first: np.ndarray = first_code_points(self.names_arr)

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
            rows = np.flatnonzero(pc.is_valid(raw).to_numpy(zero_copy_only=False))
            entries: dict[str, int] = {}  # an inline English title -> its entry (-1: cleaned away)
            for i, english in zip(rows.tolist(), raw.drop_null().to_pylist()):
                entry = entries.get(english)
                if entry is None:
                    name, _ = clean_english(english, cleaning)
                    entry = entries[english] = -1 if name is None else len(names)
                    if name is not None:
                        names.append(name)
                        sources.append("inline")
                if entry >= 0:
                    index[i] = entry
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
    # name can, and of those only the ones that begin with the name's first character or may be Latin.
    same_length = np.flatnonzero((reason == 0) & (name_len == m.ends - m.starts))
    at = m.text.starts[m.parent[same_length]] + m.starts[same_length]
    first = m.text.code_points(at)
    maybe = (first == named.first[index[same_length]]) | _may_start_latin(first)
    for i, start in zip(same_length[maybe].tolist(), at[maybe].tolist()):
        name = named.names[index[i]]
        mention = m.text.decode(start, start + int(m.ends[i] - m.starts[i]))
        if mention == name or (mention.casefold() == name.casefold() and is_latin(mention)):
            reason[i] = _CODE["same-as-mention"]
    marker_docs = m.text.with_any(MARKER_OPEN, MARKER_CLOSE)
    if marker_docs:
        reason[(reason == 0) & np.isin(m.parent, marker_docs)] = _CODE["marker-text"]
        counters["documents_with_marker_text"] += len(marker_docs)
    # A name holding a marker would make the span unremovable.
    marked_name = pc.or_(pc.match_substring(names_arr, MARKER_OPEN), pc.match_substring(names_arr, MARKER_CLOSE))
    reason[(reason == 0) & marked_name.fill_null(False).to_numpy(zero_copy_only=False)[index]] = _CODE["marker-text"]
    if config.nearby:
        reason[_english_nearby(m.text, m.parent, m.starts, m.ends, named, reason == 0,
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
        counts = np.bincount(named.kind[named.index[eligible]], minlength=len(named.kinds))
        for kind, count in sorted(zip(named.kinds, counts.tolist())):
            if count:
                counters[f"mentions_named_{kind}"] += count
    if m.repeat.any():
        counters["mentions_repeat"] += int(m.repeat.sum())
        counters["mentions_repeat_eligible"] += int((m.repeat & eligible).sum())


def _output(batch: pa.RecordBatch, m: _Mentions, named: _Named, reason: np.ndarray, inserted: np.ndarray,
            out_texts: pa.StringArray) -> pa.RecordBatch:
    """The augmented batch: every mention with its English name (where eligible), its ``source`` (where the
    name came from, ``repeat``, or why there is no span) and whether this draw put a span at it."""
    eligible = reason == 0
    index = named.index
    english = pc.if_else(pa.array(eligible), named.names_arr.take(pa.array(index, pa.int64())),
                         pa.scalar(None, pa.string()))
    source_table = pa.array(named.kinds + list(_REASONS) + [REPEAT], pa.string())
    code = np.where(eligible, np.where(m.repeat, len(source_table) - 1, named.kind[index]),
                    len(named.kinds) + reason.astype(np.int64))
    source = source_table.take(pa.array(code, pa.int64()))
    mentions = pa.StructArray.from_arrays(
        [pa.array(m.starts, pa.int32()), pa.array(m.ends, pa.int32()), m.targets.cast(pa.string()),
         english, source, pa.array(inserted, pa.bool_())],
        fields=list(MENTION),
    )
    offsets = pa.array(np.concatenate([[0], np.cumsum(m.lengths)]).astype(np.int32), pa.int32())
    titles = batch.column("title") if "title" in batch.schema.names else pa.array([""] * m.n_docs, pa.string())
    return pa.RecordBatch.from_arrays(
        [pa.array(m.ids, pa.int64()), titles.cast(pa.string()), out_texts,
         pa.ListArray.from_arrays(offsets, mentions, type=AUGMENTED.field("mentions").type)],
        schema=AUGMENTED,
    )


def _english_nearby(text: BatchText, parent: np.ndarray, starts: np.ndarray, ends: np.ndarray, named: _Named,
                    candidates: np.ndarray, width: int) -> np.ndarray:
    """Which of the ``candidates`` have their English name within ``width`` characters before or after them,
    on the same line, ignoring case, as a word of its own. Only the windows that hold a letter of an
    alphabet are compared (names in other scripts, always)."""
    out = np.zeros(len(parent), dtype=bool)
    todo = np.flatnonzero(candidates)
    if not len(todo):
        return out
    # The windows as bytes of the batch: they end at a line break and at their document's edges.
    doc_start, doc_end = text.starts[parent[todo]], text.starts[parent[todo] + 1]
    s, e = starts[todo] + doc_start, ends[todo] + doc_start
    s_byte, e_byte = text.byte_at(s), text.byte_at(e)
    newlines = np.concatenate([[-1], text.newlines, [len(text.raw)]])
    lo = np.maximum(text.byte_at(np.maximum(s - width, doc_start)), newlines[np.searchsorted(newlines, s_byte) - 1] + 1)
    hi = np.minimum(text.byte_at(np.minimum(e + width, doc_end)), newlines[np.searchsorted(newlines, e_byte)])
    letters = text.letters
    with_letter = ((np.searchsorted(letters, lo) < np.searchsorted(letters, s_byte))
                   | (np.searchsorted(letters, e_byte) < np.searchsorted(letters, hi)))
    check = np.flatnonzero(with_letter | ~is_letter(named.first)[named.index[todo]])
    if not len(check):
        return out
    # A window whose characters, case-folded, give fewer letters than the name has cannot hold it.
    entries = named.index[todo[check]]
    distinct, which = np.unique(entries, return_inverse=True)
    need = folded_letter_counts([named.names[e] for e in distinct.tolist()])[which]
    before = text.folded_letters(lo[check], s_byte[check]) >= need
    after = text.folded_letters(e_byte[check], hi[check]) >= need
    keep = np.flatnonzero(before | after)
    raw, folded = text.raw, {}
    for i, window_start, mention_start, mention_end, window_end, entry, left, right in zip(
            todo[check[keep]].tolist(), lo[check[keep]].tolist(), s_byte[check[keep]].tolist(),
            e_byte[check[keep]].tolist(), hi[check[keep]].tolist(), entries[keep].tolist(), before[keep].tolist(),
            after[keep].tolist()):
        name = folded.get(entry)
        if name is None:
            name = folded[entry] = named.names[entry].casefold()
        out[i] = ((left and _stands_in(name, raw[window_start:mention_start].tobytes().decode("utf-8").casefold()))
                  or (right and _stands_in(name, raw[mention_end:window_end].tobytes().decode("utf-8").casefold())))
    return out


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
    # The same name may stand in several entries (a table's name and an inline one): one id per name.
    same_name = pc.dictionary_encode(names).indices.fill_null(pa.scalar(-1, pa.int32()))
    name_ids = same_name.to_numpy(zero_copy_only=False).astype(np.int64)[index[picked]]
    group = parent[picked] * (len(names) + 1) + name_ids  # (document, name)
    order = np.lexsort((starts[picked], group))
    group = group[order]
    new_group = np.concatenate([[True], group[1:] != group[:-1]])
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


def _insert(text: BatchText, parent: np.ndarray, starts: np.ndarray, ends: np.ndarray, names: pa.StringArray,
            strategy: str) -> pa.StringArray:
    """The texts with spans inserted (one per entry of ``parent``/``starts``/``ends``/``names``, sorted by
    document and offset)."""
    spans = pc.binary_join_element_wise(MARKER_OPEN, names, MARKER_CLOSE, "")
    cut_from, cut_to = {"right": (ends, ends), "left": (starts, starts), "replace": (starts, ends)}[strategy]
    return text.insert(parent, cut_from, cut_to, spans)
