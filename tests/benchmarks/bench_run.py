"""End-to-end `leia.run` on a benchmark dump: seconds of the whole run and of its phases (extraction, entity
table, augmentation) and CPU seconds, with 2 workers, for this tree and, with ``--peer PATH``, for another
tree of leia (a ``git archive`` of an earlier commit, say) run the same way in the same session, alternating;
medians are printed.

The dump repeats the real dev articles (new page ids each copy) to ``--mb`` MB of wikitext; its langlinks
dump repeats the dev langlinks rows for every copy. Both trees read the same files.

    python tests/benchmarks/bench_run.py [--mb 50] [--runs 2] [--peer /tmp/leia-before]

Needs ../shared/data beside the checkout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
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


_CHILD = """
import json, sys, time
import importlib
api = importlib.import_module(sys.argv[1])
phases = {}
for name in ("extract", "build_entities", "augment"):
    def timed(*args, _call=getattr(api, name), _name=name, **kwargs):
        start = time.perf_counter()
        try:
            return _call(*args, **kwargs)
        finally:
            phases[_name] = phases.get(_name, 0.0) + time.perf_counter() - start
    setattr(api, name, timed)
start = time.perf_counter()
api.run(dump=sys.argv[2], langlinks=sys.argv[3], output=sys.argv[4], workers=int(sys.argv[5]), progress=False)
phases["run"] = time.perf_counter() - start
print(json.dumps(phases))
"""


def timed_run(tree: Path, dump: Path, langlinks: Path, out: Path, workers: int) -> dict:
    """Seconds of `leia.run` and of its three phases, and the CPU seconds of the whole process and its
    workers, for the tree of leia at ``tree``."""
    shutil.rmtree(out, ignore_errors=True)
    module = "leia.api" if (tree / "leia" / "api.py").exists() else "leia.pipeline"  # (its name before)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-c", _CHILD, module, str(dump), str(langlinks), str(out), str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # run inside the tree: `python -c` puts the working folder first on sys.path, before PYTHONPATH
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise SystemExit(f"{tree}: leia run failed ({result.returncode}): {result.stderr[-2000:]}")
    times = json.loads(result.stdout.strip().splitlines()[-1])
    times["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return times


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
        times: dict[str, list[dict]] = {name: [] for name, _ in trees}
        for _ in range(args.runs):
            for name, tree in trees:
                times[name].append(timed_run(tree, dump, langlinks, root / "out", args.workers))
        print(f"{'median of ' + str(args.runs):>16}  {'run':>6} {'extract':>8} {'entities':>9} {'augment':>8} {'CPU':>6}")
        medians = {}
        for name, _ in trees:
            runs = times[name]
            medians[name] = {k: sorted(r[k] for r in runs)[len(runs) // 2]
                             for k in ("run", "extract", "build_entities", "augment", "cpu")}
            m = medians[name]
            print(f"{name:>16}  {m['run']:6.2f} {m['extract']:8.2f} {m['build_entities']:9.2f} {m['augment']:8.2f} "
                  f"{m['cpu']:6.2f}   (runs: {', '.join('%.2f' % r['run'] for r in runs)})")
        if args.peer:
            mine, peer = medians["this tree"], medians["peer"]
            print(f"this tree / peer: end to end {mine['run'] / peer['run']:.2f}, CPU {mine['cpu'] / peer['cpu']:.2f}")

def _dev_mb() -> float:
    from leia.wiki.dumps.xmldump import DumpReader

    return sum(len(p.text.encode("utf-8")) for p in DumpReader(SHARED / "jawiki-country-dev.xml.bz2")) / 1e6


if __name__ == "__main__":
    main()
