"""Throughput of the HTML route against the wikitext route on the same articles, and peak memory of
``leia extract`` on HTML dumps as they grow.

Articles: the 318 parser tests both routes handle (tests/htmlroute.py: Parsoid's HTML and the wikitext it
renders), each wrapped as a dump record; pages of 50 tests concatenated make larger articles. CPU time of
leia.steps.extract.convert_records (parse + convert, filters on) against leia.wiki.wikitext.convert.to_text
(with the filters of leia.steps.extract.convert_pages), same articles, same process. Memory: peak RSS of
``leia extract --workers 1`` in a child process on .json.tar.gz dumps of N and 8N copies of the sample
records of data/ (distinct ids).

    python tests/benchmarks/bench_html_route.py
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from htmlroute import SITE, as_record, both_handle  # noqa: E402
from leia.steps.extract import ExtractOptions  # noqa: E402
from leia.wiki.filters import drop_navigation_sections, is_disambiguation  # noqa: E402
from leia.steps.extract import convert_records  # noqa: E402
from leia.wiki.wikitext.convert import to_text  # noqa: E402


def _wikitext_route(pages: list[str]) -> None:
    for text in pages:
        if is_disambiguation(text, SITE):
            continue
        text, _ = drop_navigation_sections(text, SITE)
        to_text(text, SITE)


def _cpu(fn, *args, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - start)
    return best


def throughput() -> None:
    pairs = both_handle()
    groups = [("parser tests, one article each", [[p] for p in pairs]),
              ("pages of 50 tests", [pairs[i:i + 50] for i in range(0, len(pairs), 50)])]
    for name, articles in groups:
        htmls = ["\n".join(html for _, html in group) for group in articles]
        texts = ["\n\n".join(test.wikitext for test, _ in group) for group in articles]
        records = [as_record(group[0][0], html, i) for i, (group, html) in enumerate(zip(articles, htmls), 1)]
        html_mb = sum(len(h.encode()) for h in htmls) / 1e6
        wt_mb = sum(len(t.encode()) for t in texts) / 1e6
        html_s = _cpu(convert_records, SITE, records, "bench", ExtractOptions())
        wt_s = _cpu(_wikitext_route, texts)
        n = len(articles)
        print(f"{name}: {n} articles, HTML {html_mb:.2f} MB ({html_mb / wt_mb:.1f}x the wikitext's {wt_mb:.2f} MB)")
        print(f"  HTML route     {html_mb / html_s:6.2f} MB of HTML/CPU-s   {1e3 * html_s / n:7.3f} ms/article")
        print(f"  wikitext route {wt_mb / wt_s:6.2f} MB of wikitext/CPU-s {1e3 * wt_s / n:7.3f} ms/article")
        print(f"  per article: HTML route / wikitext route CPU time = {html_s / wt_s:.2f}")


def _dump(path: Path, copies: int) -> int:
    sample = (ROOT / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson").read_bytes().splitlines()
    lines = []
    for copy in range(copies):
        for raw in sample:
            record = json.loads(raw)
            record["identifier"] = copy * 1000 + record["identifier"]
            lines.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    data = b"".join(lines)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("jawiki_namespace_0_0.ndjson")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return len(data)


def memory() -> None:
    code = ("import resource, sys; from leia.api import extract; "
            "extract(sys.argv[1], sys.argv[2], progress=False, shard_size=2000); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        for copies in (500, 4000):
            dump = Path(tmp) / f"d{copies}.json.tar.gz"
            size = _dump(dump, copies)
            out = subprocess.run([sys.executable, "-c", code, str(dump), str(Path(tmp) / f"o{copies}")],
                                 env=env, capture_output=True, text=True, check=True)
            print(f"  {copies * 4:6d} articles, {size / 1e6:6.1f} MB of ndjson: peak RSS "
                  f"{int(out.stdout.split()[-1]) / 1024:.0f} MB")


if __name__ == "__main__":
    throughput()
    print("peak memory of leia extract on HTML dumps (1 worker, shards of 2000):")
    memory()
