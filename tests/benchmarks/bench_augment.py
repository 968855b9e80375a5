"""Augmentation speed: MB of document text per second on one core, on the real dev articles repeated to
about 100 MB of documents, with the count of spans; extraction of the dev dump is timed in the same run
as the peer augmenting must never fall behind.

    python tests/benchmarks/bench_augment.py [--mb 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

import leia
from leia.schemas import DOCUMENTS
from leia.io.manifest import Manifest, shard_name
from leia.io.shards import ShardWriter, iter_record_batches

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100, help="MB of document text to augment")
    parser.add_argument("--nearby", type=int, default=20, help="the augmenter's --nearby window (0: off)")
    parser.add_argument("--prob", type=float, default=0.5)
    args = parser.parse_args()
    dump = SHARED / "jawiki-country-dev.xml.bz2"
    if not dump.exists():
        raise SystemExit(f"{dump} is absent: the benchmarks read ../shared/data beside the checkout")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.process_time()
        leia.extract(dump, tmp / "docs", progress=False)
        extract_cpu = time.process_time() - start
        batch = pa.Table.from_batches(list(iter_record_batches(tmp / "docs"))).combine_chunks().to_batches()[0]
        # The dev langlinks name only the 103 articles themselves; a Wikidata-style file names every linked
        # title (made-up English names), as a full jawiki entity table would for most links.
        targets = sorted({a["target"] for doc in batch.column("anchors").to_pylist() for a in doc})
        wikidata = tmp / "wikidata.json"
        with open(wikidata, "w", encoding="utf-8") as f:
            f.write("[\n")
            for i, t in enumerate(targets):
                if i % 5 == 4:
                    continue  # a fifth of the titles stay without a name
                f.write(json.dumps({"type": "item", "id": f"Q{i}", "sitelinks": {
                    "jawiki": {"site": "jawiki", "title": t}, "enwiki": {"site": "enwiki", "title": f"Entity {i}"}}},
                    ensure_ascii=False) + ",\n")
            f.write("]\n")
        leia.build_entities(tmp / "e.duckdb", dump=dump, langlinks=SHARED / "jawiki-country-dev-langlinks.sql.gz",
                            wikidata=wikidata, progress=False)
        text_mb = sum(len(t.encode()) for t in batch.column("text").to_pylist()) / 1e6
        print(f"extract: {dump.stat().st_size / 1e6:.1f} MB bz2 -> {text_mb:.2f} MB of text in {extract_cpu:.2f} "
              f"CPU-s = {text_mb / extract_cpu:.2f} MB of text per CPU-s")
        copies = max(1, round(args.mb / text_mb))
        big = tmp / "big"
        big.mkdir()
        writer = ShardWriter(big / shard_name(0), DOCUMENTS)
        ids = batch.column("id").to_pylist()
        for k in range(copies):
            writer.write_batch(batch.set_column(0, DOCUMENTS.field("id"), pa.array([k * 1_000_000 + i for i in ids], pa.int64())))
        writer.close()
        Manifest(kind="documents", inputs=[{"path": "bench"}], parameters={}, schema=DOCUMENTS.to_string(),
                 shards=[writer.entry(0, {})], complete=True,
                 extra={"wiki": {"dbname": "jawiki", "lang": "ja"}}).save(big)
        total_mb = text_mb * copies
        start_wall, start = time.perf_counter(), time.process_time()
        manifest = leia.augment(big, tmp / "e.duckdb", tmp / "aug", prob=args.prob, nearby=args.nearby,
                                progress=False)
        cpu = time.process_time() - start
        wall = time.perf_counter() - start_wall
        c = manifest.counters
        print(f"augment: {total_mb:.1f} MB of text ({c['documents']:,} documents, {c['mentions']:,} mentions, "
              f"{c['spans']:,} spans) in {cpu:.2f} CPU-s ({wall:.2f} s wall)")
        print(f"augment throughput: {total_mb / cpu:.1f} MB/s per core  (target >= 40)")
        print(f"augment / extract speed: {(total_mb / cpu) / (text_mb / extract_cpu):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
