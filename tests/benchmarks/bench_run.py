"""End-to-end `leia run` on a benchmark dump: wall time of the whole command (extraction, entity table,
augmentation) with 2 workers, for this tree and, with ``--peer PATH``, for another tree of leia (a
``git archive`` of an earlier commit, say) run the same way in the same session, alternating.

The dump repeats the real dev articles (new page ids each copy) to ``--mb`` MB of wikitext; its langlinks
dump repeats the dev langlinks rows for every copy. Both trees read the same files.

    python tests/benchmarks/bench_run.py [--mb 50] [--runs 2] [--peer /tmp/leia-before]

Needs ../shared/data beside the checkout.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dumps import SHARED, repeated_dump  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LANGLINKS = SHARED / "jawiki-country-dev-langlinks.sql.gz"
_ROW = re.compile(rb"\((\d+),")


def repeated_langlinks(out: Path, copies: int) -> Path:
    """The dev langlinks dump with its INSERT lines repeated for each copy of the pages (ids shifted as
    _dumps.repeated_dump shifts them)."""
    lines = gzip.open(LANGLINKS, "rb").read().split(b"\n")
    inserts = [line for line in lines if line.startswith(b"INSERT INTO")]
    head = [line for line in lines if not line.startswith(b"INSERT INTO")]
    with gzip.open(out, "wb", compresslevel=1) as f:
        f.write(b"\n".join(head[:-1]) + b"\n")
        for copy in range(copies):
            for line in inserts:
                f.write(_ROW.sub(lambda m: b"(%d," % (copy * 1_000_000 + int(m[1])), line) + b"\n")
    return out


def timed_run(tree: Path, dump: Path, langlinks: Path, out: Path, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers) of one `leia run`."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-c", "import sys; from leia.cli import main; sys.exit(main())", "run", "--dump",
           str(dump), "--langlinks", str(langlinks), "-o", str(out), "--workers", str(workers), "-q"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise SystemExit(f"{tree}: leia run failed ({result.returncode}): {result.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50, help="MB of wikitext in the benchmark dump")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peer", type=Path, help="another tree of leia to time the same way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dump, written = repeated_dump(root / "bench.xml.bz2", args.mb)
        copies = max(1, round(written / 1e6 / _dev_mb()))
        langlinks = repeated_langlinks(root / "bench-langlinks.sql.gz", copies + 1)
        print(f"dump: {written / 1e6:.1f} MB of wikitext ({dump.stat().st_size / 1e6:.1f} MB bz2), "
              f"langlinks {langlinks.stat().st_size / 1e6:.1f} MB gz; {args.workers} workers")
        trees = [("this tree", REPO)] + ([("peer", args.peer)] if args.peer else [])
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in trees}
        for _ in range(args.runs):
            for name, tree in trees:
                times[name].append(timed_run(tree, dump, langlinks, root / "out", args.workers))
        for name, _ in trees:
            walls = sorted(w for w, _ in times[name])
            cpus = sorted(c for _, c in times[name])
            print(f"{name:>10}: leia run end to end, wall {walls[0]:.1f} s best, {walls[len(walls) // 2]:.1f} s "
                  f"median; CPU {cpus[0]:.1f} s best, {cpus[len(cpus) // 2]:.1f} s median "
                  f"(runs: {', '.join(f'{w:.1f}/{c:.1f}' for w, c in times[name])})")
        if args.peer:
            for what, k in (("wall", 0), ("CPU", 1)):
                mine = sorted(t[k] for t in times["this tree"])
                peer = sorted(t[k] for t in times["peer"])
                print(f"this tree / peer, {what}: best {mine[0] / peer[0]:.2f}, median "
                      f"{mine[len(mine) // 2] / peer[len(peer) // 2]:.2f}")


def _dev_mb() -> float:
    from leia.wiki.dump import DumpReader

    return sum(len(p.text.encode("utf-8")) for p in DumpReader(SHARED / "jawiki-country-dev.xml.bz2")) / 1e6


if __name__ == "__main__":
    main()
