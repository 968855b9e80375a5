"""Benchmark: reading a langlinks mysqldump with leia.wiki.dumps.sqldump, alone and into DuckDB.

Generates a synthetic ``langlinks.sql.gz`` in mysqldump's layout (rows ordered by page id and language,
~300 languages, English on 90% of pages, ~2% of titles with escapes, INSERT lines of ~1 MB), then times:

- parsing alone, English rows only and all rows (rows read per second; rows kept);
- parsing + appending Arrow batches to a DuckDB table on disk;
- a naive peer on the first ``--peer-rows`` rows: each INSERT line's values read with ``ast.literal_eval``.

Peak memory (``ru_maxrss``) is printed after 1M rows and at the end of each run, to show it does not grow
with the row count. Usage::

    python tests/benchmarks/bench_langlinks.py                     # 10M rows in a temporary folder
    python tests/benchmarks/bench_langlinks.py --rows 1000000 --dump /tmp/ll.sql.gz
"""

from __future__ import annotations

import argparse
import ast
import gzip
import multiprocessing
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from leia.wiki.dumps.sqldump import iter_dump_lines, iter_langlink_batches, iter_langlinks

LINE_BYTES = 1 << 20
# The header of Wikimedia's langlinks dumps, up to the first INSERT, from the sample dump in data/.
_SAMPLE = (Path(__file__).resolve().parents[2] / "data" / "sample-jawiki-langlinks.sql").read_bytes()
HEADER = _SAMPLE[:_SAMPLE.index(b"INSERT INTO")]
FOOTER = b"/*!40000 ALTER TABLE `langlinks` ENABLE KEYS */;\n\n-- Dump completed on 2024-07-02  3:12:44\n"
WORDS = (
    "River Island Kingdom Republic Saint Mount Lake North South New Old Battle Church University Station "
    "São Tomé Zürich Kraków Ærø Đà Nẵng Москва Київ Αθήνα "
    "東京 カイロ 北京 서울 القاهرة 디지털 Ñandú"
).split()
ESCAPED = ["O'Brien", 'The "Quote"', "C:\\path", "Line\nbreak", "Rock 'n' Roll", "L'Aquila"]


