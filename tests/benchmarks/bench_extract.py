"""Extraction speed: `leia extract --workers 1` against `wikiextractor --links --no-templates --processes 1`
(the first stage of the original LEIA pipeline) on the same dump, in CPU seconds of the whole command;
then `leia extract` with 2 workers against 1 (wall time), and peak memory as the dump grows tenfold.

    python tests/benchmarks/bench_extract.py [--mb 50]

Needs ../shared/data beside the checkout and `pip install wikiextractor`.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dumps import repeated_dump  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the command and its children, peak RSS in MB) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code:
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50, help="MB of wikitext in the benchmark dump")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    leia = [sys.executable, "-m", "leia.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dump, size = repeated_dump(tmp / "dump.xml.bz2", args.mb)
        mb = size / 1e6
        print(f"dump: {mb:.1f} MB of wikitext, {dump.stat().st_size / 1e6:.1f} MB bz2")

        wall_w, cpu_w, _ = timed([sys.executable, "-m", "wikiextractor.WikiExtractor", "--links", "--no-templates",
                                  "--processes", "1", "-q", "-o", str(tmp / "wx"), str(dump)])
        wall_1, cpu_1, rss_1 = timed(leia + ["extract", str(dump), "-o", str(tmp / "l1"), "--workers", "1", "-q"])
        print(f"wikiextractor --processes 1   CPU {cpu_w:7.1f} s  ({mb / cpu_w:5.2f} MB/CPU-s)  wall {wall_w:6.1f} s")
        print(f"leia extract --workers 1      CPU {cpu_1:7.1f} s  ({mb / cpu_1:5.2f} MB/CPU-s)  wall {wall_1:6.1f} s")
        print(f"CPU ratio leia / wikiextractor: {cpu_1 / cpu_w:.2f}  (target <= 0.50)")

        wall_2, cpu_2, _ = timed(leia + ["extract", str(dump), "-o", str(tmp / "l2"), "--workers", "2", "-q"])
        print(f"leia extract --workers 2      CPU {cpu_2:7.1f} s  wall {wall_2:6.1f} s")
        print(f"speed-up 2 workers / 1: {wall_1 / wall_2:.2f}x  (target >= 1.7x)")
        same = all((tmp / "l1" / f.name).read_bytes() == f.read_bytes() for f in (tmp / "l2").glob("*.arrow"))
        print(f"shards identical across worker counts: {same}")
        shutil.rmtree(tmp / "wx", ignore_errors=True)

        if not args.skip_memory:
            for factor in (1, 10):
                small, _ = repeated_dump(tmp / f"mem{factor}.xml.bz2", 5 * factor)
                code = ("import resource, leia; leia.extract(%r, %r, progress=False); "
                        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
                        % (str(small), str(tmp / f"m{factor}")))
                peak = subprocess.check_output([sys.executable, "-c", code], text=True).strip()
                print(f"peak memory, {5 * factor:4d} MB of wikitext: {peak} MB")
                small.unlink()


if __name__ == "__main__":
    main()
