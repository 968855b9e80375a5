"""The entity table's build at jawiki size: `leia entities --pages ... --langlinks ...` on bench_scale.py's
generated input (2.5 M titles, 0.73 M langlinks rows), its wall and CPU time and the peak RSS of the process,
for this tree and, with ``--peer PATH``, another tree of leia (a ``git archive`` of an earlier commit, say)
run the same way, alternating; and whether the two trees built the same tables (every row of ``entities`` and
``redirects`` in order, the other tables as multisets, the counters).

The page table is extracted from the generated dump once (`leia extract --pages`, a few minutes at full
size) and kept beside it in the cache.

    python tests/benchmarks/bench_entities.py [--titles 2500000] [--mb 1000] [--runs 1] [--peer /tmp/leia-before]

Needs ../shared/data beside the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import GENERATOR, REPO, generate  # noqa: E402

_CHILD = "import sys; from leia.cli import main; sys.exit(main(sys.argv[1:]))"


def leia(tree: Path, argv: list[str]) -> dict:
    """Run ``leia ARGV`` with the tree at ``tree``; its wall and CPU seconds and its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    # run inside the tree: `python -c` puts the working folder first on sys.path, before PYTHONPATH
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, *argv], cwd=tree, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise SystemExit(f"{tree}: leia {' '.join(argv)} failed ({status}):\n{output.decode()[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024}


def page_table(folder: Path, dump: Path, workers: int) -> Path:
    pages = folder / "pages"
    if not (pages / "manifest.json").exists():
        docs = folder / "pages-documents"
        shutil.rmtree(pages, ignore_errors=True)
        leia(REPO, ["extract", str(dump), "-o", str(docs), "--pages", str(pages), "--workers", str(workers),
                    "--no-progress", "--overwrite"])
        shutil.rmtree(docs)
    return pages


def tables(path: Path) -> dict:
    """What a built table holds, to compare two builds: ordered rows of entities and redirects, the other
    tables as sorted rows, the meta counters."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        found = {"counters": json.loads(dict(con.execute("SELECT key, value FROM meta").fetchall())["counters"])}
        for table, ordered in (("entities", True), ("redirects", True), ("pages", False), ("mappings", False),
                               ("items", False)):
            order = "t.rowid" if ordered else "t"
            found[table] = con.execute(f"SELECT count(*), hash(list(t ORDER BY {order})) FROM {table} t").fetchone()
        return found
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--titles", type=int, default=2_500_000)
    parser.add_argument("--mb", type=float, default=1000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/leia-bench-scale"))
    parser.add_argument("--workers", type=int, default=2, help="for generating the input and its page table")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--peer", type=Path, help="another tree of leia to build the same table with")
    args = parser.parse_args()
    folder = args.cache / f"titles{args.titles}-mb{args.mb:g}-v{GENERATOR}"
    info = generate(folder, args.titles, args.mb, args.workers)
    pages = page_table(folder, folder / info["dump"], args.workers)
    langlinks = folder / info["langlinks"]
    trees = [("this tree", REPO)] + ([("peer", args.peer.resolve())] if args.peer else [])
    results: dict[str, list[dict]] = {name: [] for name, _ in trees}
    built = {}
    out = folder / "bench-entities"
    out.mkdir(exist_ok=True)
    for _ in range(args.runs):
        for name, tree in trees:
            db = out / f"{name.replace(' ', '-')}.duckdb"
            results[name].append(leia(tree, ["entities", "--pages", str(pages), "--langlinks", str(langlinks), "-o",
                                             str(db), "-q", "--overwrite"]))
            built[name] = tables(db)
    print(f"entity table of {info['titles']:,} pages and {info['langlinks_rows']:,} langlinks rows "
          f"(wall times on a shared machine)")
    for name, _ in trees:
        runs = results[name]
        median = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in ("wall", "cpu", "peak")}
        print(f"{name:>10}: {median['wall']:6.1f} s wall, {median['cpu']:6.1f} CPU-s, peak RSS "
              f"{median['peak'] / 1e6:,.0f} MB (median of {len(runs)}; peaks "
              f"{', '.join('%.0f' % (r['peak'] / 1e6) for r in runs)} MB); {built[name]['entities'][0]:,} entities")
    if args.peer:
        mine, peer = built["this tree"], built["peer"]
        same = [k for k in mine if mine[k] == peer[k]]
        differ = [k for k in mine if mine[k] != peer[k]]
        print(f"same tables: {', '.join(same)}" + (f"; DIFFERENT: {', '.join(differ)}" if differ else ""))
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
