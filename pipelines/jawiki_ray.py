"""The full jawiki build on a Ray cluster: extract the dump, build the entity table, augment.

    # the dumps, from https://dumps.wikimedia.org/jawiki/latest/
    wget https://dumps.wikimedia.org/jawiki/latest/jawiki-latest-pages-articles-multistream.xml.bz2
    wget https://dumps.wikimedia.org/jawiki/latest/jawiki-latest-langlinks.sql.gz
    python pipelines/jawiki_ray.py --dump jawiki-latest-pages-articles-multistream.xml.bz2 \\
        --langlinks jawiki-latest-langlinks.sql.gz -o /shared/leia-jawiki --address auto

On one machine (a local Ray instance is started), on the sample dump in data/:

    python pipelines/jawiki_ray.py --dump data/sample-jawiki-pages-articles.xml \\
        --langlinks data/sample-jawiki-langlinks.sql -o /tmp/leia-ray --shard-size 4

Extraction and augmentation run on the cluster; the entity table is built on the machine running this script
(DuckDB, one process) and sent to the workers once. Every step resumes: run the same command again after an
interruption. The output is byte-identical to `leia run` with the same dump, langlinks and seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import leia


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", required=True, help="jawiki pages-articles .xml.bz2")
    parser.add_argument("--langlinks", required=True, help="jawiki langlinks .sql.gz")
    parser.add_argument("-o", "--output", required=True, help="output folder, on storage every node sees")
    # Cluster-specific: "auto" joins the cluster this machine belongs to (started with `ray start`); a
    # "ray://HEAD:10001" address connects from outside it; nothing starts a Ray instance on this machine.
    parser.add_argument("--address", default=None, help="Ray cluster address (default: RAY_ADDRESS or local)")
    # Cluster-specific: None gives one worker per CPU of the cluster. With the multistream dump each worker
    # decompresses only the streams of its shards (after a counting pass spread over the workers).
    parser.add_argument("--workers", type=int, default=None, help="Ray actors (default: one per cluster CPU)")
    parser.add_argument("--shard-size", type=int, default=20_000, help="documents per shard")
    parser.add_argument("--prob", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import ray  # pip install 'leia[ray]'

    ray.init(address=args.address, include_dashboard=False)  # one session for both steps that run on Ray
    out = Path(args.output)
    ray_options = dict(engine="ray", workers=args.workers)
    documents = out / "documents"
    leia.extract(args.dump, documents, shard_size=args.shard_size, **ray_options)
    entities = out / "entities.duckdb"
    if not entities.exists():
        leia.build_entities(entities, dump=args.dump, langlinks=args.langlinks)
    manifest = leia.augment(documents, entities, out / "augmented", prob=args.prob, seed=args.seed,
                            shard_size=args.shard_size, **ray_options)
    counters = manifest.counters
    print(f"{counters.get('documents', 0):,} documents, {counters.get('spans', 0):,} spans in {out / 'augmented'}")
    ray.shutdown()


if __name__ == "__main__":
    main()
