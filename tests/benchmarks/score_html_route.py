"""How often the HTML route (Parsoid HTML of MediaWiki's parser tests, wrapped as HTML dump records) gives the
same text and anchors as the wikitext route on the same tests, per category, and where they differ.

    python tests/benchmarks/score_html_route.py [--show]
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from htmlroute import both_handle, compare  # noqa: E402


def main() -> None:
    results = [compare(test, html, number) for number, (test, html) in enumerate(both_handle(), 1)]
    by: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        for key in ("all", r.category):
            by[key]["tests"] += 1
            by[key]["text"] += r.text
            by[key]["anchors"] += r.anchors
            by[key]["both"] += r.text and r.anchors
    print(f"{'category':16s} {'tests':>6s} {'text':>10s} {'anchors':>10s} {'both':>10s}")
    for key in sorted(by, key=lambda k: (k == "all", k)):
        c = by[key]
        print(f"{key:16s} {c['tests']:6d} " + " ".join(f"{c[f]:4d} {100 * c[f] / c['tests']:4.0f}%"
                                                    for f in ("text", "anchors", "both")))
    print("\ndiffering (reasons: tests/cases/html/differences.tsv):")
    for r in results:
        if not (r.text and r.anchors):
            print(f"  {r.test.key}: {'text ' if not r.text else ''}{'anchors' if not r.anchors else ''}")
            if "--show" in sys.argv:
                print(f"    html:     {r.html_text[:120]!r} {dict(r.html_links)}")
                print(f"    wikitext: {r.wikitext_text[:120]!r} {dict(r.wikitext_links)}")


if __name__ == "__main__":
    main()
