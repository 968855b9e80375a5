"""The surfaces of a mention dictionary as a file every process memory-maps (``<dictionary>.surfaces``): a
marisa-trie of the surfaces, the same surfaces as a trie searched at every position of a text at once, and by
the marisa-trie's id of each its link probabilities and its targets with their priors, most probable first.

marisa-trie (the structure wikipedia2vec keeps its mention dictionary in) stores millions of surfaces in a few
tens of megabytes and numbers them; a text is searched with :class:`~leia.mentions.hashtrie.HashTrie`, whose
vectorised steps find the surfaces at all of its positions four times as fast as asking the marisa-trie at
each (and faster than the Aho-Corasick automaton each worker used to build). Mapped, their pages are shared
by every process that detects mentions, so a worker's memory does not grow with the dictionary and it starts
without building anything. The same :class:`Surfaces` is made in memory from dictionary entries (while the
dictionary is being built).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from leia.errors import require
from leia.io.mapped import Companion, MappedFile, write_mapped
from leia.mentions.entries import Entry, MentionConfig, unknown_settings
from leia.mentions.hashtrie import SECTIONS, HashTrie, build_hashtrie

__all__ = ["SURFACES", "Surfaces", "Selection", "build_surfaces"]

_ARRAYS = ("link_prob", "doc_link_prob", "lengths", "first", "priors", "target_ids", "target_offsets", "target_data")


@dataclass(frozen=True)
class Selection:
    """What a configuration looks for in a dictionary: by surface id, whether it is looked for (``active``,
    0 or 1) and how many targets a mention of it may have (``kept``, none for one that only blocks); the length
    of the longest."""

    active: np.ndarray
    kept: np.ndarray
    longest: int


def _trie(surfaces: list[str]):
    marisa_trie = require("marisa_trie", "mentions")
    return marisa_trie.Trie(surfaces)


def _search(names: list[str], trie) -> HashTrie:
    """The trie that finds ``names`` in a text, each with its id in the marisa-trie ``trie``."""
    return build_hashtrie(names, np.array([trie[s] for s in names], np.int64))


def _encode(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64) and UTF-8 bytes of a list of strings."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return offsets, np.frombuffer(b"".join(encoded), np.uint8)


class Surfaces:
    """Surfaces and their entries, indexed by the trie's ids: ``link_prob``, ``doc_link_prob``, ``lengths``
    (in characters), and each surface's targets ``first[i]:first[i + 1]`` (their ``priors``, most probable
    first, and their ``target_ids`` into the names of all the targets, each written once: ``target_offsets``,
    ``target_data``); and ``search``, the trie that finds the surfaces in a text (values: the ids)."""

    def __init__(self, trie, arrays: dict[str, np.ndarray], search: HashTrie, mapped: MappedFile | None = None):
        self.trie = trie
        self.search = search
        self.mapped = mapped
        self.link_prob = arrays["link_prob"]
        self.doc_link_prob = arrays["doc_link_prob"]
        self.lengths = arrays["lengths"]
        self.first = arrays["first"]
        self.priors = arrays["priors"]
        self.target_ids = arrays["target_ids"]
        self.target_offsets = arrays["target_offsets"]
        self.target_data = arrays["target_data"]

    @classmethod
    def from_entries(cls, entries: dict[str, Entry]) -> "Surfaces":
        """In memory, from dictionary entries (surface -> Entry)."""
        names = list(entries)
        trie = _trie(names)
        ids = np.array([trie[s] for s in names], np.int64)
        order = np.argsort(ids)  # surface rows in the order of their ids
        ordered = [entries[names[k]] for k in order.tolist()]
        counts = np.array([len(e.targets) for e in ordered], np.int64)
        first = np.zeros(len(ordered) + 1, np.int64)
        np.cumsum(counts, out=first[1:])
        ids: dict[str, int] = {}
        target_ids = np.array([ids.setdefault(t, len(ids)) for e in ordered for t, _ in e.targets], np.int32)
        offsets, data = _encode(list(ids))
        return cls(trie, {
            "link_prob": np.array([e.link_prob for e in ordered], np.float64),
            "doc_link_prob": np.array([e.doc_link_prob for e in ordered], np.float64),
            "lengths": np.array([len(names[k]) for k in order.tolist()], np.int32),
            "first": first,
            "priors": np.array([p for e in ordered for _, p in e.targets], np.float64),
            "target_ids": target_ids, "target_offsets": offsets, "target_data": data,
        }, _search(names, trie))

    @classmethod
    def from_mapped(cls, mapped: MappedFile) -> "Surfaces":
        """Over a mapped surfaces file: nothing is loaded."""
        marisa_trie = require("marisa_trie", "mentions")
        trie = marisa_trie.Trie()
        buffer = mapped.buffer("trie")
        trie.map(buffer)
        search = HashTrie.from_arrays({name: mapped.array(f"search_{name}") for name in SECTIONS})
        surfaces = cls(trie, {name: mapped.array(name) for name in _ARRAYS}, search, mapped)
        surfaces._buffer = buffer  # what the trie reads: kept as long as it is
        return surfaces

    def __reduce__(self) -> tuple:
        if self.mapped is not None:  # another process maps the file again
            return (Surfaces.from_mapped, (self.mapped,))
        return (Surfaces, (self.trie, {name: getattr(self, name) for name in _ARRAYS}, self.search))

    def __len__(self) -> int:
        return len(self.lengths)

    def surface(self, sid: int) -> str:
        return self.trie.restore_key(sid)

    def targets_of(self, sids: np.ndarray) -> list[str]:
        """The most probable target of each surface of ``sids``."""
        if not len(sids):
            return []
        return self._names(self.target_ids[self.first[np.asarray(sids, dtype=np.int64)]])

    def targets(self, sid: int, count: int) -> list[tuple[str, float]]:
        """The first ``count`` targets of surface ``sid`` with their priors."""
        first = int(self.first[sid])
        return list(zip(self._names(self.target_ids[first:first + count]), self.priors[first:first + count].tolist()))

    def _names(self, ids: np.ndarray) -> list[str]:
        """The names of targets ``ids``: each read where it lies (Arrow's take reads far more of a mapped
        array) and decoded once, all of them in one Arrow array."""
        distinct, inverse = np.unique(np.asarray(ids, np.int64), return_inverse=True)
        starts, ends = self.target_offsets[distinct], self.target_offsets[distinct + 1]
        offsets = np.zeros(len(distinct) + 1, np.int64)
        np.cumsum(ends - starts, out=offsets[1:])
        where = np.repeat(starts - offsets[:-1], ends - starts) + np.arange(offsets[-1])
        names = pa.LargeStringArray.from_buffers(len(distinct), pa.py_buffer(offsets),
                                                 pa.py_buffer(self.target_data[where])).to_pylist()
        return [names[k] for k in inverse.reshape(-1).tolist()]

    def select(self, config: MentionConfig) -> Selection:
        """What ``config`` looks for: mapped from the file when it was built with that configuration (the
        dictionary's own), else computed with numpy over the dictionary's arrays."""
        if self.mapped is not None and self.mapped.extra.get("selection") == json.loads(json.dumps(asdict(config))):
            m = self.mapped
            return Selection(m.array("active"), m.array("kept"), m.extra["longest"])
        kept = self.kept_counts(config.min_prior)
        mention = (kept > 0) & (self.first_priors() >= config.min_prior) & (
            (self.link_prob >= config.min_link_prob)
            | ((self.doc_link_prob >= config.min_doc_link_prob) if config.min_doc_link_prob is not None else False))
        fits = (self.lengths >= config.min_length) & (self.lengths <= config.max_length)
        active = fits & (mention | config.block)
        return Selection(
            active.view(np.uint8),
            np.minimum(np.where(mention & fits, kept, 0), np.iinfo(np.uint16).max).astype(np.uint16),
            int(self.lengths[active].max()) if active.any() else 0)

    def first_priors(self) -> np.ndarray:
        """The prior of each surface's most probable target (0 for a surface without targets)."""
        priors = np.zeros(len(self), np.float64)
        has = self.first[1:] > self.first[:-1]
        priors[has] = self.priors[self.first[:-1][has]]
        return priors

    def kept_counts(self, min_prior: float) -> np.ndarray:
        """How many targets of each surface have at least ``min_prior`` (they come most probable first)."""
        sums = np.concatenate([np.zeros(1, np.int64), np.cumsum(self.priors >= min_prior, dtype=np.int64)])
        return sums[self.first[1:]] - sums[self.first[:-1]]


def build_surfaces(con, path: Path, table_key: str) -> str:
    """Write the surfaces file of the mention dictionary open on ``con`` at ``path``; return its digest."""
    surfaces = con.sql("SELECT surface, link_prob, doc_link_prob FROM surfaces ORDER BY surface").to_arrow_table()
    names = surfaces.column("surface").to_pylist()
    trie = _trie(names)
    ids = np.array([trie[s] for s in names], np.int64)
    order = np.argsort(ids)
    candidates = con.sql(
        "SELECT s.k, c.target, c.prior FROM candidates c JOIN (SELECT surface, row_number() OVER (ORDER BY surface) "
        "- 1 AS k FROM surfaces) s USING (surface) ORDER BY s.k, c.links DESC, c.target").to_arrow_table()
    rows = candidates.column("k").to_numpy()
    counts = np.bincount(rows, minlength=len(names)) if len(rows) else np.zeros(len(names), np.int64)
    row_first = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts)])
    by_id = counts[order]
    first = np.concatenate([np.zeros(1, np.int64), np.cumsum(by_id)])
    within = np.arange(int(first[-1]), dtype=np.int64) - np.repeat(first[:-1], by_id)
    take = np.repeat(row_first[:-1][order], by_id) + within
    targets = candidates.column("target").take(take).combine_chunks().dictionary_encode()
    distinct = targets.dictionary.cast(pa.large_string())
    buffers = distinct.buffers()
    offsets = np.frombuffer(buffers[1], np.int64)[distinct.offset:distinct.offset + len(distinct) + 1] \
        if len(distinct) else np.zeros(1, np.int64)
    data = np.frombuffer(buffers[2], np.uint8)[offsets[0]:offsets[-1]] if len(distinct) else np.zeros(0, np.uint8)
    sections: dict[str, np.ndarray | bytes] = {
        "trie": trie.tobytes(),
        "link_prob": surfaces.column("link_prob").to_numpy()[order].astype(np.float64),
        "doc_link_prob": surfaces.column("doc_link_prob").to_numpy()[order].astype(np.float64),
        "lengths": np.array([len(names[k]) for k in order.tolist()], np.int32),
        "first": first,
        "priors": candidates.column("prior").to_numpy()[take].astype(np.float64),
        "target_ids": targets.indices.to_numpy().astype(np.int32), "target_offsets": offsets - offsets[0],
        "target_data": data,
    }
    search = build_hashtrie(names, ids)
    extra: dict = {"format": SURFACES.format, "surfaces": len(names), "table": table_key}
    has_meta = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()[0]
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall()) if has_meta else {}
    recorded = json.loads(meta.get("config") or "null")
    if isinstance(recorded, dict) and not unknown_settings(recorded):  # what a detector of the dictionary looks for
        config = MentionConfig(**recorded)
        mapped = Surfaces(trie, {k: v for k, v in sections.items() if k != "trie"}, search).select(config)
        sections.update(active=mapped.active, kept=mapped.kept)
        extra.update(selection=asdict(config), longest=mapped.longest)
    sections.update({f"search_{name}": array for name, array in search.arrays().items()})
    return write_mapped(path, SURFACES.kind, sections, extra)


SURFACES = Companion(suffix=".surfaces", key="surfaces_file", kind="mention surfaces", what="surfaces file",
                     command="leia mentions build", build=build_surfaces, format=4)
