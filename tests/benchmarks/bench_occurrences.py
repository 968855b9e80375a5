"""The counting pass of `leia mentions build`: every occurrence of a dictionary's surfaces in a folder of
documents, one document searched at a time (`count_occurrences` alone, as the build did) against 256 at a time
(`Detector.matches_many`, as it does), on the documents as they are and cut into 200-character documents
(bench_scale's are mostly two-sentence stubs); MB of text per CPU-second, and whether both count the same.

    python tests/benchmarks/bench_occurrences.py DOCUMENTS MENTIONS.duckdb

DOCUMENTS is a documents folder (`leia extract`), MENTIONS a mention dictionary (`leia mentions build`), e.g.
the dev dictionary and the 4 M-surface one that `bench_lookup.py --folder F` leaves in F.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import pyarrow as pa

from leia.io.shards import iter_record_batches
from leia.mentions.build import count_occurrences
from leia.mentions.table import mention_detector

GROUP = 256  # documents searched at once (a batch of leia mentions build holds more)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("documents")
    parser.add_argument("mentions")
    parser.add_argument("--piece", type=int, default=200, help="characters of the short documents (default 200)")
    args = parser.parse_args()
    detector, _ = mention_detector(args.mentions)
    table = pa.Table.from_batches(list(iter_record_batches(args.documents)))
    texts, anchors = table.column("text").to_pylist(), table.column("anchors").to_pylist()
    short = [t[i:i + args.piece] for t in texts for i in range(0, len(t), args.piece)]
    for name, batch, links in (("documents", texts, anchors),
                               (f"{args.piece}-character documents", short, [()] * len(short))):
        start = time.process_time()
        alone: Counter = Counter()
        for text, anchored in zip(batch, links):
            alone.update(count_occurrences(detector, text, anchored))
        middle = time.process_time()
        together: Counter = Counter()
        for k in range(0, len(batch), GROUP):
            group = batch[k:k + GROUP]
            for text, anchored, found in zip(group, links[k:k + GROUP], detector.matches_many(group)):
                together.update(count_occurrences(detector, text, anchored, found))
        end = time.process_time()
        mb = sum(len(t.encode("utf-8")) for t in batch) / 1e6
        print(f"{name}: {len(batch):,} texts, {mb:.1f} MB: one at a time {mb / (middle - start):.2f} MB/CPU-s, "
              f"{GROUP} at a time {mb / (end - middle):.2f} MB/CPU-s; the same counts: {alone == together} "
              f"({sum(together.values()):,} occurrences)")


if __name__ == "__main__":
    main()
