"""``to_text`` scored on MediaWiki core's parser tests (``../shared/data/mediawiki-parsertests``): per
category, the tests scored, the share whose visible text is exact, internal-link recall and precision
(target and surface), and how many give the same result on the fast path and with ``fast=False``. The
scope, the expected text and links and the categories are defined in ``tests/parsertests.py``.

    python tests/benchmarks/score_parsertests.py [--failures] [--scope]

``--failures`` lists every scored test not passed with what differs; ``--scope`` counts the tests left out
by reason.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from parsertests import CATEGORIES, read_tests, scope, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", action="store_true", help="list the scored tests not passed")
    parser.add_argument("--scope", action="store_true", help="count the tests left out, by reason")
    args = parser.parse_args()
    tests = read_tests()
    reasons = Counter(scope(test) for test in tests)
    scores = [score(test) for test in tests if scope(test) is None]
    if args.scope:
        for reason, count in reasons.most_common():
            print(f"{count:5d}  {reason or 'scored'}")
        print()
    if args.failures:
        for s in scores:
            if not s.passed:
                print(f"== {s.test.key} [{s.category}]")
                print("   wikitext: " + repr(s.test.wikitext))
                if s.error:
                    print("   error:    " + s.error)
                if not s.text_exact:
                    print("   expected: " + repr(s.expected.text))
                    print("   got:      " + repr(s.text))
                if s.links != s.expected.links:
                    print(f"   links expected: {sorted(s.expected.links.elements())}")
                    print(f"   links got:      {sorted(s.links.elements())}")
                if not s.identical:
                    print("   fast path and parser path differ")
        print()
    print(f"{len(tests)} parser tests, {len(scores)} scored")
    print(f"{'category':16s} {'tests':>6s} {'text exact':>11s} {'link recall':>12s} {'link precision':>15s} "
          f"{'paths identical':>16s} {'passed':>7s}")
    groups = {name: [s for s in scores if s.category == name] for name in CATEGORIES}
    groups["all"] = scores
    for name, group in groups.items():
        if not group:
            continue
        exact = sum(s.text_exact for s in group)
        found = sum(s.links_found for s in group)
        want = sum(sum(s.expected.links.values()) for s in group)
        got = sum(sum(s.links.values()) for s in group)
        recall = f"{found / want:.3f}" if want else "-"
        precision = f"{found / got:.3f}" if got else "-"
        print(f"{name:16s} {len(group):6d} {exact / len(group):10.1%} {recall:>12s} {precision:>15s} "
              f"{sum(s.identical for s in group):10d}/{len(group):<5d} {sum(s.passed for s in group):7d}")


if __name__ == "__main__":
    main()
