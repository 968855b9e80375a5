"""Mention detection on real jawiki articles with their anchors hidden, in-document propagation, and the
throughput of detection.

The 103 articles of ../shared/data/jawiki-country-dev.xml.bz2 are extracted and split by page id parity:
a dictionary is built (``build_mentions``) from one half and detection runs on the other half's text, then
the other way round. For each direction it prints, for all hidden anchors and for those of the 50 targets
with the most anchors: recall (exact span) and the accuracy of the target on the anchors found (targets
compared after resolving redirects); the share of hidden anchors whose text the dictionary knows; the
precision of the detections that can be judged; detected mentions per 1,000 characters that overlap no
hidden anchor. ``--grid`` tries pairs of thresholds (per occurrence, per document). A leave-one-out figure
follows (dictionary from the 102 other articles, counts computed once and the held-out article's own counts
subtracted), then propagation (the second and later links of each target hidden, found again from the
rest), then the detection throughput in MB of UTF-8 text per CPU-second of one process, with and without
word segmentation, one article at a time and 16 at a time, against MeCab alone.

    python tests/benchmarks/eval_mentions.py [--grid] [--no-loo] [--min-link-prob 0.2] [--min-doc-link-prob 0.2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from leia.commands import MentionSettings
from leia.entities import build_entities
from leia.api import extract
from leia.mentions import (
    Detector, MentionConfig, MentionTable, Propagator, build_mentions, count_links, count_occurrences, make_entries,
)
from leia.schemas import DOCUMENTS
from leia.io.manifest import Manifest, shard_name
from leia.io.shards import ShardWriter, iter_record_batches
from leia.settings import values

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def write_documents(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    writer = ShardWriter(folder / shard_name(0), DOCUMENTS)
    writer.write_rows(rows)
    writer.close()
    Manifest(kind="documents", inputs=[], parameters={}, schema=DOCUMENTS.to_string(), complete=True,
             shards=[writer.entry(0, {})]).save(folder)
    return folder


def score(detector: Detector, docs: list[dict], redirects: dict[str, str], surfaces: set[str],
          frequent: set[str] = frozenset(), propagator: Propagator | None = None) -> dict:
    """The figures of one detector on documents with hidden anchors: recall of the hidden anchors (exact
    span), target accuracy on the anchors found, the same two on the anchors whose target is in ``frequent``,
    detected mentions per 1,000 characters that overlap no anchor, the share of hidden anchors whose text is
    a surface of the dictionary (whatever its link probability: the recall a perfect detector would reach
    with this dictionary), and the precision of the detections that can be judged: one overlapping a hidden
    anchor is right when it has its span and target; one outside every anchor is judged when the document
    links the same text elsewhere, right when it links it to the detected target."""
    c: Counter = Counter()
    for doc in docs:
        text = doc["text"]
        c["known"] += sum(text[a["start"]:a["end"]] in surfaces for a in doc["anchors"])
        spans = {(a["start"], a["end"]): redirects.get(a["target"], a["target"]) for a in doc["anchors"]}
        own: dict[str, str] = {}
        for (s, e), target in spans.items():
            own.setdefault(text[s:e], target)
        covered = bytearray(len(text) + 1)
        for s, e in spans:
            covered[s:e] = b"\x01" * (e - s)
        found = detector.detect(text)
        if propagator is not None:
            detected = [{"start": s, "end": e, "target": t} for s, e, t in found]
            found = sorted(found + [(s, e, t) for s, e, t, _ in propagator.propagate(text, detected, doc["title"])])
        for s, e, target in found:
            c["detected"] += 1
            if (s, e) in spans:
                c["found"] += 1
                c["correct"] += target == spans[(s, e)]
                if spans[(s, e)] in frequent:
                    c["frequent_found"] += 1
                    c["frequent_correct"] += target == spans[(s, e)]
                c["judged"] += 1
                c["right"] += target == spans[(s, e)]
            elif covered.find(1, s, e) >= 0:
                c["judged"] += 1
            else:
                c["outside"] += 1
                if text[s:e] in own:
                    c["judged"] += 1
                    c["right"] += own[text[s:e]] == target
        c["anchors"] += len(spans)
        c["frequent"] += sum(t in frequent for t in spans.values())
        c["chars"] += len(text)
    return figures(c)


def figures(c: Counter) -> dict:
    return {"anchors": c["anchors"], "recall": c["found"] / c["anchors"], "accuracy": c["correct"] / max(c["found"], 1),
            "frequent": c["frequent"], "frequent_recall": c["frequent_found"] / max(c["frequent"], 1),
            "frequent_accuracy": c["frequent_correct"] / max(c["frequent_found"], 1),
            "outside_per_1k": 1000 * c["outside"] / c["chars"], "detected": c["detected"], "found": c["found"],
            "known": c["known"] / c["anchors"], "precision": c["right"] / max(c["judged"], 1),
            "judged": c["judged"] / max(c["detected"], 1), "counts": c}


def most_linked(docs: list[dict], redirects: dict[str, str], n: int) -> set[str]:
    """The ``n`` targets with the most anchors in ``docs`` (redirects resolved)."""
    counts = Counter(redirects.get(a["target"], a["target"]) for d in docs for a in d["anchors"])
    return {t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]}


def line(name: str, r: dict) -> str:
    return (f"{name:<34} all {r['anchors']:>6,}: recall {r['recall']:6.1%} ({r['recall'] / r['known']:4.0%} of known "
            f"{r['known']:5.1%}) accuracy {r['accuracy']:6.1%} | top-50 targets {r['frequent']:>5,}: recall "
            f"{r['frequent_recall']:6.1%} accuracy {r['frequent_accuracy']:6.1%} | precision {r['precision']:6.1%} "
            f"(judged {r['judged']:4.0%}) outside/1k {r['outside_per_1k']:5.1f}")


GRID = [(lp, dp) for lp in (0.2, 0.1, 0.05) for dp in (None, 0.5, 0.3, 0.2, 0.1)] + [(1.0, 0.3), (1.0, 0.2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=SHARED / "jawiki-country-dev.xml.bz2")
    parser.add_argument("--langlinks", type=Path, default=SHARED / "jawiki-country-dev-langlinks.sql.gz")
    parser.add_argument("--min-link-prob", type=float, default=MentionConfig.min_link_prob)
    parser.add_argument("--min-doc-link-prob", type=float, default=MentionConfig.min_doc_link_prob)
    parser.add_argument("--min-prior", type=float, default=MentionConfig.min_prior)
    parser.add_argument("--min-link-count", type=int, default=MentionConfig.min_link_count)
    parser.add_argument("--min-length", type=int, default=MentionConfig.min_length)
    parser.add_argument("--max-length", type=int, default=MentionConfig.max_length)
    parser.add_argument("--top", type=int, default=50, help="the most linked targets of the frequent slice")
    parser.add_argument("--grid", action="store_true", help="also try other pairs of thresholds")
    parser.add_argument("--no-loo", action="store_true", help="skip the leave-one-out figure")
    parser.add_argument("--no-variants", action="store_true", help="skip context, blocking, no segmentation")
    args = parser.parse_args()
    config = MentionConfig(min_link_prob=args.min_link_prob, min_doc_link_prob=args.min_doc_link_prob,
                           min_prior=args.min_prior, min_link_count=args.min_link_count,
                           min_length=args.min_length, max_length=args.max_length)

    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        extract(args.dump, tmp / "documents", progress=False)
        build_entities(tmp / "entities.duckdb", dump=args.dump, langlinks=args.langlinks, progress=False)
        import duckdb

        con = duckdb.connect(str(tmp / "entities.duckdb"), read_only=True)
        redirects = dict(con.execute("SELECT title, target FROM redirects").fetchall())
        con.close()
        docs = [row for rb in iter_record_batches(tmp / "documents", "documents") for row in rb.to_pylist()]
        print(f"{len(docs)} articles, {sum(len(d['text']) for d in docs):,} characters, "
              f"{sum(len(d['anchors']) for d in docs):,} anchors; {config}")

        halves = {0: [d for d in docs if d["id"] % 2 == 0], 1: [d for d in docs if d["id"] % 2 == 1]}
        for parity, name in ((0, "even"), (1, "odd")):
            folder = write_documents(tmp / f"dict-{name}", halves[parity])
            counters = build_mentions(folder, tmp / "entities.duckdb", tmp / f"mentions-{name}.duckdb",
                                      progress=False, **values(config, MentionSettings))
            table = MentionTable(tmp / f"mentions-{name}.duckdb")
            test = halves[1 - parity]
            known = set(table.entries())
            frequent = most_linked(test, redirects, args.top)
            print(f"dictionary from the {len(halves[parity])} {name}-id articles: {counters['surfaces']:,} "
                  f"surfaces, {counters['surfaces_mentions']:,} above the thresholds; evaluated on the "
                  f"{len(test)} {'odd' if parity == 0 else 'even'}-id articles")
            variants = [("  as configured", {})]
            if not args.no_variants:
                variants += [("  with context", {"context": True}), ("  with blocking", {"block": True}),
                             ("  no segmentation", {"segment": False})]
            if args.grid:
                variants += [(f"  link {lp:.2f} doc {dp if dp is None else f'{dp:.2f}'}",
                              {"min_link_prob": lp, "min_doc_link_prob": dp}) for lp, dp in GRID]
            for label, overrides in variants:
                print(line(label, score(table.detector(**overrides), test, redirects, known, frequent)), flush=True)
            print(line("  then propagated", score(table.detector(), test, redirects, known, frequent, Propagator())))

        if not args.no_loo:
            loo(docs, redirects, config, most_linked(docs, redirects, args.top))
        propagation(docs, redirects)
        throughput(tmp, docs, config)


def loo(docs: list[dict], redirects: dict[str, str], config: MentionConfig, frequent: set[str]) -> None:
    """Leave one out, exactly: occurrence counts of a surface do not depend on the other surfaces, so the
    counts over all articles minus the held-out article's own give the dictionary of the other 102."""
    schema = DOCUMENTS
    per_doc_links = [count_links([pa.RecordBatch.from_pylist([d], schema=schema)], redirects) for d in docs]
    links = sum(per_doc_links, Counter())
    per_doc_linked = [Counter({s for s, _ in own}) for own in per_doc_links]
    doc_links = sum(per_doc_linked, Counter())
    probe = Detector(make_entries(links, Counter(), replace(config, min_link_prob=0, min_prior=0, block=False)),
                     replace(config, min_link_prob=0, min_prior=0, block=False))
    per_doc_occ = [count_occurrences(probe, d["text"], d["anchors"]) for d in docs]
    occurrences = sum(per_doc_occ, Counter())
    doc_occurrences = sum((Counter(own.keys()) for own in per_doc_occ), Counter())
    total: Counter = Counter()
    for d, own_links, own_linked, own_occ in zip(docs, per_doc_links, per_doc_linked, per_doc_occ):
        entries = make_entries(links - own_links, occurrences - own_occ, config, doc_links - own_linked,
                               doc_occurrences - Counter(own_occ.keys()))
        total.update(score(Detector(entries, config), [d], redirects, set(entries), frequent)["counts"])
    print(line(f"leave one out ({len(docs)} articles)", figures(total)))


