"""Building the mention dictionary (``leia mentions build``) from a folder of extracted documents: the anchors
counted, then the occurrences of their surfaces (in worker processes), then the DuckDB file published whole.

The file holds, for every anchor text (*surface*), how often it is linked and how often it occurs in all text
(aligned to word boundaries, links included), in how many documents it is linked and in how many it occurs,
and so both its link probabilities (:mod:`leia.mentions.entries`); and each target it links to with its prior.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
from tqdm.auto import tqdm

from leia import __version__
from leia.commands import BuildMentionsSettings, MentionSettings
from leia.io.duckdb import insert_arrow
from leia.errors import InputError
from leia.mentions.detect import Detector
from leia.mentions.entries import Entry, MentionConfig, is_mention, make_entries
from leia.mentions.surfaces import SURFACES
from leia.io.provenance import Named, check_provenance
from leia.settings import takes, values

__all__ = ["build_mentions", "count_links", "count_occurrences"]

_SCHEMA_SQL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE surfaces (surface VARCHAR, links BIGINT, occurrences BIGINT, link_prob DOUBLE,
                       documents_linked BIGINT, documents BIGINT, doc_link_prob DOUBLE);
CREATE TABLE candidates (surface VARCHAR, target VARCHAR, links BIGINT, prior DOUBLE);
"""


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


def count_occurrences(detector: Detector, text: str, anchors: Sequence[dict] = (),
                      matches: Sequence[tuple[int, int, int]] | None = None) -> Counter:
    """How often each surface of ``detector`` occurs in ``text`` aligned to word boundaries, nested and
    overlapping occurrences included; every anchor counts as an occurrence of its (stripped) text, whether
    or not its ends fall on word boundaries. ``matches`` are the text's occurrences when the caller found
    them already (:meth:`Detector.matches_many`)."""
    spans = set()
    counts: Counter = Counter()
    for a in anchors:
        surface = text[a["start"]:a["end"]]
        stripped = surface.strip()
        if stripped:
            lead = len(surface) - len(surface.lstrip())
            spans.add((a["start"] + lead, a["start"] + lead + len(stripped)))
            counts[stripped] += 1
    for start, end, sid in detector.matches(text) if matches is None else matches:
        if (start, end) not in spans:
            counts[detector.surface(sid)] += 1
    return counts


@dataclass
class _Occurrences:
    """The work on one batch of documents: its rows, the occurrences of each surface, and in how many of its
    documents each occurs. Picklable with its detector, so it can go to workers."""

    detector: Detector

    def __call__(self, rb: pa.RecordBatch) -> tuple[int, Counter, Counter]:
        total: Counter = Counter()
        documents: Counter = Counter()
        texts = rb.column("text").to_pylist()
        found = self.detector.matches_many(texts)  # searched together: a search's steps shared by short texts
        for text, anchors, matches in zip(texts, rb.column("anchors").to_pylist(), found):
            counts = count_occurrences(self.detector, text, anchors, matches)
            total.update(counts)
            documents.update(counts.keys())
        return rb.num_rows, total, documents


def _count_all(detector: Detector, batches: Iterable[pa.RecordBatch], workers: int, progress: bool,
               total: int) -> tuple[Counter, Counter]:
    """Occurrences of every surface, and the number of documents where each occurs."""
    from leia.execute.pool import imap_ordered

    occurrences: Counter = Counter()
    documents: Counter = Counter()
    work = _Occurrences(detector)
    with tqdm(total=total or None, desc="mentions: occurrences", unit=" docs", disable=not progress,
              dynamic_ncols=True) as bar:
        for rows, counts, docs in (imap_ordered(work, batches, workers) if workers > 1 else map(work, batches)):
            occurrences.update(counts)
            documents.update(docs)
            bar.update(rows)
    return occurrences, documents


@dataclass
class _Counts:
    """What the two passes over the documents counted."""

    links: Counter
    doc_links: Counter
    occurrences: Counter
    doc_occurrences: Counter
    entries: dict[str, Entry]  # the surfaces the second pass looked for


