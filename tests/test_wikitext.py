"""``to_text`` on hand-written wikitext: the data-driven cases of tests/cases/wikitext/*.case (format in
their README), then pathological pages and the interlanguage-link harvest."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from casefiles import each_case, names_unique, read_cases
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.convert import MAX_PAGE_CHARS, PageConverter, converter_for, to_text
from leia.wiki.lines import Anchor, Parsed, UnparsablePage
from leia.wiki.wikitext.templates.interlanguage import harvest_interlanguage_links

CASES = Path(__file__).resolve().parent / "cases" / "wikitext"


_CASES = read_cases(CASES, ("name", "site", "title", "date", "variant"), site="ja")


def test_case_names_are_unique():
    assert names_unique(_CASES) >= 40


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "parser"])
@each_case(_CASES)
def test_case(case, fast):
    date = datetime.date.fromisoformat(case["date"]) if "date" in case else None
    options = {"variant": case["variant"]} if "variant" in case else {}
    parsed = to_text(case["input"], SiteInfo.for_language(case["site"]), fast=fast, title=case.get("title"),
                     date=date, **options)
    assert isinstance(parsed, Parsed)
    assert parsed.text == case["text"]
    assert [(parsed.text[a.start:a.end], a.target, a.english) for a in parsed.anchors] == case["anchors"]
    for anchor in parsed.anchors:
        assert isinstance(anchor, Anchor)
        assert 0 <= anchor.start < anchor.end <= len(parsed.text)
        assert "\n" not in parsed.text[anchor.start:anchor.end]


def test_anchor_offsets_are_code_points():
    parsed = to_text("𠮷野家の[[𠮷野]]と[[架空]]", SiteInfo.for_language("ja"))
    assert parsed.anchors == [Anchor(4, 6, "𠮷野", None), Anchor(7, 9, "架空", None)]


def test_anchor_offsets_across_lines():
    parsed = to_text("== 見出し ==\n* [[甲]]\n本文の[[乙|おつ]]。", SiteInfo.for_language("ja"))
    assert parsed.text == "見出し\n甲\n本文のおつ。"
    assert parsed.anchors == [Anchor(4, 5, "甲", None), Anchor(9, 11, "乙", None)]


@pytest.mark.parametrize("fast", [True, False])
def test_a_line_gives_anchors_counted_from_its_own_start(fast):
    """``PageConverter.line``: the lines one line's content gives, on either path, each with anchors relative to
    it (a label's spaces trimmed, a run of spaces squeezed, a break splits); the page adds each line's offset once."""
    converter = PageConverter(SiteInfo.for_language("ja"))
    assert converter.line("東京 [[京都]] と [[大阪| 大阪 ]]  の", [], fast) == [
        ("東京 京都 と 大阪 の", [Anchor(3, 5, "京都", None), Anchor(8, 10, "大阪", None)])]
    assert converter.line("[[甲]]<br>[[乙]]", [], fast) == [("甲", [Anchor(0, 1, "甲", None)]),
                                                         ("乙", [Anchor(0, 1, "乙", None)])]
    page = converter.convert("前 [[京都]]\n東京 [[京都]] と [[大阪| 大阪 ]]  の", fast)
    assert page == Parsed("前 京都\n東京 京都 と 大阪 の",
                          [Anchor(2, 4, "京都", None), Anchor(8, 10, "京都", None), Anchor(13, 15, "大阪", None)])


def test_a_site_s_converter_is_kept_for_that_site_object():
    """The next page of the same SiteInfo reuses its converter (and its cache of resolved titles); another
    SiteInfo, even an equal one, gets a new one; the converters of the last eight sites are kept."""
    site = SiteInfo.for_language("ja")
    converter = converter_for(site)
    assert converter_for(site) is converter and converter.site is site
    assert converter_for(SiteInfo.for_language("ja")) is not converter
    others = [converter_for(SiteInfo.for_language("en")) for _ in range(6)]
    assert len(set(map(id, others))) == 6 and converter_for(site) is converter
    converter_for(SiteInfo.for_language("en"))
    assert converter_for(site) is not converter


def test_namespace_prefixes_of_the_dump_are_recognised():
    site = SiteInfo(dbname="xxwiki", lang="xx", namespaces={0: "", 6: "Bildo", 14: "Kategorio"})
    parsed = to_text("[[Bildo:A.png|thumb|x]][[Kategorio:B]]Teksto pri [[c]].", site)
    assert parsed == Parsed("Teksto pri c.", [Anchor(11, 12, "C", None)])


def test_case_sensitive_wiki_keeps_first_letter():
    site = SiteInfo(dbname="enwiktionary", lang="en", case="case-sensitive")
    assert to_text("A [[word]].", site).anchors == [Anchor(2, 6, "word", None)]


def _quick(wikitext: str) -> Parsed | None:
    began = time.perf_counter()
    try:
        result = to_text(wikitext, SiteInfo.for_language("ja"))
    except UnparsablePage:
        result = None
    assert time.perf_counter() - began < 5
    return result


def test_deeply_nested_dropped_templates_convert_quickly():
    assert _quick("前" + "{{x|" * 20_000 + "}}" * 20_000 + "後") == Parsed("前後", [])


def test_deeply_nested_text_templates_are_unparsable():
    with pytest.raises(UnparsablePage):
        to_text("{{lang|en|" * 20_000 + "x" + "}}" * 20_000, SiteInfo.for_language("ja"))


@pytest.mark.parametrize("wikitext", [
    "[[" * 20_000 + "x" + "]]" * 20_000,
    "{{" * 20_000,
    "}}" * 20_000 + "[[a|" * 5_000,
    "<ref>" * 10_000 + "text",
    "<span>" * 10_000 + "x" + "</span>" * 10_000,
    "{|\n" * 10_000,
    "''" * 20_000 + "[http://x " * 5_000,
    "<!--" + "x" * 100_000,
    "[[a]]" * 40_000,
], ids=["links", "open-braces", "closers", "refs", "spans", "tables", "quotes", "comment", "many-links"])
def test_pathological_pages_never_hang(wikitext):
    parsed = _quick(wikitext)
    if parsed is not None:
        for anchor in parsed.anchors:
            assert 0 <= anchor.start < anchor.end <= len(parsed.text)


def test_too_large_page_is_unparsable():
    with pytest.raises(UnparsablePage, match="limit"):
        to_text("あ" * (MAX_PAGE_CHARS + 1), SiteInfo.for_language("ja"))


def test_harvest_interlanguage_links():
    wikitext = (
        "{{仮リンク|架空の戦い|en|Battle_of  Example}}と{{仮リンク|架空の村|de|Beispieldorf}}と"
        "<!-- {{仮リンク|隠れた|en|Hidden}} -->{{仮リンク|架空社|en|Example Company|label={{lang|en|ExCo}}}}"
        "{{ill|sample hill|fr|Colline|en|Sample Hill#Top}}{{仮リンク|Category:架空|en|Category:Example}}"
    )
    assert harvest_interlanguage_links(wikitext, SiteInfo.for_language("ja")) == [
        ("架空の戦い", "Battle of Example"),
        ("架空社", "Example Company"),
        ("Sample hill", "Sample Hill#Top"),
    ]


def test_harvest_without_templates_is_empty():
    assert harvest_interlanguage_links("[[架空]]の本文。", SiteInfo.for_language("ja")) == []
