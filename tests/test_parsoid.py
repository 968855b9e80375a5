"""``leia.wiki.html.parsoid.to_text`` on hand-written Parsoid HTML: the data-driven cases of tests/cases/html/*.case
(format in their README), then offsets and the disambiguation filter."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from casefiles import each_case, names_unique, read_cases
from leia.wiki.html.parsoid import convert, is_disambiguation, link_target, to_text
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.lines import BREAK, Anchor, Parsed, finish_line

CASES = Path(__file__).resolve().parent / "cases" / "html"
_CASES = read_cases(CASES, ("name", "site", "title", "disambiguation"), site="ja")


def test_case_names_are_unique():
    assert names_unique(_CASES) >= 25


@each_case(_CASES)
def test_case(case):
    site = SiteInfo.for_language(case["site"])
    parsed = to_text(case["input"], site, drop_navigation_sections=True)
    assert isinstance(parsed, Parsed)
    assert parsed.text == case["text"]
    assert [(parsed.text[a.start:a.end], a.target, a.english) for a in parsed.anchors] == case["anchors"]
    assert is_disambiguation(case["input"], site, case.get("title")) == (case.get("disambiguation") == "yes")


def test_navigation_sections_counted_and_kept_when_asked():
    html = ('<section data-mw-section-id="0"><p>本文。</p></section><section data-mw-section-id="1">'
            '<h2>脚注・出典</h2><p>注。</p></section><section data-mw-section-id="2"><h2>外部リンク</h2><p>外。</p></section>')
    site = SiteInfo.for_language("ja")
    assert convert(html, site, drop_navigation_sections=True) == (Parsed("本文。", []), 2)
    assert convert(html, site)[0].text == "本文。\n脚注・出典\n注。\n外部リンク\n外。"


def test_disambiguation_by_title_suffix():
    assert is_disambiguation("<p>x</p>", SiteInfo.for_language("ja"), "港 (曖昧さ回避)")
    assert not is_disambiguation("<p>x</p>", SiteInfo.for_language("ja"), "港")


def test_link_target():
    site = SiteInfo.for_language("ja")
    assert link_target("./Foo_bar?action=edit&redlink=1", site) == "Foo bar"
    assert link_target("./%E6%B8%AF#x", site) == "港"
    assert link_target("./Help:X", site) is None
    assert link_target("https://example.org/wiki/X", site) is None
    assert link_target(None, site) is None
    assert link_target("Foo", site) == "Foo"  # older Parsoid, no ./
    assert link_target("./港#歴史", site, "港") is None and link_target("./港#歴史", site, "川") == "港"
    assert link_target("./港", site, "港") == "港"


_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")).filter(
    lambda c: c not in "<>&\"'\ufdd0\ufdd1\ufdd2\ufdd3\ufdd4" and not c.isspace()), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_WORDS, _WORDS, st.booleans()), min_size=1, max_size=6))
def test_anchor_offsets_cover_the_link_text(pieces):
    """Whatever the text around them, each anchor spans exactly its link's text, in code points."""
    html = "<p>" + "".join(f'{before}<a rel="mw:WikiLink" href="./T{i}">{label}</a>' if link else before + label
                           for i, (before, label, link) in enumerate(pieces)) + "</p>"
    parsed = to_text(html, SiteInfo.for_language("ja"))
    assert parsed.text == "".join(before + label for before, label, _ in pieces)
    expected = [(label, f"T{i}") for i, (_, label, link) in enumerate(pieces) if link]
    assert [(parsed.text[a.start:a.end], a.target) for a in parsed.anchors] == expected
    assert all(isinstance(a, Anchor) for a in parsed.anchors)


_PIECES = st.lists(st.one_of(st.sampled_from([" ", "  ", "\t", "\u3000", "\u00a0", "\n", "<br>", "x", "語", "𠮷"]),
                             _WORDS), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_PIECES, _PIECES, st.booleans()), min_size=1, max_size=5))
def test_lines_taken_as_they_are_equal_the_finished_ones(pieces):
    """A line that needs no squeezing is taken as it is; the result is what squeezing gives (a kept break
    at its end sends a line through the squeezing)."""
    html = "<p>" + "".join(
        "".join(before) + (f'<a rel="mw:WikiLink" href="./T{i}">{"".join(label)}</a>' if link else "".join(label))
        for i, (before, label, link) in enumerate(pieces)) + "</p>"
    site = SiteInfo.for_language("ja")
    fast = to_text(html, site)
    start = 0
    for line in fast.text.split("\n") if fast.text else []:
        end = start + len(line)
        inside = [Anchor(a.start - start, a.end - start, a.target, a.english)
                  for a in fast.anchors if start <= a.start and a.end <= end]
        assert finish_line(line + BREAK, inside) == finish_line(line, inside) == [(line, inside)]
        start = end + 1
    for a in fast.anchors:
        assert fast.text[a.start:a.end] == fast.text[a.start:a.end].strip() and "\n" not in fast.text[a.start:a.end]


@settings(max_examples=200, deadline=None)
@given(_PIECES, st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=4))
def test_finishing_a_line_that_needs_none_changes_nothing(pieces, bounds):
    """``finish_line``'s shortcut for a line that needs no squeezing gives what the squeezing gives."""
    line = "".join(pieces).replace("\n", " ").replace("<br>", "")
    anchors = [Anchor(min(a, b, len(line)), min(max(a, b), len(line)), "T", None) for a, b in bounds]
    assert finish_line(line, anchors) == finish_line(line + BREAK, anchors)
