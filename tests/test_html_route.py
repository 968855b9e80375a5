"""The HTML route agrees with the wikitext route on MediaWiki's parser tests that both handle (``tests/htmlroute``):
text and anchors are equal on every scored test with Parsoid HTML except those listed with their reason in
``tests/cases/html/differences.tsv``. ``python tests/benchmarks/score_html_route.py`` prints the figures per
category."""

from __future__ import annotations

from pathlib import Path

import pytest

from htmlroute import both_handle, compare
from parsertests import DATA

pytestmark = pytest.mark.shared

DIFFERENCES = dict(
    line.split("\t", 1) for line in
    (Path(__file__).resolve().parent / "cases" / "html" / "differences.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip()
)


def test_agrees_with_the_wikitext_route_except_the_listed_differences():
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent: MediaWiki's parser tests live in ../shared/data beside the checkout")
    pairs = both_handle()
    results = [compare(test, html, number) for number, (test, html) in enumerate(pairs, 1)]
    differing = {r.test.key: ("text" if not r.text else "") + ("anchors" if not r.anchors else "")
                 for r in results if not (r.text and r.anchors)}
    assert len(pairs) == 318
    assert sorted(differing) == sorted(DIFFERENCES)
    for key, what in differing.items():
        listed = DIFFERENCES[key].partition(":")[0]
        assert ("text" in what) == ("text" in listed) and ("anchors" in what) == ("anchors" in listed), key
