"""Throughput of ``leia.wiki.wikitext.convert.to_text`` on the 103 real jawiki articles (../shared/data), fast path
and ``fast=False``, against the named peer: ``mwparserfromhell.parse`` of the same raw wikitext (parsing
only, no text produced). One core; each figure is the best of ``--repeat`` runs over all pages, with a
fresh SiteInfo (cold title cache) per run. Figures are MB of UTF-8 wikitext per second and millions of
characters per second.

    python tests/benchmarks/bench_wikitext.py [--repeat 3] [--peer-repeat 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import mwparserfromhell

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.convert import to_text

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "jawiki-country-dev.jsonl.gz"


def _best(run, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        run()
        best = min(best, time.process_time() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-repeat", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent")
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    size = sum(len(text.encode("utf-8")) for text in texts)
    chars = sum(len(text) for text in texts)

    def converter(fast: bool):
        def run() -> None:
            site = SiteInfo.for_language("ja")
            for text in texts:
                to_text(text, site, fast=fast)
        return run

    def peer() -> None:
        for text in texts:
            mwparserfromhell.parse(text)

    timings = {
        "to_text (fast)": _best(converter(True), args.repeat),
        "to_text (fast=False)": _best(converter(False), args.repeat),
        "mwparserfromhell.parse (peer)": _best(peer, args.peer_repeat),
    }
    peer_time = timings["mwparserfromhell.parse (peer)"]
    print(f"{len(texts)} pages, {size / 1e6:.2f} MB UTF-8, {chars / 1e6:.2f} M characters; CPU seconds, best run")
    for name, seconds in timings.items():
        print(f"{name:32s} {seconds:7.3f} s  {size / seconds / 1e6:6.2f} MB/s  {chars / seconds / 1e6:6.2f} Mchar/s"
              f"  x{peer_time / seconds:5.2f} vs peer")


if __name__ == "__main__":
    main()