@takes(BuildMentionsSettings)
def build_mentions(settings: BuildMentionsSettings) -> dict:
    """Build the mention dictionary of a folder of extracted documents at ``output`` (DuckDB) and return
    what was counted. Link targets are resolved through the entity table's redirects. Two streaming passes
    over the documents: anchors, then occurrences of the kept surfaces (in ``workers`` processes).
    The file appears only when complete. Each parameter is the option of ``leia mentions build`` of the same
    name (:class:`leia.commands.BuildMentionsSettings`); those of :class:`leia.commands.MentionSettings` are
    recorded in the dictionary as the settings its detectors use unless told otherwise."""
    from leia.entities.table import EntityTable
    from leia.io.duckdb import atomic_duckdb, check_output_file
    from leia.io.manifest import read_manifest
    from leia.io.shards import iter_record_batches

    docs, out, entities = Path(settings.documents), Path(settings.output), Path(settings.entities)
    config = MentionConfig(**values(settings, MentionSettings))
    workers, overwrite, progress = settings.workers, settings.overwrite, settings.progress
    manifest = read_manifest(docs, "documents")
    if not manifest.complete:
        raise InputError(f"{docs}: the extraction is not complete; rerun `leia extract` to finish it")
    check_output_file(out, overwrite, "mention dictionary", inputs=(entities,))
    table = EntityTable(entities)
    doc_wiki = manifest.extra.get("wiki") or {}
    check_provenance([Named("documents", str(docs), doc_wiki.get("dbname", "")),
                      Named("entities", str(entities), table.dbname)])
    redirects, wiki = table.redirects(), table.wiki

    doc_links: Counter = Counter()
    links = count_links(tqdm(iter_record_batches(docs, "documents"), desc="mentions: links", unit=" batches",
                             disable=not progress, dynamic_ncols=True), redirects, doc_links)
    entries = make_entries(links, Counter(), replace(config, min_link_prob=0.0, min_prior=0.0, block=False))
    detector = Detector(entries, replace(config, min_link_prob=0.0, min_prior=0.0, block=False))
    occurrences, doc_occurrences = _count_all(detector, iter_record_batches(docs, "documents"), workers,
                                              progress, sum(s.get("rows", 0) for s in manifest.shards))
    counts = _Counts(links, doc_links, occurrences, doc_occurrences, entries)
    final = make_entries(links, occurrences, replace(config, min_link_prob=0.0, min_prior=0.0), doc_links,
                         doc_occurrences)
    counters = _summary(counts, final, config)
    with atomic_duckdb(out, overwrite=overwrite, companions=(SURFACES,)) as con:
        con.execute(_SCHEMA_SQL)
        _write_tables(con, counts, final)
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


def _summary(counts: _Counts, final: dict[str, Entry], config: MentionConfig) -> Counter:
    counters: Counter = Counter()
    counters["anchors"] = sum(counts.links.values())
    counters["surfaces_linked"] = len({s for s, _ in counts.links})
    counters["surfaces"] = len(counts.entries)
    counters["pairs"] = sum(len(e.targets) for e in counts.entries.values())
    counters["surfaces_mentions"] = sum(1 for e in final.values() if is_mention(e, config))
    return counters


def _write_tables(con, counts: _Counts, final: dict[str, Entry]) -> None:
    """The ``surfaces`` and ``candidates`` tables, sorted."""
    links, doc_links = counts.links, counts.doc_links
    surface_links: Counter = Counter()
    for (s, _), n in links.items():
        surface_links[s] += n
    names = list(final)
    surf = pa.table({
        "surface": pa.array(names, pa.string()),
        "links": pa.array([surface_links[s] for s in names], pa.int64()),
        "occurrences": pa.array([max(counts.occurrences.get(s, 0), surface_links[s]) for s in names], pa.int64()),
        "link_prob": pa.array([final[s].link_prob for s in names], pa.float64()),
        "documents_linked": pa.array([doc_links[s] for s in names], pa.int64()),
        "documents": pa.array([max(counts.doc_occurrences.get(s, 0), doc_links[s]) for s in names], pa.int64()),
        "doc_link_prob": pa.array([final[s].doc_link_prob for s in names], pa.float64()),
    })
    cand_rows = [(s, t, links[(s, t)], p) for s in names for t, p in final[s].targets]
    cand = pa.table({
        "surface": pa.array([r[0] for r in cand_rows], pa.string()),
        "target": pa.array([r[1] for r in cand_rows], pa.string()),
        "links": pa.array([r[2] for r in cand_rows], pa.int64()),
        "prior": pa.array([r[3] for r in cand_rows], pa.float64()),
    })
    insert_arrow(con, "surfaces", surf, order="surface")
    insert_arrow(con, "candidates", cand, order="surface, links DESC, target")
