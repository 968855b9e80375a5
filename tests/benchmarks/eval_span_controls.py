"""The figures of the README about the links of the 103 dev articles and what the augmenter does with them:
how many links extraction gives (navigation sections cut, and kept), the coverage of the entity table built
with and without the langlinks dump (`leia run --dump` without `--langlinks`), how many named mentions the
nearby-name control takes (`--nearby 20`), and how many mentions the cap per entity and document would take
(`--max-spans-per-entity 10`), on the links alone and with in-document propagation (`--repeat-mentions`).

    python tests/benchmarks/eval_span_controls.py [--dump DUMP --langlinks LANGLINKS]

Counts, not timings: the figures do not depend on the machine.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import leia
from leia.augmenter import NAME_SOURCES, NO_SPAN_REASONS, UNNAMED
from leia.io.shards import iter_record_batches

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CAP = 10


def _anchors(folder: Path, propagate: bool = False) -> list[list[dict]]:
    """Each document's anchors (with the repeats propagation adds, when asked)."""
    propagator = None
    if propagate:
        from leia.mentions import Propagator

        propagator = Propagator()
    out = []
    for rb in iter_record_batches(folder, "documents"):
        if propagator is not None:
            rb, _ = propagator.propagate_batch(rb)
        out.extend(rb.column("anchors").to_pylist())
    return out


def _pairs(documents: list[list[dict]]) -> tuple[int, int, int, int, int]:
    """(mentions, entity-document pairs, pairs with more than CAP mentions, mentions beyond CAP, the most
    mentions of one pair), each target taken as an entity of its own."""
    mentions = pairs = over = beyond = most = 0
    for anchors in documents:
        counts = Counter(a["target"] for a in anchors)
        mentions += len(anchors)
        pairs += len(counts)
        over += sum(1 for n in counts.values() if n > CAP)
        beyond += sum(n - CAP for n in counts.values() if n > CAP)
        most = max([most, *counts.values()])
    return mentions, pairs, over, beyond, most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=SHARED / "jawiki-country-dev.xml.bz2")
    parser.add_argument("--langlinks", type=Path, default=SHARED / "jawiki-country-dev-langlinks.sql.gz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        docs = leia.extract(args.dump, tmp / "documents", progress=False)
        kept = leia.extract(args.dump, tmp / "kept", drop_navigation_sections=False, progress=False)
        print(f"links of the {docs.counters['documents']} articles: {docs.counters['anchors']:,} "
              f"({kept.counters['anchors']:,} with the navigation sections kept)")

        leia.build_entities(tmp / "with.duckdb", dump=args.dump, langlinks=args.langlinks, progress=False)
        leia.build_entities(tmp / "without.duckdb", dump=args.dump, progress=False)
        figures = {}
        for name in ("with", "without"):
            leia.augment(tmp / "documents", tmp / f"{name}.duckdb", tmp / f"aug-{name}", progress=False)
            figures[name] = leia.stats(tmp / f"aug-{name}")
        print(f"coverage with the langlinks dump {figures['with']['coverage']:.1%}, from the dump alone "
              f"(its {{{{仮リンク}}}}) {figures['without']['coverage']:.1%}")

        by_source = figures["with"]["mentions_by_source"]
        named = sum(n for s, n in by_source.items() if s not in UNNAMED)
        nearby = by_source.get("english-nearby", 0)
        print(f"--nearby 20: {nearby} of the {named:,} links with a name ({nearby / named:.1%}); sources "
              f"{ {s: by_source[s] for s in NAME_SOURCES if s in by_source} }, no span "
              f"{ {s: by_source[s] for s in NO_SPAN_REASONS if s in by_source} }")
        for label, documents in (("the links", _anchors(tmp / "documents")),
                                 ("with propagation", _anchors(tmp / "documents", propagate=True))):
            mentions, pairs, over, beyond, most = _pairs(documents)
            print(f"--max-spans-per-entity {CAP}, {label}: {mentions:,} mentions in {pairs:,} entity-document "
                  f"pairs, {over} pairs with more than {CAP} (at most {most}); the cap takes {beyond:,} mentions "
                  f"({beyond / mentions:.2%})")


if __name__ == "__main__":
    main()
