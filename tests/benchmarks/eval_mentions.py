"""Mention detection on real jawiki articles with their anchors hidden, and its throughput.

The 103 articles of ../shared/data/jawiki-country-dev.xml.bz2 are extracted and split by page id parity:
a dictionary is built (``build_mentions``) from one half and detection runs on the other half's text, then
the other way round. For each direction it prints (a) recall of the hidden anchors (exact span), (b) the
accuracy of the target on the anchors found (targets compared after resolving redirects), (c) detected
mentions per 1,000 characters that overlap no hidden anchor (unjudged: Wikipedia links an entity once, so
later mentions are unlinked). A leave-one-out figure follows (dictionary from the 102 other articles, counts
computed once and the held-out article's own counts subtracted), then the detection throughput in MB of
UTF-8 text per CPU-second of one process, with and without word segmentation.

    python tests/benchmarks/eval_mentions.py [--dump PATH] [--min-link-prob 0.2] [--min-prior 0.01] ...
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from leia.entities import build_entities
from leia.extraction import extract
from leia.mentions import (
    Detector, MentionConfig, MentionTable, build_mentions, count_links, count_occurrences, make_entries,
)
from leia.schemas import DOCUMENTS
from leia.shards import Manifest, ShardWriter, iter_record_batches, shard_name

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def write_documents(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True)
    writer = ShardWriter(folder / shard_name(0), DOCUMENTS)
    writer.write_rows(rows)
    writer.close()
    Manifest(kind="documents", inputs=[], parameters={}, schema=DOCUMENTS.to_string(), complete=True,
             shards=[{"index": 0, "file": shard_name(0), "rows": len(rows), "counters": {}}]).save(folder)
    return folder


def score(detector: Detector, docs: list[dict], redirects: dict[str, str], surfaces: set[str]) -> dict:
    """The three figures, and the share of hidden anchors whose text is a surface of the dictionary
    (whatever its link probability): the recall a perfect detector would reach with this dictionary."""
    gold = found = correct = outside = chars = detected = known = 0
    for doc in docs:
        text = doc["text"]
        known += sum(text[a["start"]:a["end"]] in surfaces for a in doc["anchors"])
        spans = {(a["start"], a["end"]): redirects.get(a["target"], a["target"]) for a in doc["anchors"]}
        covered = bytearray(len(text) + 1)
        for s, e in spans:
            covered[s:e] = b"\x01" * (e - s)
        for s, e, target in detector.detect(text):
            detected += 1
            if (s, e) in spans:
                found += 1
                correct += target == spans[(s, e)]
            elif covered.find(1, s, e) < 0:
                outside += 1
        gold += len(spans)
        chars += len(text)
    return {"anchors": gold, "recall": found / gold, "accuracy": correct / max(found, 1),
            "outside_per_1k": 1000 * outside / chars, "detected": detected, "found": found,
            "known": known / gold}


def line(name: str, r: dict) -> str:
    return (f"{name:<34} anchors {r['anchors']:>6,}  recall {r['recall']:6.1%}  accuracy {r['accuracy']:6.1%}  "
            f"outside/1k chars {r['outside_per_1k']:5.1f}  surface known {r['known']:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=SHARED / "jawiki-country-dev.xml.bz2")
    parser.add_argument("--langlinks", type=Path, default=SHARED / "jawiki-country-dev-langlinks.sql.gz")
    parser.add_argument("--min-link-prob", type=float, default=MentionConfig.min_link_prob)
    parser.add_argument("--min-prior", type=float, default=MentionConfig.min_prior)
    parser.add_argument("--min-link-count", type=int, default=MentionConfig.min_link_count)
    parser.add_argument("--min-length", type=int, default=MentionConfig.min_length)
    parser.add_argument("--max-length", type=int, default=MentionConfig.max_length)
    parser.add_argument("--no-loo", action="store_true", help="skip the leave-one-out figure")
    args = parser.parse_args()
    config = MentionConfig(min_link_prob=args.min_link_prob, min_prior=args.min_prior,
                           min_link_count=args.min_link_count, min_length=args.min_length,
                           max_length=args.max_length)

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
                                      config=config, progress=False)
            table = MentionTable(tmp / f"mentions-{name}.duckdb")
            test = halves[1 - parity]
            known = set(table.entries())
            print(f"dictionary from the {len(halves[parity])} {name}-id articles: {counters['surfaces']:,} "
                  f"surfaces, {counters['surfaces_mentions']:,} above the thresholds")
            for label, overrides in (("", {}), (" with context", {"context": True}),
                                     (" with blocking", {"block": True}),
                                     (" no segmentation", {"segment": False})):
                print(line(f"  on {len(test)} {'odd' if parity == 0 else 'even'}-id articles{label}",
                           score(table.detector(**overrides), test, redirects, known)))

        if not args.no_loo:
            loo(docs, redirects, config)
        throughput(tmp, docs, config)


def loo(docs: list[dict], redirects: dict[str, str], config: MentionConfig) -> None:
    """Leave one out, exactly: occurrence counts of a surface do not depend on the other surfaces, so the
    counts over all articles minus the held-out article's own give the dictionary of the other 102."""
    schema = DOCUMENTS
    per_doc_links = [count_links([pa.RecordBatch.from_pylist([d], schema=schema)], redirects) for d in docs]
    links = sum(per_doc_links, Counter())
    probe = Detector(make_entries(links, Counter(), replace(config, min_link_prob=0, min_prior=0, block=False)),
                     replace(config, min_link_prob=0, min_prior=0, block=False))
    per_doc_occ = [count_occurrences(probe, d["text"], d["anchors"]) for d in docs]
    occurrences = sum(per_doc_occ, Counter())
    total: Counter = Counter()
    for d, own_links, own_occ in zip(docs, per_doc_links, per_doc_occ):
        entries = make_entries(links - own_links, occurrences - own_occ, config)
        r = score(Detector(entries, config), [d], redirects, set(entries))
        total.update({"anchors": r["anchors"], "found": r["found"], "correct": round(r["accuracy"] * r["found"]),
                      "known": round(r["known"] * r["anchors"]),
                      "outside": r["outside_per_1k"] * len(d["text"]) / 1000, "chars": len(d["text"])})
    print(line(f"leave one out ({len(docs)} articles)", {
        "anchors": total["anchors"], "recall": total["found"] / total["anchors"],
        "accuracy": total["correct"] / max(total["found"], 1), "outside_per_1k": 1000 * total["outside"] / total["chars"],
        "known": total["known"] / total["anchors"]}))


def throughput(tmp: Path, docs: list[dict], config: MentionConfig) -> None:
    folder = tmp / "documents"
    build_mentions(folder, tmp / "entities.duckdb", tmp / "mentions-all.duckdb", config=config, progress=False)
    table = MentionTable(tmp / "mentions-all.duckdb")
    texts = [d["text"] for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    for label, segment in (("with segmentation", True), ("without segmentation", False)):
        detector = table.detector(segment=segment)
        detector.detect(texts[0])
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            for text in texts:
                detector.detect(text)
            best = min(best, time.process_time() - t0)
        extra = ""
        if segment:
            extra = f"  ({detector.segmenter.analysed / 4:,.0f} runs analysed by MeCab per pass)"
        print(f"detection {label:<22} {mb / best:6.2f} MB/s per core  ({mb:.2f} MB, {len(detector):,} surfaces){extra}")
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
