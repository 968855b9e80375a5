"""Extraction of a multistream dump on Ray against the local engine: the real dev articles repeated to about
50 MB of wikitext, written as Wikimedia writes a multistream dump (the header in a stream of its own, then
100 pages a stream) and as one bz2 stream. Prints wall-clock seconds and MB of wikitext per second of the
local engine (1 and N processes), of Ray on the single stream (every actor decompresses the whole dump) and
of Ray on the multistream file (a counting pass, then each actor decodes only the streams of its shards),
and checks that all four wrote the same bytes.

    python tests/benchmarks/bench_multistream.py [--mb 50] [--workers 2] [--shard-size 2000]
"""

from __future__ import annotations

import argparse
import bz2
import sys
import tempfile
import time
from pathlib import Path

from _dumps import repeated_dump

import leia
from leia.steps.extract import ExtractStep


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def write_multistream(xml: bytes, out: Path, per_stream: int = 100) -> int:
    """``xml`` as a multistream bz2: header, then ``per_stream`` pages a stream, then the footer; returns the
    number of streams."""
    first = xml.rindex(b"\n", 0, xml.index(b"<page>")) + 1
    footer = xml.rindex(b"\n", 0, xml.rindex(b"</mediawiki>")) + 1
    pieces = [xml[:first]]
    start = pos = first
    count = 0
    while (end := xml.find(b"</page>\n", pos, footer)) >= 0:
        pos = end + len(b"</page>\n")
        count += 1
        if count % per_stream == 0:
            pieces.append(xml[start:pos])
            start = pos
    if start < footer:
        pieces.append(xml[start:footer])
    pieces.append(xml[footer:])
    with open(out, "wb") as f:
        for piece in pieces:
            f.write(bz2.compress(piece, 9))
    return len(pieces)


def timed(label: str, mb: float, fn) -> float:
    start = time.perf_counter()
    manifest = fn()
    wall = time.perf_counter() - start
    print(f"{label:<36} {wall:7.2f} s  {mb / wall:6.2f} MB/s  ({manifest.counters['documents']:,} documents)")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50, help="MB of wikitext")
    parser.add_argument("--workers", type=int, default=2, help="processes / Ray actors")
    parser.add_argument("--shard-size", type=int, default=2000, help="documents per shard")
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain, written = repeated_dump(tmp / "dump.xml", args.mb, compress=False)
        xml = plain.read_bytes()
        single = tmp / "dump.xml.bz2"
        single.write_bytes(bz2.compress(xml, 9))
        multi = tmp / "dump-multistream.xml.bz2"
        streams = write_multistream(xml, multi)
        del xml
        mb = written / 1e6
        print(f"input: {mb:.1f} MB of wikitext; single stream {single.stat().st_size / 1e6:.1f} MB, "
              f"multistream {multi.stat().st_size / 1e6:.1f} MB in {streams} streams; {args.workers} workers; "
              f"shard size {args.shard_size}; {ray.__version__=}")
        common = dict(shard_size=args.shard_size, progress=False)
        local1 = timed("local, 1 process (multistream)", mb, lambda: leia.extract(multi, tmp / "l1", workers=1,
                                                                                   **common))
        localn = timed(f"local, {args.workers} processes (multistream)", mb,
                       lambda: leia.extract(multi, tmp / "ln", workers=args.workers, **common))
        start = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="ERROR")
        print(f"{'ray.init':<36} {time.perf_counter() - start:7.2f} s")
        whole = timed(f"ray, {args.workers} actors, single stream", mb, lambda: leia.extract(
            single, tmp / "rw", engine="ray", workers=args.workers, **common))
        pieces = timed(f"ray, {args.workers} actors, multistream", mb, lambda: leia.extract(
            multi, tmp / "rm", engine="ray", workers=args.workers, **common))
        pieces_of = ExtractStep(str(multi), shard_size=args.shard_size).pieces(
            args.workers, set(), lambda function, arguments: [function(*a) for a in arguments])
        units = [piece.step.unit for piece in pieces_of]
        spans = [u.blocks.span(u.shards.first_block, u.shards.end_block) for u in units]
        size = multi.stat().st_size
        print(f"{len(units)} ray units read {min(spans) / size:.0%}..{max(spans) / size:.0%} of the file each, "
              f"{sum(spans) / size:.2f}x the file in all (single stream: {args.workers}x, each actor all of it)")
        ray.shutdown()
        reference = folder_bytes(tmp / "l1")
        same = all(folder_bytes(tmp / name) == reference for name in ("ln", "rm"))
        # The single-stream run names another input file in its manifest: compare its shards only.
        shards = {k: v for k, v in reference.items() if k.startswith("shard-")}
        same_shards = {k: v for k, v in folder_bytes(tmp / "rw").items() if k.startswith("shard-")} == shards
        print(f"identical output (local 1, local {args.workers}, ray multistream): {same}; "
              f"ray single-stream shards identical: {same_shards}")
        print(f"ray multistream / local {args.workers} processes: {localn / pieces:.2f}x throughput; "
              f"ray multistream / ray single stream: {whole / pieces:.2f}x; "
              f"local {args.workers} / local 1: {local1 / localn:.2f}x")
        if not (same and same_shards):
            raise SystemExit("outputs differ")


if __name__ == "__main__":
    sys.exit(main())