def propagation(docs: list[dict], redirects: dict[str, str]) -> None:
    """In-document propagation on the articles themselves: the second and later anchors of every target an
    article links more than once are hidden, and propagation from the anchors left must find them again
    (exact span; target compared after resolving redirects). Then, with all anchors, how many mentions
    propagation adds per article."""
    propagator = Propagator()
    c: Counter = Counter()
    for d in docs:
        seen: set[str] = set()
        kept, hidden = [], {}
        for a in sorted(d["anchors"], key=lambda a: a["start"]):
            target = redirects.get(a["target"], a["target"])
            if target in seen:
                hidden[(a["start"], a["end"])] = target
            else:
                seen.add(target)
                kept.append(a)
        covered = bytearray(len(d["text"]) + 1)
        for s, e in hidden:
            covered[s:e] = b"\x01" * (e - s)
        for s, e, target, _ in propagator.propagate(d["text"], kept, d["title"]):
            c["added"] += 1
            if (s, e) in hidden:
                c["found"] += 1
                c["correct"] += redirects.get(target, target) == hidden[(s, e)]
            elif covered.find(1, s, e) >= 0:
                c["overlapping"] += 1
        c["hidden"] += len(hidden)
        c["repeats"] += len(propagator.propagate(d["text"], d["anchors"], d["title"]))
        c["anchors"] += len(d["anchors"])
    print(f"propagation, later links hidden: {c['hidden']:,} hidden anchors (of {c['anchors']:,}); recovered "
          f"{c['found'] / c['hidden']:.1%} (exact span), target accuracy {c['correct'] / max(c['found'], 1):.1%}; "
          f"{c['overlapping']:,} partial overlaps; {c['added'] - c['found'] - c['overlapping']:,} outside the "
          f"hidden anchors")
    print(f"propagation from all anchors: {c['repeats']:,} mentions added to {c['anchors']:,} anchors, "
          f"{c['repeats'] / len(docs):.1f} per article (+{c['repeats'] / c['anchors']:.0%})")


