"""Fidelity of ``to_text`` on the 103 real jawiki country articles (``../shared/data``), against references
computed from the raw wikitext by simple rules independent of the converter:

* The raw text is first cleared of comments, of ``<ref>...</ref>`` / ``<ref .../>`` and of the blocks
  whose content is not running text (``<gallery>``, ``<timeline>``) and HTML tables (``<table>``).
  ``<math>`` is kept (it shows its TeX source): a sentence holding it is not looked up.
* A line is *top-level* when it is outside templates and tables: a running count of ``{{`` minus ``}}``
  and of table openings ``{|`` minus closings ``|}`` (at line start) is zero before and after it.
  Within a top-level line, templates are replaced by a mark (NUL) by replacing innermost ``{{...}}``
  until none is left, except ``{{仮リンク|...}}``, which are collected first.
* Prose lines: top-level lines not starting with ``* # : ; { | = !``, nor with a file or category
  link (``[[ファイル:``, ``[[画像:``, ``[[File:``, ``[[Image:``, ``[[Category:``, ``[[カテゴリ:``).
  List lines: top-level lines starting with ``*`` or ``#``.
* Links: ``[[title]]`` or ``[[title|label]]`` with no brackets inside, whose title has no ``:`` and does
  not start with ``#``. Expected anchor: target = title up to ``#``, underscores to spaces, whitespace
  collapsed, first letter upper-cased; surface = label, else the title as written, with ``''``/``'''``
  removed and surrounding whitespace stripped. Anchors are matched as a multiset of (target, surface)
  per page.
* Sentences: prose lines with simple links replaced by their surface (links whose title has a ``:`` by
  the mark) and quotes removed, split on 。; those of at least 5 characters free of the mark, of
  ``[ ] { } < > | & '`` and of ``http`` are looked up verbatim, with runs of spaces squeezed to one.
* ``{{仮リンク|local|en|English}}`` with an optional ``label=``, no nested braces or brackets:
  expected anchor (target of local, surface = label or local, english = English with underscores and
  whitespace runs as single spaces).
* Markup left in the text: occurrences of ``[[``, ``]]``, ``{{``, ``}}``, ``''``, ``<ref``, ``{|``,
  ``|}``, ``__``, ``<!--`` and HTML tags (``</?name ...>`` with a Latin-letter name).

Run ``pytest -s tests/test_fidelity.py`` to see the measured figures.
"""

from __future__ import annotations

import bz2
import gzip
import json
import xml.etree.ElementTree as ET
import re
from collections import Counter
from pathlib import Path

import pytest

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.convert import to_text

pytestmark = pytest.mark.shared

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_COMMENT_REF = re.compile(
    r"<!--.*?-->|<ref[^<>]*?/>|<(ref|gallery|timeline|table)[^<>]*>.*?</\1\s*>", re.S)
