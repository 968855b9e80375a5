"""Augmentation on this machine: the local engine (1 and 2 processes) against the Ray engine (2 actors), on
the real dev articles repeated to about 100 MB of document text in 8 shards. Prints each throughput in MB of
text per wall-clock second, Ray's start-up and its overhead against the local engine with as many
processes, and checks that every run wrote the same bytes.

    python tests/benchmarks/bench_ray.py [--mb 100] [--workers 2]
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
SHARDS = 8


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def build_inputs(tmp: Path, target_mb: float) -> tuple[Path, Path, float]:
    """Documents (the dev articles repeated, fresh ids per copy, in SHARDS shards) and an entity table that
    names four fifths of the linked titles; returns both paths and the MB of text."""
    dump = SHARED / "jawiki-country-dev.xml.bz2"
    if not dump.exists():
        raise SystemExit(f"{dump} is absent: the benchmarks read ../shared/data beside the checkout")
    leia.extract(dump, tmp / "dev", progress=False)
    batch = pa.Table.from_batches(list(iter_record_batches(tmp / "dev"))).combine_chunks().to_batches()[0]
    targets = sorted({a["target"] for doc in batch.column("anchors").to_pylist() for a in doc})
    wikidata = tmp / "wikidata.json"
    with open(wikidata, "w", encoding="utf-8") as f:
        items = [{"type": "item", "id": f"Q{i}", "sitelinks": {"jawiki": {"site": "jawiki", "title": t},
                                                              "enwiki": {"site": "enwiki", "title": f"Entity {i}"}}}
                 for i, t in enumerate(targets) if i % 5 != 4]
        f.write("[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n]\n")
    entities = tmp / "entities.duckdb"
    leia.build_entities(entities, dump=dump, langlinks=SHARED / "jawiki-country-dev-langlinks.sql.gz",
                        wikidata=wikidata, progress=False)
    text_mb = sum(len(t.encode()) for t in batch.column("text").to_pylist()) / 1e6
    copies = max(SHARDS, round(target_mb / text_mb))
    docs = tmp / "docs"
    docs.mkdir()
    ids = batch.column("id").to_pylist()
    shards = []
    for s in range(SHARDS):
        writer = ShardWriter(docs / shard_name(s), DOCUMENTS)
        for k in range(s, copies, SHARDS):
            writer.write_batch(batch.set_column(0, DOCUMENTS.field("id"),
                                                pa.array([k * 1_000_000 + i for i in ids], pa.int64())))
        writer.close()
        shards.append(writer.entry(s, {}))
    Manifest(kind="documents", inputs=[{"path": "bench"}], parameters={}, schema=DOCUMENTS.to_string(),
             shards=shards, complete=True, extra={"wiki": {"dbname": "jawiki", "lang": "ja"}}).save(docs)
    return docs, entities, text_mb * copies


def timed(label: str, mb: float, fn) -> float:
    start = time.perf_counter()
    manifest = fn()
    wall = time.perf_counter() - start
    print(f"{label:<28} {wall:7.2f} s  {mb / wall:6.1f} MB/s  ({manifest.counters['spans']:,} spans)")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100, help="MB of document text")
    parser.add_argument("--workers", type=int, default=2, help="processes / Ray actors")
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs, entities, mb = build_inputs(tmp, args.mb)
        print(f"input: {mb:.1f} MB of text in {SHARDS} shards; {args.workers} workers; {ray.__version__=}")
        common = dict(prob=0.5, seed=0, progress=False)
        local1 = timed("local, 1 process", mb, lambda: leia.augment(docs, entities, tmp / "l1", workers=1, **common))
        localn = timed(f"local, {args.workers} processes", mb,
                       lambda: leia.augment(docs, entities, tmp / "ln", workers=args.workers, **common))
        start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="ERROR")
        startup = time.perf_counter() - start
        print(f"{'ray.init':<28} {startup:7.2f} s")
        on_ray = timed(f"ray, {args.workers} actors", mb, lambda: leia.augment(
            docs, entities, tmp / "ray", engine="ray", workers=args.workers, **common))
        ray.shutdown()
        same = folder_bytes(tmp / "l1") == folder_bytes(tmp / "ln") == folder_bytes(tmp / "ray")
        print(f"identical output (local 1, local {args.workers}, ray): {same}")
        print(f"ray / local {args.workers} processes: {localn / on_ray:.2f}x throughput; overhead "
              f"{on_ray - localn:+.2f} s per run (+{startup:.2f} s ray.init once); local {args.workers} / local 1: "
              f"{local1 / localn:.2f}x")
        if not same:
            raise SystemExit("outputs differ")


if __name__ == "__main__":
    sys.exit(main())