def mysqldump_escape(text: str) -> bytes:
    table = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\x00": "\\0", "\x1a": "\\Z"}
    return "".join(table.get(c, c) for c in text).encode()


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    langs = sorted({"en", "fr", "de", "zh", "ko", "es", "ru", "it", "pt", "ar"} | {f"x{i:03d}" for i in range(290)})
    others = [lang for lang in langs if lang != "en"]
    pool = []
    for i in range(50_000):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        if i % 50 == 0:
            title = f"{rng.choice(ESCAPED)} {title}"
        pool.append(mysqldump_escape(title))
    written = 0
    page = 0
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(HEADER)
        parts: list[bytes] = []
        size = 0
        while written < rows:
            page += 1
            chosen = rng.sample(others, rng.randint(1, 40))
            if rng.random() < 0.9:
                chosen.append("en")
            for lang in sorted(chosen)[: rows - written]:
                row = b"(%d,'%s','%s')" % (page, lang.encode(), pool[rng.randrange(len(pool))])
                parts.append(row)
                size += len(row) + 1
                written += 1
                if size >= LINE_BYTES:
                    out.write(b"INSERT INTO `langlinks` VALUES " + b",".join(parts) + b";\n")
                    parts, size = [], 0
        if parts:
            out.write(b"INSERT INTO `langlinks` VALUES " + b",".join(parts) + b";\n")
        out.write(FOOTER)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Wall and CPU seconds of this process (the CPU figure is what one core does, whatever the load)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def seconds(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def report(name: str, rows: int, kept: int, clock: Clock, rss_1m: float | None) -> float:
    wall, cpu = clock.seconds()
    at_1m = f"{rss_1m:,.0f} MB" if rss_1m is not None else "n/a"
    print(
        f"{name:<30} {rows:>11,} rows read {kept:>11,} kept | wall {wall:6.1f} s {rows / wall:>10,.0f} rows/s | "
        f"cpu {cpu:6.1f} s {rows / cpu:>10,.0f} rows/s | maxrss after 1M rows {at_1m}, at end {maxrss_mb():,.0f} MB",
        flush=True,
    )
    return rows / cpu


def run_parse(path: Path, lang: str | None) -> float:
    counters: dict[str, int] = {}
    rss_1m = None
    clock = Clock()
    for _ in iter_langlinks(path, lang, counters):
        if rss_1m is None and counters.get("rows", 0) >= 1_000_000:
            rss_1m = maxrss_mb()
    return report(f"parse lang={lang}", counters["rows"], counters["kept"], clock, rss_1m)


def run_duckdb(path: Path, lang: str | None, folder: Path) -> float:
    import duckdb

    db = folder / f"bench-{lang}.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("SET threads = 1")
    con.execute("SET memory_limit = '256MB'")
    if lang is None:
        con.execute("CREATE TABLE langlinks (ll_from BIGINT, ll_lang VARCHAR, ll_title VARCHAR)")
    else:
        con.execute("CREATE TABLE langlinks (ll_from BIGINT, ll_title VARCHAR)")
    counters: dict[str, int] = {}
    rss_1m = None
    clock = Clock()
    for batch in iter_langlink_batches(path, lang, counters, batch_rows=1 << 18):
        con.execute("INSERT INTO langlinks SELECT * FROM batch")
        if rss_1m is None and counters["rows"] >= 1_000_000:
            rss_1m = maxrss_mb()
    con.close()
    result = report(f"parse+duckdb lang={lang}", counters["rows"], counters["kept"], clock, rss_1m)
    (stored,) = duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM langlinks").fetchone()
    assert stored == counters["kept"], (stored, counters)
    db.unlink()
    return result


def run_peer(path: Path, limit: int) -> float:
    """The naive way: decode each INSERT line and hand its values to ast.literal_eval."""
    prefix = b"INSERT INTO `langlinks` VALUES "
    rows = kept = 0
    clock = Clock()
    for _, line in iter_dump_lines(path):
        if not line.startswith(prefix):
            continue
        values = ast.literal_eval("[" + line[len(prefix) :].rstrip().rstrip(b";").decode() + "]")
        rows += len(values)
        kept += sum(1 for _, lang, _ in values if lang == "en")
        if rows >= limit:
            break
    return report("peer ast.literal_eval lang=en", rows, kept, clock, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dump", type=Path, help="where to write the generated dump (kept); default: a temp dir")
    parser.add_argument("--peer-rows", type=int, default=1_000_000, help="rows the naive peer reads (0: skip)")
    parser.add_argument("--no-duckdb", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = args.dump or folder / "jawiki-bench-langlinks.sql.gz"
        if not path.exists():
            start = time.perf_counter()
            child = multiprocessing.get_context("fork").Process(target=generate, args=(path, args.rows))
            child.start()
            child.join()
            assert child.exitcode == 0
            print(f"generated {path} in {time.perf_counter() - start:.1f} s")
        with gzip.open(path, "rb") as f:
            start = time.perf_counter()
            raw = 0
            while chunk := f.read(1 << 22):
                raw += len(chunk)
            gunzip = time.perf_counter() - start
        print(
            f"dump: {os.path.getsize(path) / 1e6:,.1f} MB gzip, {raw / 1e6:,.1f} MB SQL; "
            f"gunzip alone {gunzip:.1f} s ({raw / 1e6 / gunzip:,.0f} MB/s)"
        )
        print(f"maxrss before parsing: {maxrss_mb():,.0f} MB")
        rate_en = run_parse(path, "en")
        run_parse(path, None)
        if not args.no_duckdb:
            run_duckdb(path, "en", folder)
            run_duckdb(path, None, folder)
        if args.peer_rows:
            peer = run_peer(path, args.peer_rows)
            print(f"leia parse lang=en / peer (cpu rows/s): {rate_en / peer:.1f}x")


if __name__ == "__main__":
    main()
