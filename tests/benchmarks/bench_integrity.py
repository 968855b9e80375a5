"""What the shard checksums cost: sha256 (hashlib) against xxhash, and the time spent hashing shards against
the time of the runs that write and read them (extraction and augmentation of the real dev dump, one worker).

    python tests/benchmarks/bench_integrity.py [--dump ../shared/data/jawiki-country-dev.xml.bz2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import leia  # noqa: E402
from leia.io.integrity import file_identity, file_sha256  # noqa: E402
from leia.io.manifest import read_manifest  # noqa: E402


def rate(fn, data: bytes, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - t)
    return len(data) / best / 1e6


def hash_folder(folder: Path) -> tuple[float, int]:
    t = time.perf_counter()
    size = 0
    for shard in read_manifest(folder).shards:
        file_sha256(folder / shard["file"])
        size += shard["size"]
    return time.perf_counter() - t, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", type=Path, default=REPO.parent / "shared" / "data" / "jawiki-country-dev.xml.bz2")
    parser.add_argument("--langlinks", type=Path,
                        default=REPO.parent / "shared" / "data" / "jawiki-country-dev-langlinks.sql.gz")
    args = parser.parse_args()
    data = os.urandom(256 << 20)
    print(f"sha256 (hashlib)  {rate(lambda b: hashlib.sha256(b).digest(), data):8.0f} MB/s")
    try:
        import xxhash

        print(f"xxh3_128          {rate(lambda b: xxhash.xxh3_128(b).digest(), data):8.0f} MB/s")
    except ImportError:
        print("xxhash is not installed")
    del data
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        leia.extract(args.dump, root / "docs", shard_size=20, progress=False)
        extract_s = time.perf_counter() - t
        leia.build_entities(root / "e.duckdb", dump=args.dump, langlinks=args.langlinks, progress=False)
        t = time.perf_counter()
        leia.augment(root / "docs", root / "e.duckdb", root / "aug", progress=False)
        augment_s = time.perf_counter() - t
        docs_s, docs_bytes = hash_folder(root / "docs")
        aug_s, aug_bytes = hash_folder(root / "aug")
        t = time.perf_counter()
        file_identity(args.dump)
        identity_s = time.perf_counter() - t
    print(f"extract: {extract_s:.2f} s; hashing its {docs_bytes / 1e6:.1f} MB of shards {docs_s * 1000:.1f} ms "
          f"({docs_s / extract_s:.2%})")
    print(f"augment: {augment_s:.2f} s; hashing what it reads and writes ({(docs_bytes + aug_bytes) / 1e6:.1f} MB) "
          f"{(docs_s + aug_s) * 1000:.1f} ms ({(docs_s + aug_s) / augment_s:.2%})")
    print(f"identity of the dump (size, mtime, sha256 of first and last MiB): {identity_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
