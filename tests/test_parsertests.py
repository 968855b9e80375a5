"""``to_text`` on MediaWiki core's parser tests (``../shared/data/mediawiki-parsertests``): every scored test
(scope, expected text and links: ``tests/parsertests.py``) passes on both paths, except those listed with
their reason in ``tests/cases/parsertests/not-passed.tsv`` (the evidence for docs/limitations.md), and the
figures over all scored tests reach their thresholds. ``python tests/benchmarks/score_parsertests.py``
prints them per category."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from leia.wiki.wikitext.convert import to_text
from leia.wiki.lines import UnparsablePage
from parsertests import DATA, SITE, ParserTest, category, expected, read_tests, scope, score, scored_tests

pytestmark = pytest.mark.shared

NOT_PASSED_FILE = Path(__file__).resolve().parent / "cases" / "parsertests" / "not-passed.tsv"
NOT_PASSED: dict[str, str] = dict(
    line.split("\t", 1) for line in NOT_PASSED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
)
TESTS = scored_tests() if DATA.is_dir() else []


def test_parser_tests_are_present():
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent: MediaWiki's parser tests live in ../shared/data beside the checkout")
    assert len(read_tests()) > 2000
    assert len(TESTS) >= 600


@pytest.fixture(scope="module")
def scores():
    if not TESTS:
        pytest.skip(f"{DATA} is absent")
    return [score(test) for test in TESTS]


@pytest.mark.parametrize("test", TESTS, ids=[test.key for test in TESTS])
def test_parser_test(test):
    result = score(test)
    assert result.error is None
    assert result.identical, "the fast path and fast=False differ"
    if test.key in NOT_PASSED:
        assert not result.passed, f"passes now: remove it from {NOT_PASSED_FILE.name}"
    else:
        assert result.text == result.expected.text
        assert result.links == result.expected.links


def _convert(wikitext: str, fast: bool):
    try:
        return to_text(wikitext, SITE, fast=fast)
    except UnparsablePage as exc:
        return f"unparsable: {exc}"


def test_paths_identical_on_every_parser_test():
    """Scored or not (templates, tables, media, bad characters...): the two paths agree on all of them."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent")
    differ = [t.key for t in read_tests() if _convert(t.wikitext, True) != _convert(t.wikitext, False)]
    assert differ == []


def test_not_passed_list_names_scored_tests_with_reasons():
    if not TESTS:
        pytest.skip(f"{DATA} is absent")
    keys = {test.key for test in TESTS}
    assert set(NOT_PASSED) <= keys
    assert all(len(reason.strip()) > 20 for reason in NOT_PASSED.values())


def test_figures_reach_thresholds(scores):
    exact = sum(s.text_exact for s in scores) / len(scores)
    found = sum(s.links_found for s in scores)
    recall = found / sum(sum(s.expected.links.values()) for s in scores)
    precision = found / sum(sum(s.links.values()) for s in scores)
    assert exact >= 0.95
    assert recall >= 0.95 and precision >= 0.95
    assert all(s.identical for s in scores)
    assert len(NOT_PASSED) <= 0.05 * len(scores)


def test_every_category_is_scored(scores):
    counts = Counter(s.category for s in scores)
    for name in ("links", "quotes", "lists", "headings", "paragraphs", "entities", "nowiki", "pre",
                 "HTML tags", "external links"):
        assert counts[name] >= 10, name


_SAMPLE = """\
!! options
version=2
!! end

!! article
Template:Echo
!! text
{{{1}}}
!! endarticle

!!test
Link with a trail
!! wikitext
[[Main Page]]s and [[missing page|gone]]
!! html/php
<p><a href="/wiki/Main_Page" title="Main Page">Main Pages</a> and <a href="/index.php?title=Missing_page&amp;action=edit&amp;redlink=1" class="new" title="Missing page (page does not exist)">gone</a>
</p>
!! html/parsoid
<p>ignored</p>
!! end

!! test
Heading with an edit link and a numbered external link
!! options
title=[[Here]]
!! wikitext
== A&nbsp;B ==
[http://example.org] and [[Here#top]] and [[Talk:X]]
!! html
<div class="mw-heading mw-heading2"><h2 id="A_B">A&#160;B</h2><span class="mw-editsection"><span class="mw-editsection-bracket">[</span><a href="/index.php?title=Parser_test&amp;action=edit&amp;section=1" title="Edit section: A B">edit</a><span class="mw-editsection-bracket">]</span></span></div>
<p><a rel="nofollow" class="external autonumber" href="http://example.org">[1]</a> and <a class="mw-selflink-fragment" href="#top">Here#top</a> and <a href="/wiki/Talk:X" title="Talk:X">Talk:X</a>
</p>
!! end

!! test
Signature
!! options
pst
!! wikitext
~~~
!! html
<p>x</p>
!! end

!! test
Only Parsoid
!! wikitext
x
!! html/parsoid
<p>x</p>
!! end

!! test
Template
!! wikitext
{{Echo|x}} <nowiki>{{not one}}</nowiki>
!! html
<p>x {{not one}}</p>
!! end
"""


@pytest.fixture
def sample(tmp_path) -> list[ParserTest]:
    (tmp_path / "sampleTests.txt").write_text(_SAMPLE, encoding="utf-8")
    return read_tests(tmp_path)


def test_reader_takes_tests_and_skips_articles(sample):
    assert [t.name for t in sample] == [
        "Link with a trail", "Heading with an edit link and a numbered external link", "Signature",
        "Only Parsoid", "Template",
    ]
    first = sample[0]
    assert first.key == "sampleTests.txt: Link with a trail"
    assert first.wikitext == "[[Main Page]]s and [[missing page|gone]]"
    assert first.html.startswith('<p><a href="/wiki/Main_Page"')
    assert sample[1].options == {"title": "[[Here]]"}
    assert sample[3].html is None


def test_scope_rules(sample):
    assert [scope(t) for t in sample] == [None, None, "option pst", "no legacy html", "templates"]


def test_expected_text_and_links(sample):
    first, second = expected(sample[0]), expected(sample[1])
    assert first.text == "Main Pages and gone"
    assert first.links == Counter({("Main Page", "Main Pages"): 1, ("Missing page", "gone"): 1})
    assert second.text == "A B\nand Here#top and Talk:X"
    assert second.links == Counter({("Here", "Here#top"): 1})


def test_categories_from_names_then_files(sample):
    assert category(sample[0]) == "links"
    assert category(sample[1]) == "headings"
    assert category(ParserTest("quotes.txt", "Something", "", "")) == "quotes"
    assert category(ParserTest("parserTests.txt", "Something", "", "")) == "other"


def test_score_of_a_sample_test(sample):
    result = score(sample[0])
    assert result.passed and result.identical
    assert result.text == "Main Pages and gone"