_INNER_TEMPLATE = re.compile(r"\{\{(?!仮リンク\|)[^{}]*\}\}")
_ILL = re.compile(r"\{\{仮リンク\|([^{}|\[\]]+)\|en\|([^{}|\[\]]+)(?:\|label=([^{}|\[\]]+))?\}\}")
_LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")
_QUOTES = re.compile(r"'{2,}")
_MARKUP = re.compile(r"\[\[|\]\]|\{\{|\}\}|''|<ref|\{\||\|\}|__|<!--|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_FILE_LINE = ("[[ファイル:", "[[画像:", "[[File:", "[[Image:", "[[Category:", "[[カテゴリ:")
_MARK = "\x00"


def _pages() -> list[dict[str, str]]:
    path = DATA / "jawiki-country-dev.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real jawiki sample lives in ../shared/data beside the repository")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _target(title: str) -> str:
    title = " ".join(title.split("#", 1)[0].replace("_", " ").split())
    return title[:1].upper() + title[1:]


def _surface(title: str, label: str | None) -> str:
    return _QUOTES.sub("", label if label else title).strip()


def _top_level_lines(text: str):
    """(line, kind) of the top-level lines, kind "prose" or "list"; templates removed, 仮リンク kept."""
    templates = tables = 0
    for line in _COMMENT_REF.sub("", text).split("\n"):
        before = (templates, tables)
        templates += line.count("{{") - line.count("}}")
        stripped = line.strip()
        if stripped.startswith("{|"):
            tables += 1
        elif stripped.startswith("|}"):
            tables -= 1
        if before != (0, 0) or (templates, tables) != (0, 0):
            continue
        while True:
            reduced = _INNER_TEMPLATE.sub(_MARK, line)
            if reduced == line:
                break
            line = reduced
        if not stripped or stripped.startswith(_FILE_LINE):
            continue
        if stripped[0] in "*#":
            yield line, "list"
        elif stripped[0] not in ":;{|=!":
            yield line, "prose"


def _links(line: str) -> list[tuple[str, str]]:
    return [
        (_target(m.group(1)), _surface(m.group(1), m.group(2)))
        for m in _LINK.finditer(_ILL.sub("", line))
        if ":" not in m.group(1) and not m.group(1).strip().startswith("#")
    ]


def _ill(m: re.Match[str]) -> tuple[str, str, str]:
    return _target(m.group(1)), (m.group(3) or m.group(1)).strip(), " ".join(m.group(2).replace("_", " ").split())


def _sentence_link(m: re.Match[str]) -> str:
    return _MARK if ":" in m.group(1) else m.group(2) or m.group(1)


def _found(expected: Counter, got: Counter) -> int:
    return sum(min(count, got[key]) for key, count in expected.items())


@pytest.fixture(scope="module")
def converted():
    site = SiteInfo.for_language("ja")
    return [(page, to_text(page["text"], site)) for page in _pages()]


# The reference's own rule for navigation sections: a heading line whose name (or each of its names joined
# by ・ or 、) is one of these, cut up to the next heading of the same or a higher level.
_NAVIGATION = {"関連項目", "外部リンク", "脚注", "脚註", "出典", "参考文献", "注釈", "参考資料"}
_HEADING_LINE = re.compile(r"^(=+)\s*(.+?)\s*(=+)\s*$")


def _without_navigation(text: str) -> tuple[str, int]:
    kept: list[str] = []
    cut_level = 0
    cuts = 0
    for line in text.split("\n"):
        m = _HEADING_LINE.match(line)
        if m:
            level = min(len(m.group(1)), len(m.group(3)))
            if cut_level and level <= cut_level:
                cut_level = 0
            if not cut_level and all(name in _NAVIGATION for name in re.split("[・、]", m.group(2))):
                cut_level = level
                cuts += 1
        if not cut_level:
            kept.append(line)
    return "\n".join(kept), cuts


@pytest.fixture(scope="module")
def filtered(converted):
    """The pages with navigation sections cut (as extraction does by default), beside the reference text
    cut by the reference's own rule."""
    from leia.wiki.filters import drop_navigation_sections

    site = SiteInfo.for_language("ja")
    result = []
    for page, _ in converted:
        kept, dropped = drop_navigation_sections(page["text"], site)
        reference, cuts = _without_navigation(page["text"])
        result.append(({**page, "text": reference}, to_text(kept, site), dropped, cuts))
    return result


def _measure(converted) -> Counter:
    totals = Counter()
    for page, parsed in converted:
        got = Counter((a.target, parsed.text[a.start:a.end]) for a in parsed.anchors)
        got_ill = Counter((a.target, parsed.text[a.start:a.end], a.english) for a in parsed.anchors)
        prose, listed, ill = Counter(), Counter(), Counter()
        for line, kind in _top_level_lines(page["text"]):
            (prose if kind == "prose" else listed).update(_links(line))
            ill.update(_ill(m) for m in _ILL.finditer(line))
            if kind == "prose":
                plain = _QUOTES.sub("", _LINK.sub(_sentence_link, line))
                for sentence in plain.split("。"):
                    sentence = re.sub(" {2,}", " ", sentence.strip())
                    if len(sentence) >= 5 and not re.search(r"[\x00\[\]{}<>|&']|http", sentence):
                        totals["sentences"] += 1
                        totals["sentences found"] += sentence in parsed.text
        totals["prose links"] += sum(prose.values())
        totals["prose links found"] += _found(prose, got)
        totals["list links"] += sum(listed.values())
        totals["list links found"] += _found(listed, got)
        totals["仮リンク"] += sum(ill.values())
        totals["仮リンク found"] += _found(ill, got_ill)
        totals["characters"] += len(parsed.text)
        totals["markup"] += len(_MARKUP.findall(parsed.text))
    for name in ("prose links", "sentences", "list links", "仮リンク"):
        print(f"{name}: {totals[name + ' found']}/{totals[name]} = {totals[name + ' found'] / totals[name]:.4%}")
    print(f"markup left: {totals['markup']} in {totals['characters']} characters "
          f"= {totals['markup'] / totals['characters'] * 10_000:.3f} per 10,000")
    return totals


@pytest.fixture(scope="module", params=["all sections", "navigation sections dropped"])
def figures(request, converted):
    """The figures of the converter on whole pages, and on pages whose navigation sections were cut (the
    reference then counts only what its own rule keeps)."""
    if request.param == "all sections":
        return _measure(converted)
    return _measure([(page, parsed) for page, parsed, _, _ in request.getfixturevalue("filtered")])


def test_filter_cuts_the_sections_the_reference_rule_cuts(filtered):
    assert sum(dropped for _, _, dropped, _ in filtered) == sum(cuts for _, _, _, cuts in filtered) > 300
    for page, parsed, _, _ in filtered:
        assert "\n関連項目\n" not in f"\n{parsed.text}\n" and "\n外部リンク\n" not in f"\n{parsed.text}\n"


def _ratio(totals: Counter, name: str) -> float:
    assert totals[name] > 0
    return totals[name + " found"] / totals[name]


def test_prose_links_become_anchors(figures):
    assert _ratio(figures, "prose links") >= 0.998


def test_prose_sentences_kept_verbatim(figures):
    assert _ratio(figures, "sentences") >= 0.985


def test_list_links_become_anchors(figures):
    assert _ratio(figures, "list links") >= 0.95


def test_interlanguage_links_become_anchors_with_english(figures):
    assert _ratio(figures, "仮リンク") >= 0.95


def test_little_markup_left(figures):
    assert figures["markup"] * 10_000 <= figures["characters"]


def test_anchors_are_spans_of_one_line(converted):
    for _, parsed in converted:
        for anchor in parsed.anchors:
            assert 0 <= anchor.start < anchor.end <= len(parsed.text)
            assert "\n" not in parsed.text[anchor.start:anchor.end]
            assert parsed.text[anchor.start:anchor.end].strip() == parsed.text[anchor.start:anchor.end]
        assert [a.start for a in parsed.anchors] == sorted(a.start for a in parsed.anchors)


def test_text_lines_are_stripped_and_not_empty(converted):
    for _, parsed in converted:
        for line in parsed.text.split("\n"):
            assert line and line == line.strip()


def test_fast_path_equals_parser_path():
    site = SiteInfo.for_language("ja")
    for page in _pages():
        assert to_text(page["text"], site, fast=True) == to_text(page["text"], site, fast=False), page["title"]


def _enwiki_pages(limit: int) -> list[dict[str, str]]:
    path = DATA / "enwiki-sample.xml.bz2"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real enwiki sample lives in ../shared/data beside the repository")
    pages: list[dict[str, str]] = []
    page: dict[str, str] = {}
    with bz2.open(path, "rb") as stream:
        for _, element in ET.iterparse(stream, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag in ("title", "ns", "text"):
                page[tag] = element.text or ""
            elif tag == "redirect":
                page["redirect"] = "1"
            elif tag == "page":
                if page.get("ns") == "0" and "redirect" not in page:
                    pages.append(page)
                    if len(pages) == limit:
                        break
                page = {}
                element.clear()
    return pages


def test_fast_path_equals_parser_path_on_english_pages():
    site = SiteInfo.for_language("en")
    pages = _enwiki_pages(limit=25)
    assert len(pages) == 25
    for page in pages:
        assert to_text(page["text"], site) == to_text(page["text"], site, fast=False), page["title"]