def throughput(tmp: Path, docs: list[dict], config: MentionConfig) -> None:
    folder = tmp / "documents"
    build_mentions(folder, tmp / "entities.duckdb", tmp / "mentions-all.duckdb", progress=False,
                   **values(config, MentionSettings))
    table = MentionTable(tmp / "mentions-all.duckdb")
    texts = [d["text"] for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    for label, segment in (("with segmentation", True), ("without segmentation", False)):
        detector = table.detector(segment=segment)
        detector.detect(texts[0])
        for way, detect in (("one article at a time", lambda: [detector.detect(text) for text in texts]),
                            ("16 articles at a time", lambda: [detector.detect_many(texts[i:i + 16])
                                                                for i in range(0, len(texts), 16)])):
            best = float("inf")
            for _ in range(3):
                detector.segmenter._cache.clear()  # every pass starts without the runs of the one before
                analysed, tagged = detector.segmenter.analysed, detector.segmenter.tagged
                t0 = time.process_time()
                detect()
                best = min(best, time.process_time() - t0)
            extra = ""
            if segment:
                extra = (f"  ({detector.segmenter.analysed - analysed:,} runs analysed per pass, "
                         f"{detector.segmenter.tagged - tagged:,} of them new to the pass and so tagged by MeCab)")
            print(f"detection {label:<22} {way}: {mb / best:6.2f} MB/s per core  ({mb:.2f} MB, {len(detector):,} "
                  f"surfaces){extra}")
    import fugashi

    tagger = fugashi.Tagger("-Owakati")
    lines = [line for t in texts for line in t.split("\n")]
    t0 = time.process_time()
    for text in lines:
        tagger.parse(text)
    print(f"peer: MeCab (fugashi, unidic-lite, -Owakati) alone over all the text: "
          f"{mb / (time.process_time() - t0):6.2f} MB/s per core")


if __name__ == "__main__":
    main()
